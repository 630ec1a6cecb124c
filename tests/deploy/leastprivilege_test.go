package deploy

import (
	"encoding/json"
	"net/url"
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

// checkTable fails the test unless the events table of the markdown file
// at path lists the same events, publishers and consumers as want.
func checkTable(t *testing.T, path string, want map[string]eventRow) {
	t.Helper()
	for _, d := range tableDrift(path, mustRead(t, path), want) {
		t.Error(d)
	}
}

// The broker enforces who may publish and bind what (docs/events.md, "Who may
// publish what"), as the event contract docs/asyncapi.yaml says: its send
// and receive operations name the services. The document is checked
// against the events table of docs/events.md and the summary table of
// docs/architecture.md, so neither drifts unnoticed. (The services'
// EventName() methods cannot tell which events a service publishes and
// which it consumes: each declares both.)
func TestTheBrokerUsersMayPublishAndBindWhatTheEventsTableSays(t *testing.T) {
	table := documentTable(t)
	checkTable(t, eventsDoc, table)
	checkTable(t, architectureDoc, table)

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

// Each user reaches its own queue and the exchange as its bus needs, and
// no more: it configures (declares, deletes, re-argues) nothing, since
// definitions.json declares its queues and exchanges (a user that could
// declare its wait queue anew could make it dead-letter into the shop's
// exchange, which topic permissions do not check); it writes its queue
// (to bind it), the exchange and its requeue exchange (retries and parked
// copies), but not its dead-letter exchange (which would plant dead
// letters); it reads its queue and the exchange (to bind). Nothing of
// another service's, nor the default exchange (through which it could put
// messages into any queue).
func TestTheBrokerUsersReachOnlyTheirOwnQueues(t *testing.T) {
	defs := readDefinitions(t)
	names := func(s string, suffixes ...string) []string {
		out := []string{}
		for _, x := range suffixes {
			out = append(out, s+x)
		}
		return out
	}
	all := []string{"", ".wait", ".dlx", ".dlq", ".requeue"}
	for _, s := range busServices {
		p, ok := defs.permissions[s]
		if !ok {
			t.Errorf("%s: no permissions for %s", definitionsFile, s)
			continue
		}
		for _, perm := range []struct {
			what, re       string
			needs, forbids []string
		}{
			{"configure", p.Configure, nil, append(names(s, all...), rabbitmq.DefaultExchange)},
			{"write", p.Write, append(names(s, "", ".requeue"), rabbitmq.DefaultExchange), names(s, ".wait", ".dlx", ".dlq")},
			{"read", p.Read, append(names(s, ""), rabbitmq.DefaultExchange), names(s, ".wait", ".dlx", ".dlq", ".requeue")},
		} {
			re := regexp.MustCompile(perm.re)
			for _, n := range perm.needs {
				if !re.MatchString(n) {
					t.Errorf("%s may not %s %s, which its bus needs", s, perm.what, n)
				}
			}
			forbidden := append([]string{"amq.default"}, perm.forbids...)
			for _, o := range busServices {
				if o != s {
					forbidden = append(forbidden, names(o, all...)...)
				}
			}
			for _, n := range forbidden {
				if re.MatchString(n) {
					t.Errorf("%s may %s %q, which it must not", s, perm.what, n)
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
