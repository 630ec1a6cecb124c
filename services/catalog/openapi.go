// Package catalog holds catalog's OpenAPI document, openapi.yaml, embedded:
// the service serves it at GET /openapi.yaml, and its tests check the
// routes and answers against it.
package catalog

import _ "embed"

// OpenAPI is the document, as the file has it.
//
//go:embed openapi.yaml
var OpenAPI []byte
