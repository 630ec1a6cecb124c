package deploy

import (
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// jwksPath is where identity serves its keys: the jwks_uri of its
// discovery document (services/identity/README.md, "Endpoints").
const jwksPath = "/keys"

// checkIssuer checks that a token identity issues to the browser validates
// in service: service accepts identity's issuer (the iss the browser's
// tokens carry) and fetches the keys from identity's address inside the
// network, identityHost. The webapp checks no bearer token: it signs users
// in at the issuer, the browser at its public URL (IDENTITY_URL) and the
// webapp itself at identity's address inside the network.
func checkIssuer(t *testing.T, where, service, issuer, identityHost string, env map[string]string) {
	t.Helper()
	if service == "webapp" {
		if env["IDENTITY_URL"] != issuer || env["IDENTITY_INTERNAL_URL"] != "http://"+identityHost {
			t.Errorf("%s: webapp has IDENTITY_URL %q and IDENTITY_INTERNAL_URL %q, want the issuer %q and http://%s",
				where, env["IDENTITY_URL"], env["IDENTITY_INTERNAL_URL"], issuer, identityHost)
		}
		return
	}
	if env["AUTH_ISSUER"] != issuer {
		t.Errorf("%s: %s has AUTH_ISSUER %q, want identity's IDENTITY_ISSUER %q", where, service, env["AUTH_ISSUER"], issuer)
	}
	if want := "http://" + identityHost + jwksPath; env["AUTH_JWKS_URL"] != want {
		t.Errorf("%s: %s has AUTH_JWKS_URL %q, want identity's keys inside the network, %q", where, service, env["AUTH_JWKS_URL"], want)
	}
}

func TestComposeServicesTrustTheIssuerTheBrowserSignsInAt(t *testing.T) {
	compose := readCompose(t)
	identity := compose.Services["identity"]
	issuer := identity.Environment["IDENTITY_ISSUER"]
	_, port, err := net.SplitHostPort(identity.Environment["HTTP_ADDR"])
	if err != nil {
		t.Fatalf("docker-compose.yml: identity's HTTP_ADDR: %v", err)
	}
	// The browser reaches the issuer URL on the host: the port it names is
	// published to identity's (on 127.0.0.1, TestComposeBindsEveryPublishedPortToLoopback).
	if u, err := url.Parse(issuer); err != nil || u.Hostname() != "localhost" || !slices.Contains(identity.Ports, "127.0.0.1:"+u.Port()+":"+port) {
		t.Errorf("docker-compose.yml: identity's IDENTITY_ISSUER %q is not http://localhost:<a port published to %s> (ports %v)", issuer, port, identity.Ports)
	}
	if _, ok := identity.DependsOn["rabbitmq"]; ok {
		t.Error("docker-compose.yml: identity, which has no events, waits for rabbitmq")
	}
	for _, s := range services {
		if s == "identity" {
			continue
		}
		checkIssuer(t, "docker-compose.yml", s, issuer, "identity:"+port, compose.Services[s].Environment)
		if _, ok := compose.Services[s].DependsOn["identity"]; !ok {
			t.Errorf("docker-compose.yml: %s does not depend on identity", s)
		}
	}
}

// containerEnv is a container's environment as the cluster gives it: its
// ConfigMaps' keys (envFrom), then its own variables, from values,
// ConfigMaps or Secrets.
func containerEnv(k8s manifests, c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef != nil {
			for k, v := range k8s.configMaps[from.ConfigMapRef.Name] {
				env[from.Prefix+k] = v
			}
		}
	}
	for _, e := range c.Env {
		switch ref := e.ValueFrom; {
		case ref == nil:
			env[e.Name] = e.Value
		case ref.ConfigMapKeyRef != nil:
			env[e.Name] = k8s.configMaps[ref.ConfigMapKeyRef.Name][ref.ConfigMapKeyRef.Key]
		case ref.SecretKeyRef != nil:
			env[e.Name] = k8s.secrets[ref.SecretKeyRef.Name][ref.SecretKeyRef.Key]
		}
	}
	return env
}

func TestKubernetesServicesTrustTheIssuerTheBrowserSignsInAt(t *testing.T) {
	k8s := buildManifests(t)
	envs := map[string]map[string]string{}
	for _, d := range k8s.deployments {
		envs[d.Name] = containerEnv(k8s, d.Spec.Template.Spec.Containers[0])
	}
	issuer := envs["identity"]["IDENTITY_ISSUER"]
	if !strings.HasPrefix(issuer, "http") {
		t.Fatalf("deploy/k8s: identity's IDENTITY_ISSUER is %q, want the URL browsers use", issuer)
	}
	svc, ok := k8s.services["identity"]
	if !ok || len(svc.Spec.Ports) != 1 {
		t.Fatalf("deploy/k8s: no Service identity with one port")
	}
	// Inside the cluster identity is its Service's name and port.
	host := net.JoinHostPort("identity", strconv.Itoa(int(svc.Spec.Ports[0].Port)))
	for _, s := range services {
		if s == "identity" {
			continue
		}
		if _, ok := envs[s]; !ok {
			t.Errorf("deploy/k8s: no Deployment %s", s)
			continue
		}
		checkIssuer(t, "deploy/k8s", s, issuer, host, envs[s])
	}
}
