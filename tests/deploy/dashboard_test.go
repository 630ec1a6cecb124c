package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/VictoriaMetrics/metricsql"
)

const dashboardFile = "../../deploy/grafana/dashboards/eshop.json"

// metricSeries are the series of docs/observability.md's table
// ("Metrics"), by name: the names and labels dashboards are built on. The
// test checks this list against the table.
var metricSeries = map[string][]string{
	"http_server_request_duration_seconds":     {"http_request_method", "http_route", "http_response_status_code"},
	"messaging_client_sent_messages_total":     {"messaging_destination_name"},
	"messaging_client_consumed_messages_total": {"messaging_destination_name", "outcome"},
	"messaging_process_duration_seconds":       {"messaging_destination_name"},
	"eshop_outbox_pending_events":              nil,
	"eshop_outbox_oldest_pending_age_seconds":  nil,
	"eshop_eventbus_dead_letter_messages":      {"queue"},
}

// histograms are the table's histograms: Prometheus exposes each as
// <name>_bucket (with le), <name>_sum and <name>_count.
var histograms = []string{"http_server_request_duration_seconds", "messaging_process_duration_seconds"}

// scrapeLabels are the labels Prometheus adds to every scraped series.
var scrapeLabels = []string{"job", "instance"}

// panelGroups are the groups of panels docs/observability.md ("Running
// it") lists, each as the page words it, with the panels the dashboard
// shows for it and the series each panel must query.
var panelGroups = map[string][]struct{ title, series string }{
	"request rate, errors and latency": {
		{"Request rate", "http_server_request_duration_seconds_count"},
		{"Errors", "http_server_request_duration_seconds_count"},
		{"Latency", "http_server_request_duration_seconds_bucket"},
	},
	"events published and consumed per second": {
		{"Events published per second", "messaging_client_sent_messages_total"},
		{"Events consumed per second", "messaging_client_consumed_messages_total"},
	},
	"handler latency":        {{"Handler latency", "messaging_process_duration_seconds_bucket"}},
	"outbox backlog and age": {{"Outbox backlog", "eshop_outbox_pending_events"}, {"Outbox age", "eshop_outbox_oldest_pending_age_seconds"}},
	"dead letters":           {{"Dead letters", "eshop_eventbus_dead_letter_messages"}},
}

// observabilityDoc is the observability contract.
const observabilityDoc = "../../docs/observability.md"

// seriesTable reads a markdown table whose rows start with the series'
// names in backquotes and their type ("| `a`, `b` | gauge | `label`,
// `label` (notes) | …"): the labels of each series. Other tables of the
// file are left alone.
func seriesTable(t *testing.T, where, text string) map[string][]string {
	t.Helper()
	quoted := regexp.MustCompile("`([^`]+)`")
	notes := regexp.MustCompile(`\([^)]*\)`)
	table := map[string][]string{}
	for line := range strings.SplitSeq(text, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") ||
			!slices.Contains([]string{"counter", "gauge", "histogram"}, strings.TrimSpace(cells[2])) {
			continue
		}
		var labels []string
		for _, m := range quoted.FindAllStringSubmatch(notes.ReplaceAllString(cells[3], ""), -1) {
			labels = append(labels, m[1])
		}
		for _, m := range quoted.FindAllStringSubmatch(cells[1], -1) {
			table[m[1]] = labels
		}
	}
	if len(table) == 0 {
		t.Fatalf("%s: no series table", where)
	}
	return table
}

func checkSeriesTable(t *testing.T, where string, got map[string][]string) {
	t.Helper()
	for name, labels := range metricSeries {
		if g, ok := got[name]; !ok || !slices.Equal(g, labels) {
			t.Errorf("%s: %s has labels %v (listed: %v), the test's list says %v", where, name, g, ok, labels)
		}
	}
	if len(got) != len(metricSeries) {
		t.Errorf("%s lists %d series, the test %d: update metricSeries", where, len(got), len(metricSeries))
	}
}

func TestTheSeriesListIsObservabilitysTable(t *testing.T) {
	docs := mustRead(t, observabilityDoc)
	checkSeriesTable(t, "docs/observability.md", seriesTable(t, "docs/observability.md", string(docs)))
}

// dashboard is what the test reads of the dashboard's JSON: its panels in
// order, each row followed by its panels, and its variables.
type dashboard struct {
	Panels []struct {
		Type    string
		Title   string
		Targets []struct{ Expr string }
	}
	Templating struct {
		List []struct {
			Name  string
			Query struct{ Query string }
		}
	}
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	raw := mustRead(t, dashboardFile)
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	return d
}

// grafanaVariables stand for what Grafana puts in place of its variables
// before the query reaches Prometheus.
var grafanaVariables = strings.NewReplacer("$__rate_interval", "5m", "$service", ".*")

// promQLFunctions are the functions the dashboard may use: PromQL's, which
// the MetricsQL parser (a superset) also takes.
var promQLFunctions = []string{"sum", "rate", "histogram_quantile"}

// queried parses a PromQL expression and returns the series it names, the
// labels it filters or groups on, and the functions it calls.
func queried(expr string) (series, labels, funcs []string, err error) {
	e, err := metricsql.Parse(grafanaVariables.Replace(expr))
	if err != nil {
		return nil, nil, nil, err
	}
	metricsql.VisitAll(e, func(e metricsql.Expr) {
		switch e := e.(type) {
		case *metricsql.MetricExpr:
			for _, group := range e.LabelFilterss {
				for _, f := range group {
					if f.Label == "__name__" {
						series = append(series, f.Value)
					} else {
						labels = append(labels, f.Label)
					}
				}
			}
		case *metricsql.ModifierExpr: // by, without, on, ignoring, group_left, group_right
			labels = append(labels, e.Args...)
		case *metricsql.AggrFuncExpr:
			funcs = append(funcs, e.Name)
		case *metricsql.FuncExpr:
			funcs = append(funcs, e.Name)
		case *metricsql.BinaryOpExpr, *metricsql.RollupExpr, *metricsql.NumberExpr, *metricsql.StringExpr, *metricsql.DurationExpr:
		default:
			// A kind of expression the test does not read: named as a
			// function, it fails the check of the functions.
			funcs = append(funcs, fmt.Sprintf("%T", e))
		}
	})
	return series, labels, funcs, nil
}

// exposed resolves a series as Prometheus stores it to the table's series
// and the labels it may carry: a histogram's _bucket (with le), _sum and
// _count are its table entry's.
func exposed(name string) (labels []string, ok bool) {
	if labels, ok := metricSeries[name]; ok && !slices.Contains(histograms, name) {
		return labels, true
	}
	for _, h := range histograms {
		switch name {
		case h + "_bucket":
			return append(slices.Clone(metricSeries[h]), "le"), true
		case h + "_sum", h + "_count":
			return metricSeries[h], true
		}
	}
	return nil, false
}

// Every query of the dashboard names only series of docs/observability.md's
// table (a histogram by its _bucket, _sum or _count), filters and groups
// only on their labels and the scrape's, and every series of the table is
// on the dashboard.
func TestTheDashboardQueriesOnlyTheSpecsSeries(t *testing.T) {
	d := readDashboard(t)
	var exprs []string
	for _, p := range d.Panels {
		for _, target := range p.Targets {
			exprs = append(exprs, target.Expr)
		}
	}
	for _, v := range d.Templating.List {
		// label_values(<series>, <label>) asks Prometheus for a label's values.
		if m := regexp.MustCompile(`^label_values\((\w+),\s*(\w+)\)$`).FindStringSubmatch(v.Query.Query); m != nil {
			exprs = append(exprs, "sum by ("+m[2]+") ("+m[1]+")")
		} else {
			t.Errorf("variable %s: query %q is not label_values(series, label)", v.Name, v.Query.Query)
		}
	}
	if len(exprs) == 0 {
		t.Fatalf("%s: no queries", dashboardFile)
	}
	onDashboard := map[string]bool{}
	for _, expr := range exprs {
		series, labels, funcs, err := queried(expr)
		if err != nil {
			t.Errorf("%q does not parse: %v", expr, err)
			continue
		}
		if len(series) == 0 {
			t.Errorf("%q names no series", expr)
		}
		allowed := slices.Clone(scrapeLabels)
		for _, s := range series {
			l, ok := exposed(s)
			if !ok {
				t.Errorf("%q names %s, which is not a series of docs/observability.md's table", expr, s)
			}
			allowed = append(allowed, l...)
			onDashboard[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "_bucket"), "_count"), "_sum")] = true
		}
		for _, l := range labels {
			if !slices.Contains(allowed, l) {
				t.Errorf("%q uses the label %s, which its series do not have (they have %v)", expr, l, allowed)
			}
		}
		for _, f := range funcs {
			if !slices.Contains(promQLFunctions, f) {
				t.Errorf("%q calls %s: not one of %v", expr, f, promQLFunctions)
			}
		}
	}
	for name := range metricSeries {
		if !onDashboard[name] {
			t.Errorf("no panel shows %s", name)
		}
	}
}

// docPanelGroups reads the groups of panels the contract's dashboard
// shows, "A provisioned dashboard shows, per service: a; b; c.".
func docPanelGroups(t *testing.T, doc string) []string {
	t.Helper()
	m := regexp.MustCompile(`dashboard shows, per service: ([^.]+)\.`).FindStringSubmatch(strings.Join(strings.Fields(doc), " "))
	if m == nil {
		t.Fatal("docs/observability.md: no sentence \"A provisioned dashboard shows, per service: …\"")
	}
	var groups []string
	for g := range strings.SplitSeq(m[1], ";") {
		groups = append(groups, strings.TrimSpace(g))
	}
	return groups
}

// Every group of panels docs/observability.md lists is a row of the
// dashboard, titled as the page words it, holding its panels, each
// querying its series.
func TestTheDashboardHasEveryPanelGroupOfTheSpec(t *testing.T) {
	groups := docPanelGroups(t, string(mustRead(t, observabilityDoc)))
	for _, g := range groups {
		if _, ok := panelGroups[g]; !ok {
			t.Errorf("docs/observability.md lists the panels %q, which the test does not know: update panelGroups", g)
		}
	}
	if len(groups) != len(panelGroups) {
		t.Errorf("docs/observability.md lists %d groups of panels %q, the test %d", len(groups), groups, len(panelGroups))
	}

	d := readDashboard(t)
	type panel struct{ series []string }
	rows := map[string]map[string]panel{}
	row := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			row = strings.ToLower(p.Title)
			rows[row] = map[string]panel{}
			continue
		}
		if row == "" {
			t.Errorf("panel %q is in no row", p.Title)
			continue
		}
		var all []string
		for _, target := range p.Targets {
			series, _, _, _ := queried(target.Expr)
			all = append(all, series...)
		}
		rows[row][p.Title] = panel{all}
	}
	for group, panels := range panelGroups {
		got, ok := rows[group]
		if !ok {
			t.Errorf("%s: no row %q", dashboardFile, group)
			continue
		}
		for _, want := range panels {
			p, ok := got[want.title]
			if !ok {
				t.Errorf("%s: row %q has no panel %q", dashboardFile, group, want.title)
				continue
			}
			if !slices.Contains(p.series, want.series) {
				t.Errorf("%s: panel %q queries %v, not %s", dashboardFile, want.title, p.series, want.series)
			}
		}
	}
}
