package service_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/buildingblocks/testkit"
	"github.com/eshop-go/eshop-go/services/catalog/internal/service"
	"github.com/jackc/pgx/v5"
)

// The load of one measurement: requests over connections, from httpload
// in its own process. Each round measures the reference and the catalog
// back to back (in alternating order), so that a change in the machine's
// load (it is shared) hits both alike; the share of the reference is the
// median of the rounds' shares.
const (
	benchRequests    = 4000
	benchConnections = 16
	benchRounds      = 8
)

// BenchmarkHTTP measures GET /api/catalog/items/{id} and the first page of
// GET /api/catalog/items on the real service (its router, middleware with
// an info-level access log, store) against a reference: a bare net/http
// handler on pgxpool running the same queries on the same database. It
// reports requests/s and p99 of both and the catalog's share of the
// reference's throughput (the goal is at least 90%). Each run does one fixed
// workload; b.N is not used.
//
// On a shared machine throughput moves with the neighbours' load, so it
// also reports the CPU time this process (the server under load; the other
// one idles) spent per request, which moves much less: the cost of the
// catalog's router, middleware and handler over the bare one.
func BenchmarkHTTP(b *testing.B) {
	loadgen := testkit.BuildHTTPLoad(b)
	dbURL := testkit.NewDatabase(b)
	// The real service with an info-level JSON log (the access log costs
	// what it costs in production) written nowhere.
	catalogURL := testkit.StartService(b, "catalog", service.New,
		map[string]string{"DATABASE_URL": dbURL, "LOG_LEVEL": "info"}, io.Discard).URL
	referenceURL := runReference(b, dbURL)

	for _, bc := range []struct{ name, path string }{
		{"item_by_id", "/api/catalog/items/7"},
		{"first_page", "/api/catalog/items?pageIndex=0&pageSize=10"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var catalog, reference loadResult
			var shares []float64
			for round := range benchRounds {
				var c, r testkit.HTTPLoadResult
				if round%2 == 0 {
					r = loadgen.Run(b, referenceURL+bc.path, benchConnections, benchRequests)
					c = loadgen.Run(b, catalogURL+bc.path, benchConnections, benchRequests)
				} else {
					c = loadgen.Run(b, catalogURL+bc.path, benchConnections, benchRequests)
					r = loadgen.Run(b, referenceURL+bc.path, benchConnections, benchRequests)
				}
				catalog.add(c)
				reference.add(r)
				shares = append(shares, 100*r.Seconds/c.Seconds) // same request count: the time ratio
			}
			slices.Sort(shares)
			b.ReportMetric(catalog.rps(), "catalog_req/s")
			b.ReportMetric(reference.rps(), "reference_req/s")
			b.ReportMetric((shares[len(shares)/2-1]+shares[len(shares)/2])/2, "%_of_reference")
			b.ReportMetric(catalog.worstP99, "catalog_p99_ms")
			b.ReportMetric(reference.worstP99, "reference_p99_ms")
			b.ReportMetric(catalog.cpuPerRequest(), "catalog_cpu_us/req")
			b.ReportMetric(reference.cpuPerRequest(), "reference_cpu_us/req")
			b.ReportMetric(0, "ns/op") // one fixed workload: time per op means nothing
		})
	}
}

// loadResult adds up the rounds of one server.
type loadResult struct {
	requests int
	seconds  float64
	cpu      time.Duration // of this process, which serves the load
	worstP99 float64
}

func (l *loadResult) add(r testkit.HTTPLoadResult) {
	l.requests += r.Requests
	l.seconds += r.Seconds
	l.cpu += r.ServerCPU
	l.worstP99 = max(l.worstP99, r.Latency.P99)
}

func (l loadResult) rps() float64 { return float64(l.requests) / l.seconds }

func (l loadResult) cpuPerRequest() float64 {
	return float64(l.cpu.Microseconds()) / float64(l.requests+benchRounds*4*benchConnections) // with the warm-ups
}

// referenceItem is the item JSON, as the catalog writes it: the tests'
// item, but for its price, which is money (two decimals), not a float.
type referenceItem struct {
	item
	Price money.Money `json:"price"` // hides item.Price
}

const referenceColumns = `id, name, description, price, picture_file_name, catalog_type_id,
	catalog_brand_id, available_stock, restock_threshold, max_stock_threshold, on_reorder`

func scanReference(row pgx.Row) (referenceItem, error) {
	var it referenceItem
	err := row.Scan(&it.ID, &it.Name, &it.Description, &it.Price, &it.PictureFileName, &it.CatalogTypeID,
		&it.CatalogBrandID, &it.AvailableStock, &it.RestockThreshold, &it.MaxStockThreshold, &it.OnReorder)
	return it, err
}

// runReference serves the two measured requests with nothing but net/http
// and pgxpool: no router, no middleware, no validation beyond the minimum.
func runReference(b *testing.B, dbURL string) string {
	b.Helper()
	pool := testkit.OpenPool(b, dbURL)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/catalog/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		it, err := scanReference(pool.QueryRow(r.Context(), `SELECT `+referenceColumns+` FROM catalog_items WHERE id = $1`, id))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(it)
	})
	mux.HandleFunc("GET /api/catalog/items", func(w http.ResponseWriter, r *http.Request) {
		size, _ := strconv.Atoi(r.URL.Query().Get("pageSize"))
		index, _ := strconv.Atoi(r.URL.Query().Get("pageIndex"))
		var page struct {
			PageIndex int             `json:"pageIndex"`
			PageSize  int             `json:"pageSize"`
			Count     int             `json:"count"`
			Data      []referenceItem `json:"data"`
		}
		page.PageIndex, page.PageSize = index, size
		batch := &pgx.Batch{}
		batch.Queue(`SELECT count(*) FROM catalog_items`).QueryRow(func(row pgx.Row) error { return row.Scan(&page.Count) })
		batch.Queue(`SELECT `+referenceColumns+` FROM catalog_items ORDER BY name, id LIMIT $1 OFFSET $2`, size, index*size).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					it, err := scanReference(rows)
					if err != nil {
						return err
					}
					page.Data = append(page.Data, it)
				}
				return rows.Err()
			})
		if err := pool.SendBatch(r.Context(), batch).Close(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(page)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return fmt.Sprintf("http://%s", ln.Addr())
}
