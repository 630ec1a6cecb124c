package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// There is no Docker engine where the tests run, so this proves the image's
// build step another way: it copies what deploy/Dockerfile copies (the
// building blocks and the one service, no workspace file) and runs the same
// go build, with GOWORK=off. A service whose go.mod leans on the workspace
// (a missing requirement or go.sum line) fails here as it would in docker
// build.
func TestEachServiceBuildsAsTheDockerfileBuildsIt(t *testing.T) {
	dockerfile, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"GOWORK=off", "COPY buildingblocks buildingblocks", "COPY services/${SERVICE} services/${SERVICE}", "go build -trimpath"} {
		if !strings.Contains(string(dockerfile), want) {
			t.Fatalf("deploy/Dockerfile no longer has %q: update this test with it", want)
		}
	}
	for _, s := range services {
		t.Run(s, func(t *testing.T) {
			ctx := t.TempDir()
			if err := os.MkdirAll(filepath.Join(ctx, "services"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, dir := range []string{"buildingblocks", "services/" + s} {
				if out, err := exec.Command("cp", "-r", filepath.Join("../..", dir), filepath.Join(ctx, dir)).CombinedOutput(); err != nil {
					t.Fatalf("copy %s: %v\n%s", dir, err, out)
				}
			}
			build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(t.TempDir(), s), "./cmd/"+s)
			build.Dir = filepath.Join(ctx, "services", s)
			build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("the image's build of %s fails: %v\n%s", s, err, out)
			}
		})
	}
}

// The tools image (deploy/Dockerfile's target tools) builds the demo, the
// event tail, reset and the dead-letter tool the same way: from the
// building blocks and tests/e2e alone, with GOWORK=off.
func TestTheToolsBuildAsTheDockerfileBuildsThem(t *testing.T) {
	dockerfile, err := os.ReadFile("../../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AS tools", "COPY tests/e2e tests/e2e", "./cmd/demo ./cmd/events ./cmd/reset", "./cmd/eventbus-dlq"} {
		if !strings.Contains(string(dockerfile), want) {
			t.Fatalf("deploy/Dockerfile no longer has %q: update this test with it", want)
		}
	}
	ctx := t.TempDir()
	os.MkdirAll(filepath.Join(ctx, "tests"), 0o755)
	for _, dir := range []string{"buildingblocks", "tests/e2e"} {
		if out, err := exec.Command("cp", "-r", filepath.Join("../..", dir), filepath.Join(ctx, dir)).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v\n%s", dir, err, out)
		}
	}
	for dir, pkgs := range map[string][]string{"tests/e2e": {"./cmd/demo", "./cmd/events", "./cmd/reset"}, "buildingblocks": {"./cmd/eventbus-dlq"}} {
		build := exec.Command("go", append([]string{"build", "-trimpath", "-o", t.TempDir() + "/"}, pkgs...)...)
		build.Dir = filepath.Join(ctx, dir)
		build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("the tools image's build in %s fails: %v\n%s", dir, err, out)
		}
	}
}
