package pictures

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
)

// drawing lists what a picture may hold: the elements of plain vector
// drawing and their presentation attributes. No script, no foreignObject,
// no image, no use, no link, no animation, no style element.
var drawing = map[string]bool{
	"svg": true, "title": true, "g": true, "rect": true, "circle": true, "ellipse": true,
	"line": true, "polyline": true, "polygon": true, "path": true,
}

var drawingAttributes = map[string]bool{
	"xmlns": true, "viewBox": true, "width": true, "height": true, "role": true, "aria-labelledby": true, "id": true,
	"x": true, "y": true, "rx": true, "ry": true, "cx": true, "cy": true, "r": true,
	"x1": true, "y1": true, "x2": true, "y2": true, "points": true, "d": true, "transform": true,
	"fill": true, "fill-opacity": true, "stroke": true, "stroke-width": true, "stroke-linecap": true, "stroke-dasharray": true,
}

// TestEveryPictureIsPlainDrawing parses every embedded picture: only the
// elements and attributes of plain drawing, the SVG namespace, and no value
// that reaches outside the file (url(…), a scheme). A picture with a script,
// an event handler or an external reference fails here before it could be
// served.
func TestEveryPictureIsPlainDrawing(t *testing.T) {
	entries, err := fs.ReadDir(files, "svg")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no pictures embedded: %v", err)
	}
	for _, e := range entries {
		body, err := fs.ReadFile(files, "svg/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := plainDrawing(body); err != nil {
			t.Errorf("%s: %v", e.Name(), err)
		}
	}
}

// TestPlainDrawingRefusesWhatCouldRun: the check above refuses each way an
// SVG can run script or fetch something.
func TestPlainDrawingRefusesWhatCouldRun(t *testing.T) {
	for _, svg := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><image href="https://example.com/x.png"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><use xlink:href="other.svg#a"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://example.com/p)"/></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><style>@import url(x.css)</style></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe/></foreignObject></svg>`,
		`<svg xmlns="http://www.w3.org/1999/xhtml"></svg>`,
		`<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg"/>`,
	} {
		if plainDrawing([]byte(svg)) == nil {
			t.Errorf("accepted: %s", svg)
		}
	}
}

// plainDrawing returns why an SVG document is more than plain drawing, or
// nil.
func plainDrawing(svg []byte) error {
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.Directive:
			return errors.New("a directive (DOCTYPE, entity)")
		case xml.ProcInst:
			return errors.New("a processing instruction")
		case xml.StartElement:
			if tok.Name.Space != "http://www.w3.org/2000/svg" || !drawing[tok.Name.Local] {
				return errors.New("element " + tok.Name.Space + " " + tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if a.Name.Space != "" || !drawingAttributes[a.Name.Local] {
					return errors.New("attribute " + a.Name.Space + " " + a.Name.Local)
				}
				if a.Name.Local != "xmlns" && (strings.Contains(a.Value, "url(") || strings.Contains(a.Value, ":")) {
					return errors.New("attribute " + a.Name.Local + " refers elsewhere: " + a.Value)
				}
			}
		}
	}
}

// TestLookupServesFileNamesOnly: a sample picture is found with a strong
// ETag of its content; a path, another extension or an unknown name is not.
func TestLookupServesFileNamesOnly(t *testing.T) {
	p, ok := Lookup("4.svg")
	if !ok || !bytes.Contains(p.Body, []byte("Drift Solo Tent")) {
		t.Fatalf("4.svg: %v %.80s", ok, p.Body)
	}
	if len(p.ETag) < 10 || p.ETag[0] != '"' || p.ETag[len(p.ETag)-1] != '"' {
		t.Fatalf("ETag %q, want a strong entity-tag", p.ETag)
	}
	if q, _ := Lookup("5.svg"); q.ETag == p.ETag {
		t.Fatalf("4.svg and 5.svg have the same ETag %s", p.ETag)
	}
	for _, name := range []string{"", "4.webp", "svg/4.svg", "../pictures.go", "/4.svg", "99.svg", "4.SVG"} {
		if _, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) found a picture", name)
		}
	}
}
