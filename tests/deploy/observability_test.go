package deploy

import (
	"net"
	"path"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// otlpEndpoint is where compose and deploy/k8s point every service's
// OTLP/HTTP export: the OpenTelemetry backend, lgtm.
const otlpEndpoint = "http://lgtm:4318"

// Where the grafana/otel-lgtm image reads its Prometheus configuration and
// Grafana's dashboard providers.
const (
	lgtmPrometheusConfig = "/otel-lgtm/prometheus.yaml"
	lgtmDashboards       = "/otel-lgtm/grafana/conf/provisioning/dashboards"
)

// prometheusConfig is what the tests read of a Prometheus configuration.
type prometheusConfig struct {
	ScrapeConfigs []struct {
		JobName       string `json:"job_name"`
		MetricsPath   string `json:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `json:"targets"`
		} `json:"static_configs"`
		KubernetesSDConfigs []struct {
			Role string `json:"role"`
		} `json:"kubernetes_sd_configs"`
		RelabelConfigs []struct {
			SourceLabels []string `json:"source_labels"`
			Regex        string   `json:"regex"`
			Action       string   `json:"action"`
			TargetLabel  string   `json:"target_label"`
		} `json:"relabel_configs"`
	} `json:"scrape_configs"`
}

func parsePrometheus(t *testing.T, where string, raw []byte) prometheusConfig {
	t.Helper()
	var c prometheusConfig
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return c
}

// dashboardProvider is a Grafana dashboard provider file: the folder it
// loads dashboards from.
func dashboardProvider(t *testing.T, where string, raw []byte) string {
	t.Helper()
	var p struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		}
	}
	if err := yaml.Unmarshal(raw, &p); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if len(p.Providers) != 1 || p.Providers[0].Type != "file" || p.Providers[0].Options.Path == "" {
		t.Fatalf("%s: want one file provider with a path, got %+v", where, p.Providers)
	}
	return p.Providers[0].Options.Path
}

func checkImage(t *testing.T, where, image string) {
	t.Helper()
	name, tag, _ := strings.Cut(image, ":")
	if name != "grafana/otel-lgtm" || tag == "" || tag == "latest" {
		t.Errorf("%s: the OpenTelemetry backend's image is %q, want grafana/otel-lgtm at a pinned tag", where, image)
	}
}

func httpPort(t *testing.T, where, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		t.Errorf("%s: HTTP_ADDR %q has no port", where, addr)
	}
	return port
}

// Under compose every service sends its spans to the OpenTelemetry backend,
// whose Prometheus scrapes every service's GET /metrics on its HTTP port,
// and whose Grafana loads the dashboard of deploy/grafana.
func TestComposePointsEveryServiceAtTheOpenTelemetryBackend(t *testing.T) {
	compose := readCompose(t)
	lgtm, ok := compose.Services["lgtm"]
	if !ok {
		t.Fatal("docker-compose.yml has no service lgtm")
	}
	checkImage(t, "docker-compose.yml", lgtm.Image)
	mounts := map[string]string{} // in the container: from the repository
	for _, v := range lgtm.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Fatalf("lgtm: volume %q", v)
		}
		mounts[parts[1]] = strings.TrimPrefix(parts[0], "./")
	}
	read := func(inContainer string) []byte {
		t.Helper()
		file, ok := mounts[inContainer]
		if !ok {
			t.Fatalf("lgtm mounts nothing at %s", inContainer)
		}
		return mustRead(t, "../../"+file)
	}

	scraped := map[string]string{} // target: path
	for _, sc := range parsePrometheus(t, lgtmPrometheusConfig, read(lgtmPrometheusConfig)).ScrapeConfigs {
		for _, sc2 := range sc.StaticConfigs {
			for _, target := range sc2.Targets {
				scraped[target] = sc.MetricsPath
				if scraped[target] == "" {
					scraped[target] = "/metrics" // Prometheus's default
				}
			}
		}
	}
	for _, s := range services {
		env := compose.Services[s].Environment
		if env["OTEL_EXPORTER_OTLP_ENDPOINT"] != otlpEndpoint {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT is %q, want %s", s, env["OTEL_EXPORTER_OTLP_ENDPOINT"], otlpEndpoint)
		}
		if env["OTEL_SERVICE_NAME"] != s {
			t.Errorf("%s: OTEL_SERVICE_NAME is %q, want %s", s, env["OTEL_SERVICE_NAME"], s)
		}
		target := s + ":" + httpPort(t, s, env["HTTP_ADDR"])
		if got, ok := scraped[target]; !ok || got != "/metrics" {
			t.Errorf("lgtm's Prometheus does not scrape %s/metrics (it scrapes %v)", target, scraped)
		}
	}

	var providers []string
	for inContainer := range mounts {
		if path.Dir(inContainer) == lgtmDashboards && strings.HasSuffix(inContainer, ".yaml") {
			providers = append(providers, inContainer)
		}
	}
	if len(providers) != 1 {
		t.Fatalf("lgtm: want one dashboard provider mounted in %s, got %v", lgtmDashboards, providers)
	}
	folder := dashboardProvider(t, providers[0], read(providers[0]))
	dashboard := path.Join(folder, path.Base(dashboardFile))
	if "../../"+mounts[dashboard] != dashboardFile {
		t.Errorf("lgtm mounts %q at %s, the provider's folder; want %s", mounts[dashboard], dashboard, dashboardFile)
	}
	if home := compose.Services["lgtm"].Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != dashboard {
		t.Errorf("Grafana's home dashboard is %q, want %s", home, dashboard)
	}
}

// mountedConfig returns the ConfigMap key a container mounts at path
// (a subPath mount of a ConfigMap volume), or fails the test.
func mountedConfig(t *testing.T, k8s manifests, pod corev1.PodSpec, c corev1.Container, at string) []byte {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if m.MountPath != at {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.ConfigMap != nil {
				data, ok := k8s.configMaps[v.ConfigMap.Name][m.SubPath]
				if !ok {
					t.Fatalf("ConfigMap %s has no key %q", v.ConfigMap.Name, m.SubPath)
				}
				return []byte(data)
			}
		}
	}
	t.Fatalf("%s mounts no ConfigMap key at %s", c.Name, at)
	return nil
}

// In deploy/k8s every service's pods carry Prometheus's scrape annotations
// for their HTTP port and /metrics, and the OTLP endpoint of the lgtm
// Service; lgtm's Prometheus scrapes the pods so annotated.
func TestKubernetesPodsCarryScrapeAnnotationsAndTheOTLPEndpoint(t *testing.T) {
	k8s := buildManifests(t)
	seen := map[string]bool{}
	for _, d := range k8s.deployments {
		seen[d.Name] = true
		c := d.Spec.Template.Spec.Containers[0]
		port := ""
		for _, p := range c.Ports {
			if p.Name == "http" {
				port = strconv.Itoa(int(p.ContainerPort))
			}
		}
		env := containerEnv(k8s, c)
		if port == "" || httpPort(t, d.Name, env["HTTP_ADDR"]) != port {
			t.Errorf("%s: container port http %q, HTTP_ADDR %q", d.Name, port, env["HTTP_ADDR"])
		}
		a := d.Spec.Template.Annotations
		if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != port || a["prometheus.io/path"] != "/metrics" {
			t.Errorf("%s: pod annotations %v, want prometheus.io/scrape true, port %s, path /metrics", d.Name, a, port)
		}
		if env["OTEL_EXPORTER_OTLP_ENDPOINT"] != otlpEndpoint {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT is %q, want %s", d.Name, env["OTEL_EXPORTER_OTLP_ENDPOINT"], otlpEndpoint)
		}
		if env["OTEL_SERVICE_NAME"] != d.Name {
			t.Errorf("%s: OTEL_SERVICE_NAME is %q, want %s", d.Name, env["OTEL_SERVICE_NAME"], d.Name)
		}
	}
	for _, s := range services {
		if !seen[s] {
			t.Errorf("no Deployment %s", s)
		}
	}

	lgtm, ok := k8s.backends["lgtm"]
	if !ok {
		t.Fatal("deploy/k8s has no Deployment lgtm")
	}
	pod := lgtm.Spec.Template.Spec
	c := pod.Containers[0]
	checkImage(t, "deploy/k8s", c.Image)
	otlp := false
	for _, p := range k8s.services["lgtm"].Spec.Ports {
		for _, cp := range c.Ports {
			otlp = otlp || p.Port == 4318 && p.TargetPort.String() == cp.Name && cp.ContainerPort == 4318
		}
	}
	if !otlp {
		t.Errorf("the Service lgtm does not take OTLP/HTTP on 4318 to lgtm's container port 4318")
	}

	prom := parsePrometheus(t, "lgtm's prometheus.yaml", mountedConfig(t, k8s, pod, c, lgtmPrometheusConfig))
	relabels := map[string]string{} // source label: what it becomes
	pods := false
	for _, sc := range prom.ScrapeConfigs {
		for _, sd := range sc.KubernetesSDConfigs {
			pods = pods || sd.Role == "pod"
		}
		for _, r := range sc.RelabelConfigs {
			for _, l := range r.SourceLabels {
				relabels[l] = r.TargetLabel
				if r.Action == "keep" && r.Regex == "true" {
					relabels[l] = "keep"
				}
			}
		}
	}
	for annotation, want := range map[string]string{
		"__meta_kubernetes_pod_annotation_prometheus_io_scrape": "keep",
		"__meta_kubernetes_pod_annotation_prometheus_io_port":   "__address__",
		"__meta_kubernetes_pod_annotation_prometheus_io_path":   "__metrics_path__",
		"__meta_kubernetes_pod_label_app_kubernetes_io_name":    "job",
	} {
		if !pods || relabels[annotation] != want {
			t.Errorf("lgtm's Prometheus: %s does not become %s (pod discovery %v, relabels %v)", annotation, want, pods, relabels)
		}
	}
	folder := dashboardProvider(t, "lgtm's dashboard provider", mountedConfig(t, k8s, pod, c, lgtmDashboards+"/eshop.yaml"))
	want := mustRead(t, dashboardFile)
	if got := mountedConfig(t, k8s, pod, c, path.Join(folder, path.Base(dashboardFile))); string(got) != string(want) {
		t.Errorf("lgtm's dashboard in %s is not %s", folder, dashboardFile)
	}
}
