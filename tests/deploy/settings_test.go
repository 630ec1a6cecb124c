package deploy

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// services are the services docker-compose.yml and deploy/k8s run, each
// built from deploy/Dockerfile.
var services = []string{"identity", "catalog", "basket", "ordering", "payment", "webapp"}

// busServices are those with events, each with its broker user. Identity
// publishes and consumes none: it has no broker user and is given no
// broker URL.
var busServices = []string{"catalog", "basket", "ordering", "payment", "webapp"}

// composeFile is what the tests read of docker-compose.yml.
type composeFile struct {
	Services map[string]struct {
		Image       string            `json:"image"`
		Environment map[string]string `json:"environment"`
		Volumes     []string          `json:"volumes"`
		Ports       []string          `json:"ports"`
		DependsOn   map[string]any    `json:"depends_on"`
	} `json:"services"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw := mustRead(t, "../../docker-compose.yml")
	var compose composeFile
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return compose
}

// otelSettings are OpenTelemetry's standard variables (docs/observability.md,
// "Traces") that compose and deploy/k8s set: the OpenTelemetry SDK reads
// them itself, not the service's configuration.
var otelSettings = []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SERVICE_NAME"}

// otelSDK is the module of the OpenTelemetry SDK, as `go version -m` lists
// a binary's dependencies.
const otelSDK = "go.opentelemetry.io/otel/sdk"

// settingsOf builds a service and asks it which settings it reads
// (`<binary> settings`, the names its configuration looked up), plus
// OpenTelemetry's variables if the binary has the OpenTelemetry SDK.
func settingsOf(t *testing.T, service string) []string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), service)
	build := exec.Command("go", "build", "-o", bin, "./services/"+service+"/cmd/"+service)
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", service, err, out)
	}
	out, err := exec.Command(bin, "settings").Output()
	if err != nil {
		t.Fatalf("%s settings: %v", service, err)
	}
	names := strings.Fields(string(out))
	if !slices.Contains(names, "HTTP_ADDR") || !slices.Contains(names, "RABBITMQ_URL") {
		t.Fatalf("%s settings = %v: HTTP_ADDR and RABBITMQ_URL missing, the subcommand does not list what the service reads", service, names)
	}
	deps, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m %s: %v", service, err)
	}
	if strings.Contains(string(deps), "\tdep\t"+otelSDK+"\t") {
		names = append(names, otelSettings...)
	}
	return names
}

func TestComposeAndKubernetesSetOnlySettingsTheServicesRead(t *testing.T) {
	reads := map[string][]string{}
	for _, s := range services {
		reads[s] = settingsOf(t, s)
		t.Logf("%s reads %v", s, reads[s])
	}

	compose := readCompose(t)
	for _, s := range services {
		svc, ok := compose.Services[s]
		if !ok {
			t.Errorf("docker-compose.yml has no service %s", s)
			continue
		}
		for name := range svc.Environment {
			if !slices.Contains(reads[s], name) {
				t.Errorf("docker-compose.yml sets %s on %s, which %s does not read%s", name, s, s, unlessOTel(name))
			}
		}
	}

	k8s := buildManifests(t)
	for _, d := range k8s.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			var set []string
			for _, e := range c.Env {
				set = append(set, e.Name)
			}
			for _, from := range c.EnvFrom {
				if from.ConfigMapRef != nil {
					for key := range k8s.configMaps[from.ConfigMapRef.Name] {
						set = append(set, key)
					}
				}
			}
			for _, name := range set {
				if !slices.Contains(reads[d.Name], name) {
					t.Errorf("deploy/k8s sets %s on %s, which %s does not read%s", name, d.Name, d.Name, unlessOTel(name))
				}
			}
		}
	}
}

// unlessOTel says why an OpenTelemetry variable is not read: the binary
// does not have the SDK.
func unlessOTel(name string) string {
	if slices.Contains(otelSettings, name) {
		return " (" + otelSDK + " is not in the binary)"
	}
	return ""
}
