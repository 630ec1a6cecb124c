package deploy

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// composeSchema is the Compose Specification's JSON schema, the dialect of
// `docker compose` (v2); testdata/compose-spec.README.md says where it comes
// from. make validate-compose checks the files with docker-compose v1 too.
const composeSchema = "testdata/compose-spec.json"

// docker-compose.yml and its ports overlay are valid Compose files by the
// specification's schema.
func TestComposeFilesMatchTheComposeSpecSchema(t *testing.T) {
	raw := mustRead(t, composeSchema)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", composeSchema, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("compose-spec.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("compose-spec.json")
	if err != nil {
		t.Fatalf("compile %s: %v", composeSchema, err)
	}
	for _, file := range []string{"../../docker-compose.yml", "../../deploy/compose.ports.yml"} {
		if err := schema.Validate(composeValue(t, file)); err != nil {
			t.Errorf("%s does not match the Compose Specification: %v", file, err)
		}
	}
	// The schema refuses what it should: a service key compose does not
	// know.
	bad := strings.Replace(string(mustRead(t, "../../docker-compose.yml")), "stop_grace_period: 40s", "stop_grace: 40s", 1)
	if err := schema.Validate(yamlValue(t, "a misspelt key", []byte(bad))); err == nil {
		t.Error("the schema accepts a service with stop_grace: the test cannot fail")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func composeValue(t *testing.T, path string) any {
	t.Helper()
	return yamlValue(t, path, mustRead(t, path))
}

// yamlValue is the YAML document as the JSON value the schema validates.
func yamlValue(t *testing.T, what string, raw []byte) any {
	t.Helper()
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}
