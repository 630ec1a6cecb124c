package httpapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"
)

// PathParam reads a path parameter, percent-decoded. chi matches routes on
// the request's escaped path when it has one (r.URL.RawPath, set when the
// client escaped what needs no escaping, as in alice%40example.com), and
// then hands the parameter out still escaped; so the same buyer could be
// named two ways. A parameter that does not decode gets a 400 problem.
func PathParam(r *http.Request, name string) (string, *Problem) {
	raw := chi.URLParam(r, name)
	if r.URL.RawPath == "" {
		return raw, nil // chi matched the decoded path
	}
	v, err := url.PathUnescape(raw)
	if err != nil {
		p := NewProblem(http.StatusBadRequest, name+" is not a well-formed path segment")
		p.Errors = map[string][]string{name: {"has an invalid percent-escape"}}
		return "", p
	}
	return v, nil
}

// PathInt reads a positive integer path parameter. Something else gets a
// 400 problem (a well-formed id that does not exist is the handler's 404).
func PathInt(r *http.Request, name string) (int64, *Problem) {
	raw, p := PathParam(r, name)
	if p != nil {
		return 0, p
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 {
		p := NewProblem(http.StatusBadRequest, name+" must be a positive integer")
		p.Errors = map[string][]string{name: {"must be a positive integer, got " + strconv.Quote(raw)}}
		return 0, p
	}
	return n, nil
}
