package httpapi

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// PathInt reads a positive integer path parameter. Something else gets a
// 400 problem (a well-formed id that does not exist is the handler's 404).
func PathInt(r *http.Request, name string) (int64, *Problem) {
	raw := chi.URLParam(r, name)
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		p := NewProblem(http.StatusBadRequest, name+" must be a positive integer")
		p.Errors = map[string][]string{name: {"must be a positive integer, got " + strconv.Quote(raw)}}
		return 0, p
	}
	return n, nil
}
