package testkit

import (
	"encoding/json"
	"slices"
	"testing"
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
