package host_test

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/auth"
	"github.com/eshop-go/eshop-go/buildingblocks/host"
)

// testConfig is a service's Config as services write theirs.
type testConfig struct {
	host.Config
	host.DatabaseConfig
	DatabaseURL string        `env:"DATABASE_URL" envDefault:"postgres://localhost/testdb"`
	Seed        bool          `env:"TEST_SEED" envDefault:"true"`
	Retention   time.Duration `env:"TEST_RETENTION" envDefault:"1h"`
}

func TestLoadConfigTakesTheTagDefaultsAndTheServiceOwnAddressAndQueue(t *testing.T) {
	cfg, err := host.LoadConfig[testConfig]("hosttest", ":8089", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	want := testConfig{
		Config: host.Config{
			HTTPAddr: ":8089", RabbitMQURL: "amqp://guest:guest@localhost:5672/", Exchange: "eshop_event_bus",
			Queue: "hosttest", LogLevel: slog.LevelInfo, ShutdownTimeout: 25 * time.Second,
			Auth: auth.Config{Issuer: "http://localhost:8085", Audience: "eshop"},
		},
		DatabaseURL: "postgres://localhost/testdb", Seed: true, Retention: time.Hour,
		DatabaseConfig: host.DatabaseConfig{InboxRetention: 7 * 24 * time.Hour},
	}
	if cfg != want {
		t.Fatalf("LoadConfig = %+v, want %+v", cfg, want)
	}
}

func TestLoadConfigReadsEveryVariable(t *testing.T) {
	cfg, err := host.LoadConfig[testConfig]("hosttest", ":8089", map[string]string{
		"HTTP_ADDR": "127.0.0.1:9", "EVENTBUS_QUEUE": "q", "LOG_LEVEL": "debug", "SHUTDOWN_TIMEOUT": "3s",
		"TEST_SEED": "false", "DATABASE_URL": "postgres://elsewhere/db", "INBOX_RETENTION": "72h",
		"AUTH_ISSUER": "https://id.example", "AUTH_AUDIENCE": "shop", "AUTH_JWKS_URL": "http://identity:8085/keys",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:9" || cfg.Queue != "q" || cfg.LogLevel != slog.LevelDebug ||
		cfg.ShutdownTimeout != 3*time.Second || cfg.Seed || cfg.DatabaseURL != "postgres://elsewhere/db" ||
		cfg.InboxRetention != 72*time.Hour ||
		cfg.Auth != (auth.Config{Issuer: "https://id.example", Audience: "shop", JWKSURL: "http://identity:8085/keys"}) {
		t.Fatalf("LoadConfig = %+v: a variable was not read", cfg)
	}
}

func TestLoadConfigNamesEveryBadVariable(t *testing.T) {
	_, err := host.LoadConfig[testConfig]("hosttest", ":8089", map[string]string{
		"LOG_LEVEL": "loud", "SHUTDOWN_TIMEOUT": "soon", "TEST_SEED": "maybe", "INBOX_RETENTION": "a week",
	})
	if err == nil {
		t.Fatal("bad settings were accepted")
	}
	for _, name := range []string{"LOG_LEVEL", "SHUTDOWN_TIMEOUT", "TEST_SEED", "INBOX_RETENTION"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}

func TestSettingsListsTheVariablesOfTheTags(t *testing.T) {
	want := []string{"AUTH_AUDIENCE", "AUTH_ISSUER", "AUTH_JWKS_URL", "DATABASE_URL", "EVENTBUS_EXCHANGE", "EVENTBUS_PUBLISHER_USERS", "EVENTBUS_QUEUE", "HTTP_ADDR", "INBOX_RETENTION",
		"LOG_LEVEL", "RABBITMQ_URL", "SHUTDOWN_TIMEOUT", "TEST_RETENTION", "TEST_SEED"}
	if got := host.Settings[testConfig](); !slices.Equal(got, want) {
		t.Fatalf("Settings = %v, want %v", got, want)
	}
}
