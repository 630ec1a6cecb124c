package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/tests/e2e/shop"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

var services = []string{"catalog", "basket", "ordering", "payment"}

// binDir holds the four binaries, built once for the whole test binary.
var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

func buildBinaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "eshop-e2e-bin")
		if buildErr != nil {
			return
		}
		for _, s := range append(services, "identity", "webapp") {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, s), "./services/"+s+"/cmd/"+s)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", s, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// Shop is the four services running as processes, each with its own
// database, all on this test's own exchange and queues.
type Shop struct {
	t      testing.TB
	bins   string
	logDir string
	env    map[string][]string
	addr   map[string]string
	mu     sync.Mutex
	procs  map[string]*exec.Cmd
	// Client calls the shop anonymously; AsBuyer and AsAdmin sign it in.
	Client *shop.Client
	// Issuer is the OpenID Connect issuer the services trust: the test's
	// own (testkit.Issuer), which mints the buyers' and the admin's tokens;
	// nil when the shop trusts Identity.
	Issuer *testkit.Issuer
	// Identity is the URL of the identity service the shop trusts, when it
	// was started with StartShopWithIdentity: buyers and the admin sign in
	// there.
	Identity string
	// Webapp is the URL of the storefront, started with identity by
	// StartShopWithIdentity: identity knows it as its webapp client, and
	// payment takes card requests from its pages.
	Webapp string
	// Exchange is the test's own event-bus exchange.
	Exchange string
	// prefix names the test's broker objects (testkit.Broker).
	prefix string
	// users are the services' broker users (and events, the operator's
	// tail's), and roles their database roles, as
	// deploy/rabbitmq/definitions.json and deploy/postgres/init.sql make
	// them: each service runs as its own.
	users testkit.BrokerUsers
	roles testkit.DatabaseRoles
	// Queues are the services' queues on it, by service.
	Queues map[string]string
	// Databases are the URLs of the services' databases, by service, as
	// the tests' administrator.
	Databases map[string]string
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartShop starts the shop, trusting the test's own issuer; extra
// settings (NAME=value) go to every service.
func StartShop(t testing.TB, extra ...string) *Shop {
	t.Helper()
	return startShop(t, false, extra...)
}

// StartShopWithIdentity starts the identity service, then the shop
// trusting it: tokens come from signing in at identity as a browser does;
// then the storefront (Webapp) over the shop, signing in at identity.
func StartShopWithIdentity(t testing.TB, extra ...string) *Shop {
	t.Helper()
	return startShop(t, true, extra...)
}

func startShop(t testing.TB, withIdentity bool, extra ...string) *Shop {
	s := &Shop{t: t, bins: buildBinaries(t), logDir: t.TempDir(), env: map[string][]string{}, addr: map[string]string{}, procs: map[string]*exec.Cmd{},
		Queues: map[string]string{}}
	s.users = testkit.LoadBrokerUsers(t, "../../deploy/rabbitmq/definitions.json", slices.Concat(services, []string{"webapp", "events"})...)
	s.roles = testkit.RunInitSQL(t, "../../deploy/postgres/init.sql", "catalog", "basket", "ordering", "identity")
	exchange, prefix := s.users.Exchange, s.users.Prefix
	s.Exchange, s.prefix = exchange, prefix
	s.Databases = map[string]string{}
	for _, name := range []string{"catalog", "basket", "ordering"} {
		s.Databases[name] = s.roles.URL(t, "", s.roles.Database(name))
	}
	t.Cleanup(s.stopAll)
	issuer := ""
	if withIdentity {
		s.addr["webapp"] = freePort(t)
		s.Webapp = "http://" + s.addr["webapp"]
		issuer = s.startIdentity()
	} else {
		s.Issuer = testkit.NewIssuer(t)
		issuer = s.Issuer.URL
	}
	for _, name := range services {
		s.addr[name] = freePort(t)
		s.Queues[name] = s.users.Queue(name)
		env := []string{
			"HTTP_ADDR=" + s.addr[name],
			"RABBITMQ_URL=" + s.users.URL(t, name),
			"EVENTBUS_EXCHANGE=" + exchange,
			"EVENTBUS_QUEUE=" + s.Queues[name],
			"EVENTBUS_PUBLISHER_USERS=" + s.publisherUsers(),
			"LOG_LEVEL=debug",
			"GRACE_PERIOD=1s",
			"PAYMENT_SUCCEEDED=true",
			// A fixed key, so that a restarted payment opens the tokens it
			// sealed before.
			"PAYMENT_TOKEN_KEY=ZTJlLW9ubHkta2V5LWZvci1wYXltZW50LXRva2VucyE=",
			"AUTH_ISSUER=" + issuer,
			"AUTH_AUDIENCE=" + testkit.Audience,
		}
		if _, ok := s.Databases[name]; ok {
			env = append(env, "DATABASE_URL="+s.roles.URL(t, name, s.roles.Database(name)))
		}
		if name == "payment" && s.Webapp != "" {
			env = append(env, "PAYMENT_CORS_ORIGINS="+s.Webapp) // the checkout page sends the card
		}
		s.env[name] = append(env, extra...)
	}
	for _, name := range services {
		s.Start(name)
	}
	if s.Webapp != "" {
		s.startWebapp(extra)
	}
	s.Client = &shop.Client{
		CatalogURL:  "http://" + s.addr["catalog"],
		BasketURL:   "http://" + s.addr["basket"],
		OrderingURL: "http://" + s.addr["ordering"],
		PaymentURL:  "http://" + s.addr["payment"],
	}
	return s
}

// startIdentity starts the identity service on its own database and waits
// until it is ready; it returns its URL, the issuer.
func (s *Shop) startIdentity() string {
	s.t.Helper()
	s.Databases["identity"] = s.roles.URL(s.t, "", s.roles.Database("identity"))
	s.addr["identity"] = freePort(s.t)
	s.Identity = "http://" + s.addr["identity"]
	s.env["identity"] = []string{
		"HTTP_ADDR=" + s.addr["identity"],
		"DATABASE_URL=" + s.roles.URL(s.t, "identity", s.roles.Database("identity")),
		"IDENTITY_ISSUER=" + s.Identity,
		"IDENTITY_PASSWORD_COST=4", // bcrypt's least: the test signs in, it does not guard
		"IDENTITY_CLIENTS=" + identityClients(s.Webapp),
		"LOG_LEVEL=debug",
	}
	s.Start("identity")
	st := &shop.Story{Patience: 60 * time.Second}
	if err := st.Eventually(context.Background(), "identity to be ready", func() (bool, string, error) {
		err := ready(s.Identity)
		return err == nil, fmt.Sprint(err), nil
	}); err != nil {
		s.t.Fatal(err)
	}
	return s.Identity
}

// identityClients is identity's IDENTITY_CLIENTS for a test: its default
// clients, with the webapp's redirect URIs at webappURL, the test's
// storefront.
func identityClients(webappURL string) string {
	return fmt.Sprintf(`[{"id":"webapp","secret":"webapp-secret","redirect_uris":[%q],"post_logout_redirect_uris":[%q]},`+
		`{"id":%q,"redirect_uris":[%q],"post_logout_redirect_uris":["http://localhost:8765/signed-out"]},{"id":"machine","secret":"machine-secret"}]`,
		webappURL+"/signin-oidc", webappURL+"/signout-callback-oidc", shop.DemoClientID, shop.DemoRedirectURI)
}

// publisherUsers is EVENTBUS_PUBLISHER_USERS for the shop's broker users,
// which are named after the services with the test's prefix.
func (s *Shop) publisherUsers() string {
	var pairs []string
	for service, user := range s.users.PublisherUsers() {
		pairs = append(pairs, service+"="+user)
	}
	slices.Sort(pairs)
	return strings.Join(pairs, ",")
}

// startWebapp starts the storefront over the four services and identity,
// on the test's exchange with a queue of its own. Its readiness is part of
// WaitReady.
func (s *Shop) startWebapp(extra []string) {
	s.Queues["webapp"] = s.users.Queue("webapp")
	s.env["webapp"] = append([]string{
		"HTTP_ADDR=" + s.addr["webapp"],
		"RABBITMQ_URL=" + s.users.URL(s.t, "webapp"),
		"EVENTBUS_EXCHANGE=" + s.Exchange,
		"EVENTBUS_QUEUE=" + s.Queues["webapp"],
		"EVENTBUS_PUBLISHER_USERS=" + s.publisherUsers(),
		"LOG_LEVEL=debug",
		"AUTH_ISSUER=" + s.Identity,
		"AUTH_AUDIENCE=" + testkit.Audience,
		"CATALOG_URL=http://" + s.addr["catalog"],
		"BASKET_URL=http://" + s.addr["basket"],
		"ORDERING_URL=http://" + s.addr["ordering"],
		"PAYMENT_URL=http://" + s.addr["payment"],
		"PAYMENT_PUBLIC_URL=http://" + s.addr["payment"],
		"IDENTITY_URL=" + s.Identity,
		"WEBAPP_PUBLIC_URL=" + s.Webapp,
		"SESSION_KEY=e2e-only-session-key-of-32-bytes",
	}, extra...)
	s.Start("webapp")
}

// SignIn signs a demo user in at the shop's identity service.
func (s *Shop) SignIn(t testing.TB, email string) shop.User {
	t.Helper()
	u, err := shop.SignIn(context.Background(), s.Identity, email, "Pass@word1")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Buyer is a buyer signed in with the test issuer: sub is id.
func (s *Shop) Buyer(id string) shop.User {
	return shop.User{ID: id, Tokens: func(context.Context) (string, error) { return s.Issuer.Buyer(id), nil }}
}

// Admin is the token source of an administrator.
func (s *Shop) Admin() shop.TokenSource {
	return func(context.Context) (string, error) { return s.Issuer.Admin(), nil }
}

// AsBuyer is the shop's client calling as buyer id.
func (s *Shop) AsBuyer(id string) *shop.Client { return s.Client.As(s.Buyer(id).Tokens) }

// AsAdmin is the shop's client calling as an administrator.
func (s *Shop) AsAdmin() *shop.Client { return s.Client.As(s.Admin()) }

// Start starts (or restarts) one service; its log is appended to a file
// that is printed when the test fails.
func (s *Shop) Start(name string) {
	s.t.Helper()
	logFile, err := os.OpenFile(filepath.Join(s.logDir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(s.bins, name))
	cmd.Env = append(os.Environ(), s.env[name]...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", name, err)
	}
	s.mu.Lock()
	s.procs[name] = cmd
	s.mu.Unlock()
}

// Kill kills a service with SIGKILL: no graceful stop, no flush.
func (s *Shop) Kill(name string) {
	s.mu.Lock()
	cmd := s.procs[name]
	delete(s.procs, name)
	s.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// stopAll stops every service with SIGTERM and checks that each exits 0
// (a graceful stop), then prints the logs if the test failed.
func (s *Shop) stopAll() {
	s.mu.Lock()
	procs := s.procs
	s.procs = map[string]*exec.Cmd{}
	s.mu.Unlock()
	for name, cmd := range procs {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				s.t.Errorf("%s did not stop cleanly on SIGTERM: %v", name, err)
			}
		case <-time.After(40 * time.Second):
			cmd.Process.Kill()
			s.t.Errorf("%s did not stop within 40s of SIGTERM", name)
		}
	}
	if s.t.Failed() {
		for _, name := range append(services, "identity", "webapp") {
			b, err := os.ReadFile(filepath.Join(s.logDir, name+".log"))
			if err != nil {
				continue // not started
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) > 60 {
				lines = lines[len(lines)-60:]
			}
			s.t.Logf("---- last lines of %s's log:\n%s", name, strings.Join(lines, "\n"))
		}
	}
}

// WaitReady waits until every service answers /readyz with 200.
func (s *Shop) WaitReady(t testing.TB) {
	t.Helper()
	st := &shop.Story{Client: s.Client, Patience: 90 * time.Second}
	if err := st.Eventually(context.Background(), "the shop to be ready", func() (bool, string, error) {
		err := s.Client.Ready(context.Background())
		if err == nil && s.Webapp != "" {
			err = ready(s.Webapp)
		}
		return err == nil, fmt.Sprint(err), nil
	}); err != nil {
		t.Fatal(err)
	}
}

// ready returns nil when the service at url answers /readyz with 200.
func ready(url string) error {
	res, err := http.Get(url + "/readyz")
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/readyz: %s", url, res.Status)
	}
	return nil
}

// readyItems waits until every service is ready and returns the first n
// items of the catalog.
func (s *Shop) readyItems(t *testing.T, n int) []shop.Item {
	t.Helper()
	s.WaitReady(t)
	page, err := s.Client.Items(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return page.Data
}

// Checkout hands the test card to payment for buyer and returns buyer's
// checkout with its token, as the storefront would send it. The token pays
// one order of buyer.
func (s *Shop) Checkout(t *testing.T, buyer string) shop.Checkout {
	t.Helper()
	token, err := s.Client.Tokenize(context.Background(), buyer, shop.TestCard)
	if err != nil {
		t.Fatal(err)
	}
	return shop.DemoCheckout(token)
}

// Logs returns everything a service has logged so far.
func (s *Shop) Logs(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.logDir, name+".log"))
	return string(b)
}

// story returns the demo's story against this shop, watching the order
// status events on the shop's exchange.
func (s *Shop) story(t *testing.T) *shop.Story {
	t.Helper()
	w, err := shop.WatchOrderStatuses(testkit.RabbitURL(), s.Exchange)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	st := &shop.Story{Client: s.Client, Out: testWriter{t}, Patience: 90 * time.Second, Watcher: w}
	if s.Identity != "" {
		st.Buyer, st.Admin = s.SignIn(t, "alice@example.com"), s.SignIn(t, "admin@example.com").Tokens
	} else {
		st.Buyer, st.Admin = s.Buyer("demo-"+uuid.NewString()[:8]), s.Admin()
	}
	return st
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// checkOwnUsers fails the test unless every service is connected to the
// broker as its own user and to its database as its own role, the ones
// deploy/rabbitmq/definitions.json and deploy/postgres/init.sql make: the
// shop works with no more than they grant.
func (s *Shop) checkOwnUsers(t *testing.T) {
	t.Helper()
	connected := testkit.BrokerConnectionUsers(t)
	for name := range s.Queues {
		if user := s.users.Queue(name); !slices.Contains(connected, user) {
			t.Errorf("%s is not connected to the broker as its user %s; connected users: %v", name, user, connected)
		}
	}
	ctx := context.Background()
	for name, dbURL := range s.Databases {
		conn, err := pgx.Connect(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		err = conn.QueryRow(ctx, `SELECT array_agg(DISTINCT usename::text) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&roles)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if role := s.roles.Role(name); !slices.Equal(roles, []string{role}) {
			t.Errorf("%s's database has sessions of %v, want its role %s alone", name, roles, role)
		}
	}
}
