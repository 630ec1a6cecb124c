package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body the services accept (1 MiB).
const MaxBodyBytes = 1 << 20

// DecodeJSON reads the request body into dst. It returns a *Problem: 413
// for a body over MaxBodyBytes, 400 for a body that is not one JSON value of
// the right shape (naming the field and the type it wants). Unknown fields
// are ignored, so clients may send more than a handler reads.
func DecodeJSON(r *http.Request, dst any) *Problem {
	body := http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(dst); err != nil {
		return decodeProblem(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeProblem(err)
		}
		return NewProblem(http.StatusBadRequest, "the body must hold a single JSON value")
	}
	return nil
}

func decodeProblem(err error) *Problem {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes))
	case errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, "the body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return NewProblem(http.StatusBadRequest, "the body is not complete JSON")
	case errors.As(err, &syntax):
		return NewProblem(http.StatusBadRequest, fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		p := NewProblem(http.StatusBadRequest, "a field has the wrong type")
		p.Title = "Validation failed"
		p.Errors = map[string][]string{field: {"must be a JSON " + jsonKind(typeErr.Type.Kind().String())}}
		return p
	default:
		// Errors of a field's own UnmarshalJSON (e.g. money) name no field.
		return NewProblem(http.StatusBadRequest, "the body could not be read: "+strings.TrimPrefix(err.Error(), "json: "))
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	default:
		return "object"
	}
}
