package deploy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// shutdownTimeout is the services' default SHUTDOWN_TIMEOUT
// (buildingblocks/host): how long a graceful stop may take.
const shutdownTimeout = 25 * time.Second

// composeRuntime is what these tests read of the compose file's services.
type composeRuntime struct {
	Services map[string]struct {
		Image           string            `json:"image"`
		Ports           []string          `json:"ports"`
		Profiles        []string          `json:"profiles"`
		StopGracePeriod string            `json:"stop_grace_period"`
		Entrypoint      []string          `json:"entrypoint"`
		Environment     map[string]string `json:"environment"`
		Build           struct {
			Dockerfile string `json:"dockerfile"`
			Target     string `json:"target"`
		} `json:"build"`
	} `json:"services"`
}

func readComposeRuntime(t *testing.T) composeRuntime {
	t.Helper()
	var c composeRuntime
	if err := yaml.Unmarshal(mustRead(t, "../../docker-compose.yml"), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Docker waits stop_grace_period before its SIGKILL: longer than a
// service's graceful stop, on every service.
func TestComposeLetsEveryServiceStopGracefully(t *testing.T) {
	for name, s := range readComposeRuntime(t).Services {
		grace, err := time.ParseDuration(s.StopGracePeriod)
		if err != nil || grace <= shutdownTimeout {
			t.Errorf("docker-compose.yml: %s has stop_grace_period %q, want more than SHUTDOWN_TIMEOUT %s", name, s.StopGracePeriod, shutdownTimeout)
		}
	}
}

// PostgreSQL and RabbitMQ's AMQP port stay inside compose's network (a
// local server may hold 5432 and 5672): only the management UI is
// published; deploy/compose.ports.yml publishes them, on 127.0.0.1, for
// make deps.
func TestComposePublishesNoDatabaseOrBrokerPort(t *testing.T) {
	c := readComposeRuntime(t)
	if p := c.Services["postgres"].Ports; len(p) > 0 {
		t.Errorf("docker-compose.yml publishes postgres on %v", p)
	}
	if p := c.Services["rabbitmq"].Ports; !slices.Equal(p, []string{"127.0.0.1:15672:15672"}) {
		t.Errorf("docker-compose.yml publishes rabbitmq on %v, want the management UI only", p)
	}
	var overlay composeRuntime
	if err := yaml.Unmarshal(mustRead(t, "../../deploy/compose.ports.yml"), &overlay); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"postgres": "127.0.0.1:5432:5432", "rabbitmq": "127.0.0.1:5672:5672"} {
		if p := overlay.Services[name].Ports; !slices.Equal(p, []string{want}) {
			t.Errorf("deploy/compose.ports.yml publishes %s on %v, want %s", name, p, want)
		}
	}
}

// Compose publishes every port on 127.0.0.1 only: the shop, its sign-in,
// the broker's management UI and the OpenTelemetry backend are for the
// developer at this machine, not for its network.
func TestComposeBindsEveryPublishedPortToLoopback(t *testing.T) {
	for _, file := range []string{"../../docker-compose.yml", "../../deploy/compose.ports.yml"} {
		var c composeRuntime
		if err := yaml.Unmarshal(mustRead(t, file), &c); err != nil {
			t.Fatal(err)
		}
		published := 0
		for name, s := range c.Services {
			for _, p := range s.Ports {
				published++
				if !strings.HasPrefix(p, "127.0.0.1:") || strings.Count(p, ":") != 2 {
					t.Errorf("%s: %s publishes %q, want 127.0.0.1:<host port>:<container port>", file, name, p)
				}
			}
		}
		if published == 0 {
			t.Errorf("%s publishes no port: the test read nothing", file)
		}
	}
}

// The operator's tools are compose services under the profile tools, run
// from the tools image (docker compose run --rm demo), each with its
// binary; the demo and the tail watch the bus as the read-only events user.
func TestComposeHasTheToolsUnderAProfile(t *testing.T) {
	c := readComposeRuntime(t)
	for tool, binary := range map[string]string{"demo": "demo", "events": "events", "dlq": "eventbus-dlq"} {
		s, ok := c.Services[tool]
		if !ok {
			t.Errorf("docker-compose.yml has no service %s", tool)
			continue
		}
		if !slices.Equal(s.Profiles, []string{"tools"}) || s.Build.Target != "tools" || s.Image != "eshop-go/tools" ||
			!slices.Equal(s.Entrypoint, []string{"/usr/local/bin/" + binary}) {
			t.Errorf("docker-compose.yml: %s is %+v, want profile tools, the tools target and image, entrypoint %s", tool, s, binary)
		}
		if tool != "dlq" && !strings.HasPrefix(s.Environment["RABBITMQ_URL"], "amqp://events:") {
			t.Errorf("docker-compose.yml: %s connects as %q, want the events user", tool, s.Environment["RABBITMQ_URL"])
		}
	}
	for name, s := range c.Services {
		if len(s.Profiles) == 0 && s.Build.Target == "tools" {
			t.Errorf("docker-compose.yml: %s runs the tools image without a profile: docker compose up would start it", name)
		}
	}
}
