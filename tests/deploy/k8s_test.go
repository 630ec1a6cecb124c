// Package deploy checks the deployment files: the Kubernetes manifests
// build with kustomize and every object decodes strictly into its API type,
// and the compose file sets only settings the services read.
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// apiTypes knows the Go type of every kind in the API groups the manifests
// use, so that decoding into a new value of it rejects fields the type does
// not have.
var apiTypes = func() *runtime.Scheme {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme, rbacv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return scheme
}()

// newObject returns an empty value of the API type for apiVersion/kind.
func newObject(apiVersion, kind string) (any, error) {
	obj, err := apiTypes.New(schema.FromAPIVersionAndKind(apiVersion, kind))
	if err != nil {
		return nil, fmt.Errorf("%w: add its API group to apiTypes", err)
	}
	return obj, nil
}

func strictDecode(raw []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

// manifests is what `kustomize build deploy/k8s` gives, by kind and name.
type manifests struct {
	configMaps  map[string]map[string]string
	secrets     map[string]map[string]string // data and stringData
	deployments []appsv1.Deployment          // the shop's services
	// backends are the other Deployments, by name: the OpenTelemetry
	// backend (lgtm).
	backends     map[string]appsv1.Deployment
	statefulSets map[string]appsv1.StatefulSet
	services     map[string]corev1.Service
}

// k8sObject is one object of `kustomize build deploy/k8s`, decoded
// strictly into a new value of its API type, or the error that kept it from
// that.
type k8sObject struct {
	*resource.Resource
	value any
	err   error
}

// kustomizeBuild is what `kustomize build deploy/k8s` gives, object by
// object.
func kustomizeBuild(t *testing.T) []k8sObject { return kustomizeBuildDir(t, "../../deploy/k8s") }

// kustomizeBuildDir is what `kustomize build dir` gives, object by object.
func kustomizeBuildDir(t *testing.T, dir string) []k8sObject {
	t.Helper()
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objects []k8sObject
	for _, r := range resources.Resources() {
		raw, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		o := k8sObject{Resource: r}
		if o.value, o.err = newObject(r.GetApiVersion(), r.GetKind()); o.err == nil {
			if err := strictDecode(raw, o.value); err != nil {
				o.err = fmt.Errorf("%s %s does not decode strictly: %w", r.GetKind(), r.GetName(), err)
			}
		}
		objects = append(objects, o)
	}
	return objects
}

func buildManifests(t *testing.T) manifests {
	t.Helper()
	m := manifests{configMaps: map[string]map[string]string{}, secrets: map[string]map[string]string{}, backends: map[string]appsv1.Deployment{},
		statefulSets: map[string]appsv1.StatefulSet{}, services: map[string]corev1.Service{}}
	for _, r := range kustomizeBuild(t) {
		if r.err != nil {
			t.Fatal(r.err)
		}
		switch o := r.value.(type) {
		case *corev1.ConfigMap:
			m.configMaps[o.Name] = o.Data
		case *corev1.Secret:
			data := map[string]string{}
			for k, v := range o.Data {
				data[k] = string(v)
			}
			maps.Copy(data, o.StringData)
			m.secrets[o.Name] = data
		case *appsv1.Deployment:
			if slices.Contains(services, o.Name) {
				m.deployments = append(m.deployments, *o)
			} else {
				m.backends[o.Name] = *o
			}
		case *appsv1.StatefulSet:
			m.statefulSets[o.Name] = *o
		case *corev1.Service:
			m.services[o.Name] = *o
		}
	}
	return m
}

func TestKustomizeBuildsAndEveryObjectDecodesStrictly(t *testing.T) {
	deployments := map[string]*appsv1.Deployment{}
	pdbs := map[string]bool{}
	kinds := map[string]int{}
	for _, r := range kustomizeBuild(t) {
		if r.err != nil {
			t.Error(r.err)
			continue
		}
		kinds[r.GetKind()]++
		if r.GetNamespace() != "eshop" && r.GetKind() != "Namespace" {
			t.Errorf("%s %s is in namespace %q, want eshop", r.GetKind(), r.GetName(), r.GetNamespace())
		}
		switch o := r.value.(type) {
		case *appsv1.Deployment:
			deployments[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			pdbs[o.Name] = true
		}
	}
	t.Logf("objects: %v", kinds)

	for _, name := range services {
		d, ok := deployments[name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		// A single replica (the webapp's in-memory sessions) gets no
		// budget: minAvailable 1 would block every node drain.
		if replicated := d.Spec.Replicas == nil || *d.Spec.Replicas > 1; replicated != pdbs[name] {
			t.Errorf("%s: %v replicas and a PodDisruptionBudget: %v; want one with several replicas only", name, d.Spec.Replicas, pdbs[name])
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("%s: liveness probe is not GET /healthz", name)
		}
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s: readiness probe is not GET /readyz", name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s: no cpu request or memory limit", name)
		}
		if !strings.HasPrefix(c.Image, "eshop-go/"+name) {
			t.Errorf("%s: image %q", name, c.Image)
		}
	}
}
