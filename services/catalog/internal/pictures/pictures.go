// Package pictures holds the product pictures the catalog serves: one SVG
// illustration per item of the sample catalog, drawn for this project by the
// generator in draw/ and embedded in the binary. An item names its picture
// by file name (catalog.Item.PictureFileName); a name that is not one of
// these files has no picture.
//
// The set is fixed at build time, and a test checks that every file is
// plain drawing (no script, no event handler, no reference outside the
// file); the API serves them with a Content-Security-Policy that would keep
// anything else inert too.
package pictures

//go:generate go run ./draw -out svg

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// ContentType is the media type of every picture.
const ContentType = "image/svg+xml"

// Picture is one picture file and its entity-tag.
type Picture struct {
	Body []byte
	// ETag is a strong entity-tag of the content: it changes exactly when
	// the file does.
	ETag string
}

//go:embed svg/*.svg
var files embed.FS

// byName indexes the embedded files by file name, once.
var byName = sync.OnceValue(func() map[string]Picture {
	entries, _ := fs.ReadDir(files, "svg") // embedded: it exists
	index := make(map[string]Picture, len(entries))
	for _, e := range entries {
		body, _ := fs.ReadFile(files, "svg/"+e.Name())
		sum := sha256.Sum256(body)
		index[e.Name()] = Picture{Body: body, ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	}
	return index
})

// Lookup returns the picture of file name (e.g. "4.svg"), or false when
// there is no such picture. Only bare file names are pictures: a path such
// as "../x" or "svg/4.svg" names none.
func Lookup(name string) (Picture, bool) {
	p, ok := byName()[name]
	return p, ok
}
