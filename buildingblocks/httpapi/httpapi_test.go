package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/eventbus"
	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
	"github.com/eshop-go/eshop-go/buildingblocks/money"
)

type item struct {
	Name  string      `json:"name"`
	Price money.Money `json:"price"`
	Stock int         `json:"stock"`
}

func newServer(t *testing.T) *httptest.Server {
	r := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	r.Post("/items", func(w http.ResponseWriter, r *http.Request) {
		var in item
		if p := httpapi.DecodeJSON(r, &in); p != nil {
			httpapi.WriteProblem(w, p)
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"correlation": eventbus.CorrelationID(r.Context())})
	})
	r.Get("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, p := httpapi.PathInt(r, "id"); p != nil {
			httpapi.WriteProblem(w, p)
		}
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv
}

func problemOf(t *testing.T, res *http.Response) httpapi.Problem {
	t.Helper()
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p httpapi.Problem
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != res.StatusCode {
		t.Fatalf("problem status %d, response %d", p.Status, res.StatusCode)
	}
	return p
}

func TestBadBodiesGetProblems(t *testing.T) {
	srv := newServer(t)
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"empty", ``, 400, ""},
		{"not json", `{"name":`, 400, ""},
		{"syntax", `{"name" "x"}`, 400, ""},
		{"wrong type", `{"name":"x","stock":"many"}`, 400, "stock"},
		{"money as string", `{"name":"x","price":"1.00"}`, 400, ""},
		{"two values", `{"name":"x"} {}`, 400, ""},
		{"too large", `{"name":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := http.Post(srv.URL+"/items", "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			p := problemOf(t, res)
			if c.field != "" && len(p.Errors[c.field]) == 0 {
				t.Fatalf("errors %v do not name %q", p.Errors, c.field)
			}
		})
	}
}

func TestRequestIDIsEchoedAndBecomesTheCorrelationID(t *testing.T) {
	srv := newServer(t)
	req, _ := http.NewRequest("POST", srv.URL+"/items", strings.NewReader(`{"name":"x","price":1.5}`))
	req.Header.Set("X-Request-Id", "abc-123")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	json.NewDecoder(res.Body).Decode(&body)
	if res.Header.Get("X-Request-Id") != "abc-123" || body["correlation"] != "abc-123" {
		t.Fatalf("header %q, correlation %q, want abc-123 for both", res.Header.Get("X-Request-Id"), body["correlation"])
	}

	res, err = http.Get(srv.URL + "/nowhere")
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Fatal("a 404 has no X-Request-Id")
	}
	if p := problemOf(t, res); p.Status != 404 {
		t.Fatalf("status %d, want 404", p.Status)
	}
}

func TestPanicBecomesA500Problem(t *testing.T) {
	res, err := http.Get(newServer(t).URL + "/panic")
	if err != nil {
		t.Fatal(err)
	}
	if p := problemOf(t, res); p.Status != 500 {
		t.Fatalf("status %d, want 500", p.Status)
	}
}

func TestPathIntRejectsWhatIsNotAnID(t *testing.T) {
	srv := newServer(t)
	for _, id := range []string{"abc", "0", "-1", "1.5"} {
		res, err := http.Get(srv.URL + "/items/" + id)
		if err != nil {
			t.Fatal(err)
		}
		if p := problemOf(t, res); p.Status != 400 {
			t.Fatalf("%s: status %d, want 400", id, p.Status)
		}
	}
}

// A path parameter reads the same however the client escaped it, and one
// that does not decode is a 400 problem.
func TestPathParametersArePercentDecoded(t *testing.T) {
	r := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	r.Get("/names/{name}", func(w http.ResponseWriter, r *http.Request) {
		name, p := httpapi.PathParam(r, "name")
		if p != nil {
			httpapi.WriteProblem(w, p)
			return
		}
		_, _ = w.Write([]byte(name))
	})
	r.Get("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, p := httpapi.PathInt(r, "id")
		if p != nil {
			httpapi.WriteProblem(w, p)
			return
		}
		_, _ = w.Write([]byte(strconv.FormatInt(id, 10)))
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	for path, want := range map[string]string{
		"/names/alice%40example.com": "alice@example.com",
		"/names/alice@example.com":   "alice@example.com",
		"/names/a%2Fb":               "a/b",
		"/names/a%2541":              "a%41", // decoded once, not twice
		"/names/%C3%A9":              "é",
		"/items/%34%32":              "42",
	} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || string(body) != want {
			t.Errorf("GET %s: %d %q, want %q", path, res.StatusCode, body, want)
		}
	}

	// net/http refuses a request line with a bad escape before any handler
	// sees it; a request made otherwise gets the problem.
	req := httptest.NewRequest(http.MethodGet, "/names/x", nil)
	req.URL.Path, req.URL.RawPath = "/names/%zz", "/names/%zz"
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if p := problemOf(t, rec.Result()); p.Status != http.StatusBadRequest || len(p.Errors["name"]) == 0 {
		t.Fatalf("a bad escape: %+v, want a 400 naming the parameter", p)
	}
}
