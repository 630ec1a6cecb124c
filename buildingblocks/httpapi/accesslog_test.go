package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eshop-go/eshop-go/buildingblocks/httpapi"
)

// A server error is logged at ERROR; /readyz's 503 (not ready yet, as at
// every start) is not.
func TestTheAccessLogsLevelFollowsTheStatus(t *testing.T) {
	var logs bytes.Buffer
	r := httpapi.NewRouter(slog.New(slog.NewJSONHandler(&logs, nil)))
	unavailable := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }
	r.Get("/readyz", unavailable)
	r.Get("/api/things", unavailable)
	for path, level := range map[string]string{"/readyz": `"level":"INFO"`, "/api/things": `"level":"ERROR"`} {
		logs.Reset()
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		if line := logs.String(); !strings.Contains(line, `"status":503`) || !strings.Contains(line, level) {
			t.Errorf("GET %s answered 503 and logged %s, want %s", path, line, level)
		}
	}
}
