package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The pods outside the shop's namespace that its pods may reach, as the
// NetworkPolicies name them.
const (
	kubeDNS   = "kube-system/kube-dns"
	apiServer = "the Kubernetes API"
)

// wantPaths is every connection the NetworkPolicies must allow, as
// "from → to:port", and no other: each service reaches its database, the
// broker and identity (for the keys that sign the tokens) and the
// OpenTelemetry backend (OTLP), the storefront also the APIs it is the
// front of; the backend scrapes each service's metrics and watches the
// API; the demo Job calls the APIs and tails the bus; every pod asks DNS.
// The services' HTTP ports are open to the browser's side too (not listed:
// from outside the namespace).
var wantPaths = func() []string {
	paths := []string{
		"catalog → postgres:5432", "catalog → rabbitmq:5672", "catalog → identity:8085", "catalog → lgtm:4318",
		"basket → postgres:5432", "basket → rabbitmq:5672", "basket → identity:8085", "basket → lgtm:4318",
		"ordering → postgres:5432", "ordering → rabbitmq:5672", "ordering → identity:8085", "ordering → lgtm:4318",
		"payment → rabbitmq:5672", "payment → identity:8085", "payment → lgtm:4318",
		"identity → postgres:5432", "identity → lgtm:4318",
		"webapp → rabbitmq:5672", "webapp → identity:8085", "webapp → lgtm:4318",
		"webapp → catalog:8081", "webapp → basket:8082", "webapp → ordering:8083", "webapp → payment:8084",
		"demo → identity:8085", "demo → catalog:8081", "demo → basket:8082", "demo → ordering:8083", "demo → payment:8084",
		"demo → rabbitmq:5672",
		"lgtm → catalog:8081", "lgtm → basket:8082", "lgtm → ordering:8083", "lgtm → payment:8084", "lgtm → identity:8085",
		"lgtm → webapp:8080", "lgtm → " + apiServer + ":443", "lgtm → " + apiServer + ":6443",
	}
	for _, pod := range []string{"catalog", "basket", "ordering", "payment", "identity", "webapp", "demo", "lgtm", "postgres", "rabbitmq"} {
		paths = append(paths, pod+" → "+kubeDNS+":53/UDP", pod+" → "+kubeDNS+":53/TCP")
	}
	slices.Sort(paths)
	return paths
}()

// pod is a pod of the namespace as the policies see it: its labels and its
// container ports.
type pod struct {
	name   string
	labels labels.Set
	ports  []corev1.ContainerPort
}

// The pods outside the namespace: DNS, and the API server (an address).
var outside = []pod{
	{name: kubeDNS, labels: labels.Set{"k8s-app": "kube-dns"}, ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}, {ContainerPort: 53, Protocol: corev1.ProtocolTCP}}},
	{name: apiServer, ports: []corev1.ContainerPort{{ContainerPort: 443, Protocol: corev1.ProtocolTCP}, {ContainerPort: 6443, Protocol: corev1.ProtocolTCP}}},
}

// networkPolicies returns the NetworkPolicies of the kustomizations.
func networkPolicies(t *testing.T) []networkingv1.NetworkPolicy {
	t.Helper()
	var policies []networkingv1.NetworkPolicy
	for _, dir := range kustomizations {
		for _, r := range kustomizeBuildDir(t, dir) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			if p, ok := r.value.(*networkingv1.NetworkPolicy); ok {
				policies = append(policies, *p)
			}
		}
	}
	return policies
}

// The NetworkPolicies deny everything the table above does not list: a
// default deny of both directions for every pod of the namespace, then one
// policy per pod for what it may send and receive. The test evaluates the
// policies as Kubernetes does (a connection needs an egress rule of a
// policy selecting its source and an ingress rule of one selecting its
// destination; ports by number or by the container port's name) over every
// pair of pods and every container port.
func TestNetworkPoliciesAllowOnlyWhatEachPodNeeds(t *testing.T) {
	policies := networkPolicies(t)
	var denyAll bool
	for _, p := range policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) && slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) &&
			len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 {
			denyAll = true
		}
	}
	if !denyAll {
		t.Error("no NetworkPolicy denies every pod's ingress and egress by default")
	}

	var pods []pod
	for name, tmpl := range podTemplates(t) {
		p := pod{name: name, labels: tmpl.Labels}
		for _, c := range tmpl.Spec.Containers {
			p.ports = append(p.ports, c.Ports...)
		}
		pods = append(pods, p)
	}
	var got []string
	for _, from := range pods {
		for _, to := range append(slices.Clone(pods), outside...) {
			if from.name == to.name {
				continue
			}
			for _, port := range to.ports {
				if allowed(policies, from, to, port) {
					got = append(got, fmt.Sprintf("%s → %s:%s", from.name, to.name, portName(to, port)))
				}
			}
		}
	}
	slices.Sort(got)
	for _, path := range wantPaths {
		if !slices.Contains(got, path) {
			t.Errorf("the NetworkPolicies do not allow %s", path)
		}
	}
	for _, path := range got {
		if !slices.Contains(wantPaths, path) {
			t.Errorf("the NetworkPolicies allow %s, which no pod needs", path)
		}
	}
}

// portName is port as wantPaths writes it: its number, and its protocol
// for the pods outside.
func portName(to pod, port corev1.ContainerPort) string {
	if to.name == kubeDNS {
		return fmt.Sprintf("%d/%s", port.ContainerPort, port.Protocol)
	}
	return fmt.Sprint(port.ContainerPort)
}

// allowed reports whether the policies let from open a connection to port
// of to: an egress rule of a policy that selects from, and (for a pod of
// the namespace) an ingress rule of a policy that selects to.
func allowed(policies []networkingv1.NetworkPolicy, from, to pod, port corev1.ContainerPort) bool {
	inNamespace := !slices.ContainsFunc(outside, func(o pod) bool { return o.name == to.name })
	egress, ingress := !selectedFor(policies, from, networkingv1.PolicyTypeEgress), !inNamespace || !selectedFor(policies, to, networkingv1.PolicyTypeIngress)
	for _, p := range policies {
		if types := policyTypes(p); selects(p, from) && slices.Contains(types, networkingv1.PolicyTypeEgress) {
			for _, r := range p.Spec.Egress {
				if peersMatch(r.To, to, inNamespace) && portsMatch(r.Ports, to, port) {
					egress = true
				}
			}
		}
		if types := policyTypes(p); inNamespace && selects(p, to) && slices.Contains(types, networkingv1.PolicyTypeIngress) {
			for _, r := range p.Spec.Ingress {
				if peersMatch(r.From, from, true) && portsMatch(r.Ports, to, port) {
					ingress = true
				}
			}
		}
	}
	return egress && ingress
}

// policyTypes are a policy's types, defaulted as the API server does.
func policyTypes(p networkingv1.NetworkPolicy) []networkingv1.PolicyType {
	if len(p.Spec.PolicyTypes) > 0 {
		return p.Spec.PolicyTypes
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	if len(p.Spec.Egress) > 0 {
		types = append(types, networkingv1.PolicyTypeEgress)
	}
	return types
}

func selects(p networkingv1.NetworkPolicy, x pod) bool {
	sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
	return err == nil && sel.Matches(x.labels)
}

// selectedFor reports whether some policy of type selects x: then only
// what a policy allows reaches it (or leaves it).
func selectedFor(policies []networkingv1.NetworkPolicy, x pod, typ networkingv1.PolicyType) bool {
	return slices.ContainsFunc(policies, func(p networkingv1.NetworkPolicy) bool {
		return selects(p, x) && slices.Contains(policyTypes(p), typ)
	})
}

// peersMatch reports whether peers (a rule's to or from) include x, a pod
// of the namespace or one outside it. No peers is every peer.
func peersMatch(peers []networkingv1.NetworkPolicyPeer, x pod, inNamespace bool) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		switch {
		case peer.IPBlock != nil:
			if x.name == apiServer {
				return true
			}
		case peer.NamespaceSelector == nil:
			if sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector); inNamespace && err == nil && sel.Matches(x.labels) {
				return true
			}
		default:
			// Only kube-system's DNS is named outside the namespace.
			ns, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
			if err != nil || !ns.Matches(labels.Set{"kubernetes.io/metadata.name": strings.Split(kubeDNS, "/")[0]}) || x.name != kubeDNS {
				continue
			}
			if sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector); peer.PodSelector == nil || err == nil && sel.Matches(x.labels) {
				return true
			}
		}
	}
	return false
}

// portsMatch reports whether ports (a rule's) include port of x, by number
// or by name, and protocol (TCP when unset). No ports is every port.
func portsMatch(ports []networkingv1.NetworkPolicyPort, x pod, port corev1.ContainerPort) bool {
	if len(ports) == 0 {
		return true
	}
	proto := port.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, p := range ports {
		want := corev1.ProtocolTCP
		if p.Protocol != nil {
			want = *p.Protocol
		}
		if want != proto {
			continue
		}
		if p.Port == nil || p.Port.IntValue() == int(port.ContainerPort) || p.Port.String() != "" && p.Port.String() == port.Name {
			return true
		}
	}
	return false
}
