package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
)

type commandTestConfig struct {
	Config
	Greeting string `env:"HOST_TEST_GREETING" envDefault:"hello"`
}

// A service's own command runs with its settings instead of the service;
// its error exits 1; an unknown command exits 2 and names the known ones.
func TestMainRunsTheServiceOwnCommands(t *testing.T) {
	t.Setenv("HOST_TEST_GREETING", "hi")
	build := func(context.Context, commandTestConfig, *slog.Logger) (*App, error) {
		t.Fatal("a command built the service")
		return nil, nil
	}
	commands := []Command[commandTestConfig]{
		{Name: "greet", Run: func(_ context.Context, cfg commandTestConfig, stdout io.Writer) error {
			_, err := fmt.Fprintln(stdout, cfg.Greeting)
			return err
		}},
		{Name: "fail", Run: func(context.Context, commandTestConfig, io.Writer) error { return errors.New("no luck") }},
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := runMain[commandTestConfig]("hosttest", ":0", build, commands, args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, _ := run("greet"); code != 0 || out != "hi\n" {
		t.Errorf("greet: exit %d, output %q; want 0 and the setting's value", code, out)
	}
	if code, _, errs := run("fail"); code != 1 || !strings.Contains(errs, "hosttest fail: no luck") {
		t.Errorf("fail: exit %d, stderr %q; want 1 and the error", code, errs)
	}
	if code, _, errs := run("frobnicate"); code != 2 || !strings.Contains(errs, "healthcheck, settings, greet, fail") {
		t.Errorf("frobnicate: exit %d, stderr %q; want 2 and the known commands", code, errs)
	}
}
