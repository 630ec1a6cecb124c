package testkit

import "testing"

// DependenciesDown is a fresh database and the test broker, each behind a
// proxy that is cut: a service started on Env reaches neither until Restore.
type DependenciesDown struct {
	// DatabaseURL is the database's own URL, not through the proxy.
	DatabaseURL string
	// Database and Broker are the cut proxies.
	Database, Broker *Proxy
}

// CutDependencies creates a database (see [NewDatabase]) and cuts it and the
// test broker off behind proxies; they are removed when the test ends.
func CutDependencies(t testing.TB) *DependenciesDown {
	t.Helper()
	d := &DependenciesDown{DatabaseURL: NewDatabase(t)}
	d.Database = NewURLProxy(t, d.DatabaseURL)
	d.Broker = NewBrokerProxy(t)
	d.Database.Cut()
	d.Broker.Cut()
	return d
}

// Env is a service's DATABASE_URL and RABBITMQ_URL through the proxies, a
// new map each call.
func (d *DependenciesDown) Env() map[string]string {
	return map[string]string{"DATABASE_URL": d.Database.URL(d.DatabaseURL), "RABBITMQ_URL": d.Broker.URL(RabbitURL())}
}

// Restore lets the database and the broker be reached.
func (d *DependenciesDown) Restore() {
	d.Database.Restore()
	d.Broker.Restore()
}
