package identity

import (
	"strings"
	"testing"
)

func TestClientsReadsAJSONArrayAndRefusesWhatCannotWork(t *testing.T) {
	var cs Clients
	if err := cs.UnmarshalText([]byte(`[{"id":"web","secret":"s","redirect_uris":["https://x/cb"]},{"id":"cli","redirect_uris":["http://127.0.0.1/cb"]},{"id":"bot","secret":"b","roles":["admin"]}]`)); err != nil {
		t.Fatal(err)
	}
	if web, _ := cs.ByID("web"); web.Public() || web.Machine() {
		t.Errorf("web: %+v, want a confidential client that signs users in", web)
	}
	if cli, _ := cs.ByID("cli"); !cli.Public() {
		t.Errorf("cli: %+v, want public", cli)
	}
	if bot, ok := cs.ByID("bot"); !ok || !bot.Machine() || bot.Roles[0] != "admin" {
		t.Errorf("bot: %+v, want a machine client with its roles", bot)
	}
	if _, ok := cs.ByID("nobody"); ok {
		t.Error("found a client not listed")
	}
	for text, want := range map[string]string{
		`{"id":"x"}`:       "not a JSON array",
		`[{"secret":"s"}]`: "no id",
		`[{"id":"a","secret":"s"},{"id":"a","secret":"t"}]`: "listed twice",
		`[{"id":"a"}]`: "neither redirect URIs nor a secret",
	} {
		if err := new(Clients).UnmarshalText([]byte(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", text, err, want)
		}
	}
}
