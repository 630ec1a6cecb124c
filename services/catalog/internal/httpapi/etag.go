package httpapi

import (
	"net/http"
	"strconv"
	"strings"
)

// An item's ETag is its version (catalog.Item.Version) as a strong
// entity-tag (RFC 9110, 8.8.3): "12". The version counts every change of the
// item, the stock that orders reserve included, so an ETag that still
// matches means that nothing has changed since it was read.

// etag is the entity-tag of an item at version.
func etag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// ifMatch reads the If-Match of an edit: the version of the item that the
// editor read. ok is false when the request has no If-Match, or has
// If-Match: *, which would let an edit of any version through: the catalog
// asks every edit to name the version it is based on. An entity-tag that is
// not one the catalog gave (a weak one, a list of several, another format)
// names version 0, which no item has: the edit is stale.
func ifMatch(r *http.Request) (version int64, ok bool) {
	tags := strings.TrimSpace(strings.Join(r.Header.Values("If-Match"), ","))
	if tags == "" || tags == "*" {
		return 0, false
	}
	digits, quoted := strings.CutPrefix(tags, `"`)
	digits, closed := strings.CutSuffix(digits, `"`)
	if !quoted || !closed {
		return 0, true
	}
	v, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || v <= 0 || etag(v) != tags {
		return 0, true
	}
	return v, true
}
