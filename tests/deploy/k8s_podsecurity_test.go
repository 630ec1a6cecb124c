package deploy

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// The kustomizations whose pods run in the shop's namespace: the shop and
// the demo Job.
var kustomizations = []string{"../../deploy/k8s", "../../deploy/k8s/demo"}

// podTemplates returns every pod template of the kustomizations, by the
// name of its workload.
func podTemplates(t *testing.T) map[string]corev1.PodTemplateSpec {
	t.Helper()
	pods := map[string]corev1.PodTemplateSpec{}
	for _, dir := range kustomizations {
		for _, r := range kustomizeBuildDir(t, dir) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			switch o := r.value.(type) {
			case *appsv1.Deployment:
				pods[o.Name] = o.Spec.Template
			case *appsv1.StatefulSet:
				pods[o.Name] = o.Spec.Template
			case *batchv1.Job:
				pods[o.Name] = o.Spec.Template
			case *appsv1.DaemonSet, *appsv1.ReplicaSet, *batchv1.CronJob, *corev1.Pod:
				t.Fatalf("%s %s: a kind of workload this test does not read", r.GetKind(), r.GetName())
			}
		}
	}
	return pods
}

// needsServiceAccountToken are the pods that call the Kubernetes API, and
// why: every other pod runs without a service-account token.
var needsServiceAccountToken = map[string]string{
	"lgtm": "its Prometheus discovers the pods to scrape through the API (Role lgtm-discover-pods)",
}

// runsAsRoot are the pods whose image must start as root, and why: every
// other pod runs as a non-root user, and drops every capability.
var runsAsRoot = map[string]string{
	"lgtm": "grafana/otel-lgtm runs its five programs as root and writes under /data and /otel-lgtm",
}

// Every pod runs under the runtime's default seccomp profile, without the
// service account token unless it calls the API, as a non-root user with
// no capabilities unless its image cannot (the infrastructure too:
// PostgreSQL as postgres, RabbitMQ as rabbitmq), and no container may gain
// privileges.
func TestEveryPodIsConfinedAsFarAsItsImageAllows(t *testing.T) {
	pods := podTemplates(t)
	for _, want := range append([]string{"postgres", "rabbitmq", "lgtm", "demo"}, services...) {
		if _, ok := pods[want]; !ok {
			t.Errorf("no pod template %s", want)
		}
	}
	for name, pod := range pods {
		spec := pod.Spec
		sc := spec.SecurityContext
		if sc == nil || sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: the pod's seccomp profile is not RuntimeDefault", name)
		}
		automount := spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken
		if _, needs := needsServiceAccountToken[name]; automount != needs {
			t.Errorf("%s: automountServiceAccountToken %v; want it only for the pods that call the API (%v)", name, automount, needsServiceAccountToken)
		}
		_, root := runsAsRoot[name]
		nonRoot := sc != nil && sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && sc.RunAsUser != nil && *sc.RunAsUser != 0
		if nonRoot == root {
			t.Errorf("%s: runAsNonRoot with a non-root runAsUser: %v; want it on every pod but %v", name, nonRoot, runsAsRoot)
		}
		for _, c := range append(spec.InitContainers, spec.Containers...) {
			csc := c.SecurityContext
			if csc == nil || csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
				t.Errorf("%s: container %s may gain privileges (allowPrivilegeEscalation is not false)", name, c.Name)
			}
			if !root && (csc == nil || csc.Capabilities == nil || len(csc.Capabilities.Drop) != 1 || csc.Capabilities.Drop[0] != "ALL") {
				t.Errorf("%s: container %s does not drop every capability", name, c.Name)
			}
		}
	}
}
