// Package httpapi holds what every service's HTTP layer shares: RFC 9457
// problem details, JSON decoding with a size limit, and the middleware that
// gives every response an X-Request-Id, logs it, and turns a panic into a
// problem instead of a dropped connection.
package httpapi

import (
	"encoding/json"
	"net/http"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors map[string][]string `json:"errors,omitempty"`
}

// Error makes a Problem usable as an error, so that helpers such as
// DecodeJSON can return one for the handler to write.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return p.Title + ": " + p.Detail
	}
	return p.Title
}

// NewProblem returns a problem with the standard title of status.
func NewProblem(status int, detail string) *Problem {
	return &Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Fail writes a problem with status and detail.
func Fail(w http.ResponseWriter, status int, detail string) {
	WriteProblem(w, NewProblem(status, detail))
}

// InternalError logs err (with the request id) and writes a 500 that tells
// the client nothing of the internals.
func InternalError(w http.ResponseWriter, r *http.Request, err error) {
	LoggerFrom(r.Context()).ErrorContext(r.Context(), "request failed", "error", err)
	Fail(w, http.StatusInternalServerError, "the request could not be completed; it was logged with its request id")
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Validation collects field errors for a 400 problem. The zero value is
// ready to use.
type Validation map[string][]string

// Add records msg against field.
func (v *Validation) Add(field, msg string) {
	if *v == nil {
		*v = Validation{}
	}
	(*v)[field] = append((*v)[field], msg)
}

// Check records msg against field when ok is false.
func (v *Validation) Check(ok bool, field, msg string) {
	if !ok {
		v.Add(field, msg)
	}
}

// Err returns nil when nothing was recorded, else a 400 problem listing the
// errors by field.
func (v Validation) Err() *Problem {
	if len(v) == 0 {
		return nil
	}
	p := NewProblem(http.StatusBadRequest, "one or more fields are invalid")
	p.Title = "Validation failed"
	p.Errors = v
	return p
}
