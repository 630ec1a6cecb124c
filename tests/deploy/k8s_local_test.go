package deploy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// podSpecs builds the kustomization at dir and returns the pod spec of
// every workload in it, by "Kind/name", decoding each object strictly.
func podSpecs(t *testing.T, dir string) map[string]corev1.PodSpec {
	t.Helper()
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	specs := map[string]corev1.PodSpec{}
	for _, r := range resources.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var workload struct {
			Spec struct {
				Template struct {
					Spec *corev1.PodSpec `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if r.GetKind() == "Job" {
			if err := strictDecode(raw, &batchv1.Job{}); err != nil {
				t.Errorf("Job %s does not decode strictly: %v", r.GetName(), err)
			}
		}
		if err := json.Unmarshal(raw, &workload); err != nil {
			t.Fatalf("%s %s: %v", r.GetKind(), r.GetName(), err)
		}
		if workload.Spec.Template.Spec != nil {
			if r.GetNamespace() != "eshop" {
				t.Errorf("%s %s is in namespace %q, want eshop", r.GetKind(), r.GetName(), r.GetNamespace())
			}
			specs[r.GetKind()+"/"+r.GetName()] = *workload.Spec.Template.Spec
		}
	}
	return specs
}

// On a local cluster the images come from `kind load` (make kind-up): no
// container may ask to pull them (a :latest image pulls Always unless
// told), and kind-up builds and loads every eshop-go image the manifests
// and the demo Job name.
func TestKubernetesUsesLoadedImages(t *testing.T) {
	kindUp := string(mustRead(t, "../../deploy/scripts/kind-up.sh"))
	list := regexp.MustCompile(`(?m)^SERVICES=\(([a-z ]+)\)$`).FindStringSubmatch(kindUp)
	if list == nil {
		t.Fatal("deploy/scripts/kind-up.sh has no SERVICES=(...) line")
	}
	loaded := strings.Fields(list[1])
	if strings.Contains(kindUp, "--target tools -t eshop-go/tools:latest") {
		loaded = append(loaded, "tools")
	}
	specs := podSpecs(t, "../../deploy/k8s")
	for name, spec := range podSpecs(t, "../../deploy/k8s/demo") {
		specs[name] = spec
	}
	if _, ok := specs["Job/demo"]; !ok {
		t.Fatal("deploy/k8s/demo has no Job demo")
	}
	for name, spec := range specs {
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			if c.ImagePullPolicy != corev1.PullIfNotPresent {
				t.Errorf("%s: container %s has imagePullPolicy %q, want IfNotPresent", name, c.Name, c.ImagePullPolicy)
			}
			repo, _, _ := strings.Cut(c.Image, ":")
			if strings.HasPrefix(repo, "eshop-go/") {
				if !slices.Contains(loaded, strings.TrimPrefix(repo, "eshop-go/")) {
					t.Errorf("%s: deploy/scripts/kind-up.sh does not build and load %s (it loads %v)", name, c.Image, loaded)
				}
			}
		}
	}
}

// The demo Job runs as compose's demo service does: the same settings with
// the same values (the issuer from eshop-config, the events user's URL from
// eshop-secrets).
func TestTheDemoJobHasComposesDemoSettings(t *testing.T) {
	job := podSpecs(t, "../../deploy/k8s/demo")["Job/demo"]
	if len(job.Containers) != 1 {
		t.Fatalf("the demo Job has containers %v", job.Containers)
	}
	m := buildManifests(t)
	got := map[string]string{}
	for _, e := range job.Containers[0].Env {
		switch {
		case e.ValueFrom == nil:
			got[e.Name] = e.Value
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			got[e.Name] = m.configMaps[ref.Name][ref.Key]
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			got[e.Name] = m.secrets[ref.Name][ref.Key]
		}
	}
	want := readComposeRuntime(t).Services["demo"].Environment
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the demo Job's settings\n %v\nwant compose's demo service's\n %v", got, want)
	}
	if !slices.Equal(job.Containers[0].Command, readComposeRuntime(t).Services["demo"].Entrypoint) {
		t.Errorf("the demo Job runs %v, compose's demo %v", job.Containers[0].Command, readComposeRuntime(t).Services["demo"].Entrypoint)
	}
}

// make run, compose and deploy/k8s connect each service to the same
// broker user and database role (the names and demo passwords of
// deploy/rabbitmq/definitions.json and deploy/postgres/init.sql).
func TestMakeRunConnectsAsComposeAndKubernetesDo(t *testing.T) {
	script := string(mustRead(t, "../../deploy/scripts/run-local.sh"))
	for _, want := range []string{
		`RABBITMQ_URL="amqp://$name:$name-demo-password@`,
		`db() { echo "postgres://$1:$1-demo-password@`,
		`/${1}db?sslmode=disable"; }`,
		`import_definitions --format json <deploy/rabbitmq/definitions.json`,
		`-f - <deploy/postgres/init.sql`,
	} {
		if !strings.Contains(script, want) {
			t.Errorf("deploy/scripts/run-local.sh no longer has %q", want)
		}
	}
	compose := readComposeRuntime(t)
	m := buildManifests(t)
	userOf := regexp.MustCompile(`^(amqp|postgres)://([a-z]+):([a-z]+)-demo-password@`)
	for _, s := range services {
		for _, setting := range []string{"RABBITMQ_URL", "DATABASE_URL"} {
			v, ok := compose.Services[s].Environment[setting]
			if !ok {
				continue
			}
			if u := userOf.FindStringSubmatch(v); u == nil || u[2] != s || u[3] != s {
				t.Errorf("compose: %s's %s is %q, want its own user with its demo password, as make run sets", s, setting, v)
			}
			k8s := m.secrets["eshop-secrets"][strings.ToUpper(s)+"_"+setting]
			if k8s != v {
				t.Errorf("deploy/k8s: %s's %s is %q, compose's %q", s, setting, k8s, v)
			}
		}
	}
}

// Each service runs the same image and is judged ready by the same
// /readyz in compose (the binary's healthcheck subcommand asks it), in
// deploy/k8s (the readiness probe) and under make run (its ready loop), on
// the same port.
func TestImagesProbesAndPortsAgreeAcrossComposeKubernetesAndMakeRun(t *testing.T) {
	compose := readComposeRuntime(t)
	var raw struct {
		Services map[string]struct {
			Healthcheck struct {
				Test []string `json:"test"`
			} `json:"healthcheck"`
		} `json:"services"`
		XService struct {
			Healthcheck struct {
				Test []string `json:"test"`
			} `json:"healthcheck"`
		} `json:"x-service"`
	}
	if err := yaml.Unmarshal(mustRead(t, "../../docker-compose.yml"), &raw); err != nil {
		t.Fatal(err)
	}
	script := string(mustRead(t, "../../deploy/scripts/run-local.sh"))
	deployments := map[string]corev1.Container{}
	for _, d := range buildManifests(t).deployments {
		deployments[d.Name] = d.Spec.Template.Spec.Containers[0]
	}
	for _, s := range services {
		c, ok := deployments[s]
		if !ok {
			t.Errorf("deploy/k8s has no Deployment %s", s)
			continue
		}
		if repo, _, _ := strings.Cut(c.Image, ":"); repo != compose.Services[s].Image || repo != "eshop-go/"+s {
			t.Errorf("%s: image %q in deploy/k8s, %q in compose, want eshop-go/%s in both", s, c.Image, compose.Services[s].Image, s)
		}
		if test := raw.Services[s].Healthcheck.Test; !slices.Equal(test, []string{"CMD", "/usr/local/bin/service", "healthcheck"}) {
			t.Errorf("compose: %s's healthcheck is %v, want the binary's (GET /readyz)", s, test)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("deploy/k8s: %s's readiness probe is not GET /readyz", s)
		}
		addr := compose.Services[s].Environment["HTTP_ADDR"]
		if len(c.Ports) != 1 || ":"+fmt.Sprint(c.Ports[0].ContainerPort) != addr {
			t.Errorf("%s listens on %s in compose, on %v in deploy/k8s", s, addr, c.Ports)
		}
		if !regexp.MustCompile(`start(_on_bus)? ` + s + ` HTTP_ADDR=` + addr + `\b`).MatchString(script) {
			t.Errorf("make run does not start %s on HTTP_ADDR=%s as compose does", s, addr)
		}
	}
	if !slices.Equal(raw.XService.Healthcheck.Test, []string{"CMD", "/usr/local/bin/service", "healthcheck"}) {
		t.Errorf("compose's x-service healthcheck is %v", raw.XService.Healthcheck.Test)
	}
}
