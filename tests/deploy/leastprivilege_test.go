package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"sigs.k8s.io/yaml"
)

// eventRow is a row of the events table: who publishes an event and who
// consumes it.
type eventRow struct {
	publisher string
	consumers []string
}

// eventTable reads the table "| `EventName` | publisher | consumers | … |"
// from a markdown file.
func eventTable(t *testing.T, path string) map[string]eventRow {
	t.Helper()
	raw := mustRead(t, path)
	rows := map[string]eventRow{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 5 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		name := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !strings.HasSuffix(name, "IntegrationEvent") {
			continue
		}
		row := eventRow{publisher: strings.TrimSpace(cells[2])}
		for c := range strings.SplitSeq(cells[3], ",") {
			if c = strings.TrimSpace(c); c != "–" && c != "-" && c != "" {
				row.consumers = append(row.consumers, c)
			}
		}
		rows[name] = row
	}
	if len(rows) == 0 {
		t.Fatalf("%s: no events table found", path)
	}
	return rows
}

// definitions is deploy/rabbitmq/definitions.json, by user.
type definitions struct {
	passwords   map[string]string
	permissions map[string]struct{ Configure, Write, Read string }
	topic       map[string]struct{ Exchange, Write, Read string }
}

func readDefinitions(t *testing.T) definitions {
	t.Helper()
	raw := mustRead(t, definitionsFile)
	var file struct {
		Users []struct {
			Name, Password string
		}
		Permissions []struct {
			User, Configure, Write, Read string
		}
		TopicPermissions []struct {
			User, Exchange, Write, Read string
		} `json:"topic_permissions"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("%s: %v", definitionsFile, err)
	}
	d := definitions{passwords: map[string]string{}, permissions: map[string]struct{ Configure, Write, Read string }{}, topic: map[string]struct{ Exchange, Write, Read string }{}}
	for _, u := range file.Users {
		d.passwords[u.Name] = u.Password
	}
	for _, p := range file.Permissions {
		d.permissions[p.User] = struct{ Configure, Write, Read string }{p.Configure, p.Write, p.Read}
	}
	for _, p := range file.TopicPermissions {
		d.topic[p.User] = struct{ Exchange, Write, Read string }{p.Exchange, p.Write, p.Read}
	}
	return d
}

// documentTable is the events table as the event contract,
// docs/asyncapi.yaml, gives it: each event's sending and receiving services.
func documentTable(t *testing.T) map[string]eventRow {
	t.Helper()
	rows := map[string]eventRow{}
	for name, e := range testkit.LoadAsyncAPI(t, "../../docs/asyncapi.yaml").Events {
		if len(e.Publishers) != 1 {
			t.Fatalf("docs/asyncapi.yaml: %s has publishers %v, want one", name, e.Publishers)
		}
		rows[name] = eventRow{publisher: e.Publishers[0], consumers: e.Consumers}
	}
	return rows
}

// checkTable fails the test unless the table of the markdown file at path
// lists the same events, publishers and consumers as want.
func checkTable(t *testing.T, path string, want map[string]eventRow) {
	t.Helper()
	got := eventTable(t, path)
	for name, row := range want {
		g, ok := got[name]
		slices.Sort(g.consumers)
		if !ok || g.publisher != row.publisher || !slices.Equal(g.consumers, row.consumers) {
			t.Errorf("%s: %s is %+v, docs/asyncapi.yaml says %+v", path, name, g, row)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s lists %d events, docs/asyncapi.yaml %d", path, len(got), len(want))
	}
}

// specTable is want as a spec's events table should list it. A table
// written before the storefront names no webapp: the webapp's
// consumption (http-api.md, "Storefront": it subscribes to the
// OrderStatusChangedTo… events) is then left out of the comparison, and
// the test says so.
func specTable(t *testing.T, path string, want map[string]eventRow) map[string]eventRow {
	t.Helper()
	for row := range maps.Values(eventTable(t, path)) {
		if slices.Contains(row.consumers, "webapp") {
			return want
		}
	}
	t.Logf("%s: its events table names no webapp; comparing it without the webapp's consumption", path)
	out := map[string]eventRow{}
	for name, row := range want {
		row.consumers = slices.DeleteFunc(slices.Clone(row.consumers), func(c string) bool { return c == "webapp" })
		out[name] = row
	}
	return out
}

// The broker enforces who may publish and bind what (events.md, "Who may
// publish what"), as the event contract docs/asyncapi.yaml says: its send
// and receive operations name the services. The document is checked
// against the summary table of docs/architecture.md and, when the spec is
// beside the repository, against events.md's table, so neither drifts
// unnoticed. (The services' EventName() methods cannot tell which events a
// service publishes and which it consumes: each declares both.)
func TestTheBrokerUsersMayPublishAndBindWhatTheEventsTableSays(t *testing.T) {
	table := documentTable(t)
	checkTable(t, "../../docs/architecture.md", table)
	if _, err := os.Stat("../../../shared/spec/events.md"); err == nil {
		checkTable(t, "../../../shared/spec/events.md", specTable(t, "../../../shared/spec/events.md", table))
	} else {
		t.Log("no ../shared/spec/events.md beside the repository: checking against docs/asyncapi.yaml and docs/architecture.md")
	}

	defs := readDefinitions(t)
	for _, s := range busServices {
		p, ok := defs.topic[s]
		if !ok {
			t.Errorf("%s: no topic permissions for %s", definitionsFile, s)
			continue
		}
		if p.Exchange != rabbitmq.DefaultExchange {
			t.Errorf("%s's topic permissions are on %q, want %q", s, p.Exchange, rabbitmq.DefaultExchange)
		}
		publish, bind := regexp.MustCompile(p.Write), regexp.MustCompile(p.Read)
		for name, row := range table {
			if want := row.publisher == s; publish.MatchString(name) != want {
				t.Errorf("%s may publish %s: %v, the table says %v", s, name, !want, want)
			}
			if want := slices.Contains(row.consumers, s); bind.MatchString(name) != want {
				t.Errorf("%s may bind %s: %v, the table says %v", s, name, !want, want)
			}
		}
	}
}

// Each user reaches its own queue's names and writes and reads the
// exchange, and nothing of another service's, nor the default exchange
// (through which it could put messages into any queue); it may not
// configure (declare or delete) the exchange, which definitions.json
// declares.
func TestTheBrokerUsersReachOnlyTheirOwnQueues(t *testing.T) {
	defs := readDefinitions(t)
	names := func(s string, suffixes ...string) []string {
		out := []string{s}
		for _, x := range suffixes {
			out = append(out, s+"."+x)
		}
		return out
	}
	for _, s := range busServices {
		p, ok := defs.permissions[s]
		if !ok {
			t.Errorf("%s: no permissions for %s", definitionsFile, s)
			continue
		}
		for _, perm := range []struct {
			what, re string
			needs    []string
			exchange bool
		}{
			{"configure", p.Configure, names(s, "wait", "dlx", "dlq", "requeue"), false},
			{"write", p.Write, names(s, "wait", "dlx", "dlq", "requeue"), true},
			{"read", p.Read, names(s, "wait", "dlx", "requeue"), true},
		} {
			re := regexp.MustCompile(perm.re)
			forbidden := []string{"amq.default", ""}
			if perm.exchange {
				perm.needs = append(perm.needs, rabbitmq.DefaultExchange)
			} else {
				forbidden = append(forbidden, rabbitmq.DefaultExchange)
			}
			for _, n := range perm.needs {
				if !re.MatchString(n) {
					t.Errorf("%s may not %s %s, which its bus needs", s, perm.what, n)
				}
			}
			for _, o := range busServices {
				if o != s {
					forbidden = append(forbidden, names(o, "wait", "dlx", "dlq", "requeue")...)
				}
			}
			for _, n := range forbidden {
				if re.MatchString(n) {
					t.Errorf("%s may %s %q, which is not its own", s, perm.what, n)
				}
			}
		}
	}
}

// A service without events (identity) has no broker user: the events table
// names it nowhere, and definitions.json gives it no user and no
// permissions, so that no setting could connect it to the broker.
func TestAServiceWithoutEventsHasNoBrokerUser(t *testing.T) {
	table := documentTable(t)
	defs := readDefinitions(t)
	for _, s := range services {
		if slices.Contains(busServices, s) {
			continue
		}
		for name, row := range table {
			if row.publisher == s || slices.Contains(row.consumers, s) {
				t.Errorf("docs/asyncapi.yaml: %s publishes or consumes %s, but it is not among the services with a broker user %v", s, name, busServices)
			}
		}
		_, user := defs.passwords[s]
		_, perm := defs.permissions[s]
		_, topic := defs.topic[s]
		if user || perm || topic {
			t.Errorf("%s: %s has no events but a broker user (%v), permissions (%v) or topic permissions (%v)", definitionsFile, s, user, perm, topic)
		}
	}
}

// initSQLPasswords reads the roles and passwords deploy/postgres/init.sql
// creates.
func initSQLPasswords(t *testing.T) map[string]string {
	t.Helper()
	raw := mustRead(t, "../../deploy/postgres/init.sql")
	roles := map[string]string{}
	for _, m := range regexp.MustCompile(`\('(\w+)', '([^']*)'\)`).FindAllStringSubmatch(string(raw), -1) {
		roles[m[1]] = m[2]
	}
	return roles
}

// checkURLs checks that a service's broker and database URLs name its own
// user and role with the passwords the definitions and init.sql give them,
// and that a service without events (or without a database) is given no
// broker (or database) URL.
func checkURLs(t *testing.T, where, service string, env map[string]string, defs definitions, roles map[string]string) {
	t.Helper()
	if !slices.Contains(busServices, service) {
		if _, ok := env["RABBITMQ_URL"]; ok {
			t.Errorf("%s: %s has no events but a RABBITMQ_URL", where, service)
		}
	} else if amqpURL, err := url.Parse(env["RABBITMQ_URL"]); err != nil || amqpURL.User == nil {
		t.Errorf("%s: %s has no RABBITMQ_URL with a user (%q)", where, service, env["RABBITMQ_URL"])
	} else if pw, _ := amqpURL.User.Password(); amqpURL.User.Username() != service || pw != defs.passwords[service] {
		t.Errorf("%s: %s connects to the broker as %q (password %s), want its own user %q with the password of %s",
			where, service, amqpURL.User.Username(), map[bool]string{true: "matching", false: "not matching"}[pw == defs.passwords[service]], service, definitionsFile)
	}
	if !slices.Contains(databaseServices, service) {
		if _, ok := env["DATABASE_URL"]; ok {
			t.Errorf("%s: %s has no database but a DATABASE_URL", where, service)
		}
		return
	}
	if _, ok := roles[service]; !ok {
		t.Errorf("deploy/postgres/init.sql creates no role for %s, which has a database", service)
	}
	dbURL, err := url.Parse(env["DATABASE_URL"])
	if err != nil || dbURL.User == nil {
		t.Errorf("%s: %s has no DATABASE_URL with a role (%q)", where, service, env["DATABASE_URL"])
		return
	}
	if pw, _ := dbURL.User.Password(); dbURL.User.Username() != service || pw != roles[service] || dbURL.Path != "/"+service+"db" {
		t.Errorf("%s: %s connects to %s as %q, want its own role %q with the password init.sql gives it, on %sdb",
			where, service, dbURL.Path, dbURL.User.Username(), service, service)
	}
}

func TestComposeGivesEachServiceItsOwnUserAndRole(t *testing.T) {
	defs, roles := readDefinitions(t), initSQLPasswords(t)
	compose := readCompose(t)
	for _, s := range services {
		checkURLs(t, "docker-compose.yml", s, compose.Services[s].Environment, defs, roles)
	}
	for svc, mounts := range map[string][]string{
		"rabbitmq": {"./deploy/rabbitmq/rabbitmq.conf:/etc/rabbitmq/conf.d/", "./deploy/rabbitmq/definitions.json:/etc/rabbitmq/definitions/definitions.json"},
		"postgres": {"./deploy/postgres/init.sql:/docker-entrypoint-initdb.d/"},
	} {
		for _, m := range mounts {
			if !slices.ContainsFunc(compose.Services[svc].Volumes, func(v string) bool { return strings.HasPrefix(v, m) }) {
				t.Errorf("docker-compose.yml: %s does not mount %s", svc, m)
			}
		}
	}
}

func TestKubernetesGivesEachServiceItsOwnUserAndRole(t *testing.T) {
	defs, roles := readDefinitions(t), initSQLPasswords(t)
	k8s := buildManifests(t)
	for _, d := range k8s.deployments {
		env := map[string]string{}
		for _, e := range d.Spec.Template.Spec.Containers[0].Env {
			if ref := e.ValueFrom; ref != nil && ref.SecretKeyRef != nil {
				env[e.Name] = k8s.secrets[ref.SecretKeyRef.Name][ref.SecretKeyRef.Key]
			}
		}
		checkURLs(t, "deploy/k8s", d.Name, env, defs, roles)
	}

	// The broker and the database server mount the very files compose does.
	for _, m := range []struct{ set, file string }{
		{"rabbitmq", "../../deploy/rabbitmq/definitions.json"},
		{"rabbitmq", "../../deploy/rabbitmq/rabbitmq.conf"},
		{"postgres", "../../deploy/postgres/init.sql"},
	} {
		want := mustRead(t, m.file)
		name := m.file[strings.LastIndex(m.file, "/")+1:]
		found := false
		for _, v := range k8s.statefulSets[m.set].Spec.Template.Spec.Volumes {
			switch {
			case v.Secret != nil:
				found = found || k8s.secrets[v.Secret.SecretName][name] == string(want)
			case v.ConfigMap != nil:
				found = found || k8s.configMaps[v.ConfigMap.Name][name] == string(want)
			}
		}
		if !found {
			t.Errorf("deploy/k8s: the %s StatefulSet mounts no Secret or ConfigMap holding %s", m.set, m.file)
		}
	}
}

// operatorUser is the broker's administrator in definitions.json: the
// operator's (the management UI, make dlq, make reset).
const operatorUser = "operator"

// The broker has no guest: the definitions' administrator is the operator's
// own user (the management UI, make dlq, make reset), with a password of
// its own, and nothing the shop deploys (compose, Kubernetes, make run)
// connects as guest. The tests' broker that make deps starts with compose
// (deploy/compose.ports.yml) adds the tests' guest on a volume of its own,
// so the demo's broker never has it.
func TestTheBrokerHasAnOperatorAndNoGuest(t *testing.T) {
	raw := mustRead(t, definitionsFile)
	var file struct {
		Users []struct{ Name, Password, Tags string }
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	var operator bool
	for _, u := range file.Users {
		if u.Name == "guest" {
			t.Errorf("%s has the user guest (tags %q)", definitionsFile, u.Tags)
		}
		if u.Name == operatorUser {
			operator = u.Tags == "administrator" && u.Password != "" && u.Password != "guest"
		}
	}
	if !operator {
		t.Errorf("%s has no administrator %s with a password of its own", definitionsFile, operatorUser)
	}
	perms := readDefinitions(t).permissions[operatorUser]
	if perms.Configure != ".*" || perms.Write != ".*" || perms.Read != ".*" {
		t.Errorf("%s: the operator's permissions are %+v, want every resource (it replays and deletes)", definitionsFile, perms)
	}
	for _, file := range []string{"../../docker-compose.yml", "../../deploy/k8s/config.yaml", "../../deploy/scripts/run-local.sh", "../../deploy/rabbitmq/rabbitmq.conf"} {
		if text := string(mustRead(t, file)); strings.Contains(text, "guest") {
			t.Errorf("%s still names guest", file)
		}
	}
	var overlay struct {
		Services map[string]struct{ Volumes []string } `json:"services"`
	}
	if err := yaml.Unmarshal(mustRead(t, "../../deploy/compose.ports.yml"), &overlay); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(overlay.Services["rabbitmq"].Volumes, "rabbitmq-test-data:/var/lib/rabbitmq") {
		t.Errorf("deploy/compose.ports.yml: the tests' broker shares the demo's data volume (%v): its guest would reach the demo's broker",
			overlay.Services["rabbitmq"].Volumes)
	}
}
