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
	dockerfileHas(t, "GOWORK=off", "COPY buildingblocks buildingblocks", "COPY services/${SERVICE} services/${SERVICE}", "go build -trimpath")
	for _, s := range services {
		t.Run(s, func(t *testing.T) {
			ctx := buildContext(t, "buildingblocks", "services/"+s)
			if out, err := imageBuild(filepath.Join(ctx, "services", s), "-ldflags=-s -w", "-o", filepath.Join(t.TempDir(), s), "./cmd/"+s); err != nil {
				t.Fatalf("the image's build of %s fails: %v\n%s", s, err, out)
			}
		})
	}
}

// The tools image (deploy/Dockerfile's target tools) builds the demo, the
// event tail, reset and the dead-letter tool the same way: from the
// building blocks, the webapp (whose shopapi types the demo's client
// decodes with) and tests/e2e alone, with GOWORK=off.
func TestTheToolsBuildAsTheDockerfileBuildsThem(t *testing.T) {
	dockerfileHas(t, "AS tools", "COPY services/webapp services/webapp", "COPY tests/e2e tests/e2e", "./cmd/demo ./cmd/events ./cmd/reset", "./cmd/eventbus-dlq")
	ctx := buildContext(t, "buildingblocks", "services/webapp", "tests/e2e")
	for dir, pkgs := range map[string][]string{"tests/e2e": {"./cmd/demo", "./cmd/events", "./cmd/reset"}, "buildingblocks": {"./cmd/eventbus-dlq"}} {
		if out, err := imageBuild(filepath.Join(ctx, dir), append([]string{"-o", t.TempDir() + "/"}, pkgs...)...); err != nil {
			t.Fatalf("the tools image's build in %s fails: %v\n%s", dir, err, out)
		}
	}
}

// dockerfileHas fails the test unless deploy/Dockerfile still has each of
// wants: the steps the test repeats.
func dockerfileHas(t *testing.T, wants ...string) {
	t.Helper()
	dockerfile := mustRead(t, "../../deploy/Dockerfile")
	for _, want := range wants {
		if !strings.Contains(string(dockerfile), want) {
			t.Fatalf("deploy/Dockerfile no longer has %q: update this test with it", want)
		}
	}
}

// buildContext copies dirs of the repository into a new folder, as the
// Dockerfile's COPY steps do, and returns the folder.
func buildContext(t *testing.T, dirs ...string) string {
	t.Helper()
	ctx := t.TempDir()
	for _, dir := range dirs {
		dest := filepath.Join(ctx, dir)
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-r", filepath.Join("../..", dir), dest).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v\n%s", dir, err, out)
		}
	}
	return ctx
}

// imageBuild runs go build -trimpath in dir as the image does: without the
// workspace, without cgo, and with go.mod and go.sum as they are.
func imageBuild(dir string, args ...string) ([]byte, error) {
	build := exec.Command("go", append([]string{"build", "-trimpath"}, args...)...)
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	return build.CombinedOutput()
}
