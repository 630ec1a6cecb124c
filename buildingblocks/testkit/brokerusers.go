package testkit

import (
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus/rabbitmq"
)

// ImportBrokerDefinitions loads RabbitMQ definitions (users, their
// permissions and topic permissions, as in deploy/rabbitmq/definitions.json)
// into the test broker with `rabbitmqctl import_definitions`, waits until
// the broker has every topic permission they list, and deletes the users
// they name when the test ends. Every name in them must be unique to the
// test (made with [UniqueName] or the prefix [Broker] gave), so that the
// import changes nothing another test or the shop uses.
func ImportBrokerDefinitions(t testing.TB, definitions []byte) {
	t.Helper()
	var defs struct {
		Users []struct {
			Name string `json:"name"`
		} `json:"users"`
		TopicPermissions []struct {
			User     string `json:"user"`
			Exchange string `json:"exchange"`
		} `json:"topic_permissions"`
	}
	if err := json.Unmarshal(definitions, &defs); err != nil {
		t.Fatalf("testkit: broker definitions: %v", err)
	}
	t.Cleanup(func() {
		for _, u := range defs.Users {
			if out, err := rabbitmqctl("delete_user", u.Name); err != nil {
				t.Errorf("testkit: delete broker user %s: %v: %s", u.Name, err, out)
			}
		}
	})
	if out, err := rabbitmqctlWithInput(definitions, "import_definitions", "--format", "json"); err != nil {
		t.Fatalf("testkit: rabbitmqctl import_definitions: %v: %s", err, out)
	}
	// The broker may finish the import after the command returned; topic
	// permissions come last.
	WaitFor(t, "the broker to import the definitions", func() bool {
		rows, err := rabbitmqctlList("list_topic_permissions")
		if err != nil {
			t.Fatalf("testkit: rabbitmqctl list_topic_permissions: %v", err)
		}
		for _, p := range defs.TopicPermissions {
			if !slices.ContainsFunc(rows, func(r []string) bool { return len(r) >= 2 && r[0] == p.User && r[1] == p.Exchange }) {
				return false
			}
		}
		return true
	})
}

// BrokerUsers are the users of a definitions file as [LoadBrokerUsers]
// loaded them for one test.
type BrokerUsers struct {
	// Exchange is the test's name of the shop's exchange.
	Exchange string
	// Prefix begins the test's name of every user and queue.
	Prefix string
	users  []string // as named in the file
}

// LoadBrokerUsers loads a definitions file (deploy/rabbitmq/definitions.json)
// into the test broker for one test: its exchange, the users named
// (services and operators) with their permissions and topic permissions,
// and the queues, exchanges and bindings of their names, every name in
// them made unique to the test (the exchange and prefix [Broker] gives),
// so that they reach the test's exchange and queues as the file says they
// reach the shop's. Nothing else of the file is loaded: the administrator
// and the virtual host are the shared broker's. The test fails unless the
// file has the exchange, and a user and topic permissions for each of
// users.
func LoadBrokerUsers(t testing.TB, file string, users ...string) BrokerUsers {
	t.Helper()
	exchange, prefix := Broker(t)
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// One pass, so that no name is rewritten twice.
	names := []string{rabbitmq.DefaultExchange, exchange}
	for _, u := range users {
		names = append(names, u, prefix+"_"+u)
	}
	var defs map[string][]map[string]any
	if err := json.Unmarshal([]byte(strings.NewReplacer(names...).Replace(string(raw))), &defs); err != nil {
		t.Fatalf("testkit: %s: %v", file, err)
	}
	ours := func(entries []map[string]any, key string) []map[string]any {
		var kept []map[string]any
		for _, e := range entries {
			if name, _ := e[key].(string); strings.HasPrefix(name, prefix) {
				kept = append(kept, e)
			}
		}
		return kept
	}
	test := map[string][]map[string]any{
		"exchanges":         ours(defs["exchanges"], "name"),
		"queues":            ours(defs["queues"], "name"),
		"bindings":          ours(defs["bindings"], "destination"),
		"users":             ours(defs["users"], "name"),
		"permissions":       ours(defs["permissions"], "user"),
		"topic_permissions": ours(defs["topic_permissions"], "user"),
	}
	if len(test["users"]) != len(users) || len(test["topic_permissions"]) != len(users) ||
		!slices.ContainsFunc(test["exchanges"], func(x map[string]any) bool { return x["name"] == exchange }) {
		t.Fatalf("testkit: %s: want the exchange, and a user and topic permissions for each of %v, got %v", file, users, test)
	}
	js, err := json.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	ImportBrokerDefinitions(t, js)
	return BrokerUsers{Exchange: exchange, Prefix: prefix, users: users}
}

// PublisherUsers are the broker users of the services in these
// definitions, for a bus's Config.PublisherUsers: each service's is its
// test name (Queue).
func (u BrokerUsers) PublisherUsers() map[string]string {
	users := map[string]string{}
	for _, name := range u.users {
		users[name] = u.Queue(name)
	}
	return users
}

// Queue is the test's name of user's queue (and of the user).
func (u BrokerUsers) Queue(user string) string { return u.Prefix + "_" + user }

// URL is the test broker's URL as user, with its demo password from the
// definitions file.
func (u BrokerUsers) URL(t testing.TB, user string) string {
	t.Helper()
	parsed, err := url.Parse(RabbitURL())
	if err != nil {
		t.Fatal(err)
	}
	parsed.User = url.UserPassword(u.Queue(user), u.Queue(user)+"-demo-password")
	return parsed.String()
}

// BrokerConnectionUsers lists the user of every connection open to the
// test broker, once each.
func BrokerConnectionUsers(t testing.TB) []string {
	t.Helper()
	rows, err := rabbitmqctlList("list_connections", "user")
	if err != nil {
		t.Fatalf("testkit: rabbitmqctl list_connections: %v", err)
	}
	var users []string
	for _, r := range rows {
		if !slices.Contains(users, r[0]) {
			users = append(users, r[0])
		}
	}
	return users
}
