package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A parked message comes from anywhere: what this command prints of it is
// made safe for a terminal first, control characters and bytes that are
// not UTF-8 escaped, so that no message can move the cursor, change
// colours or break a line of the listing.

// oneLine is s escaped to one line (newlines too) and, if width > 0, cut
// to width characters.
func oneLine(s string, width int) string {
	e := escape(s, false)
	if width > 0 && utf8.RuneCountInString(e) > width {
		runes := []rune(e)
		return string(runes[:width-1]) + "…"
	}
	return e
}

// printable is b escaped for a terminal, newlines and tabs kept.
func printable(b []byte) string { return escape(string(b), true) }

func escape(s string, keepLines bool) string {
	var out strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&out, `\x%02x`, s[i])
		case keepLines && (r == '\n' || r == '\t'):
			out.WriteRune(r)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\r':
			out.WriteString(`\r`)
		case r == '\t':
			out.WriteString(`\t`)
		case r < utf8.RuneSelf && unicode.IsControl(r):
			fmt.Fprintf(&out, `\x%02x`, r)
		case !unicode.IsPrint(r) && r != ' ':
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
		i += size
	}
	return out.String()
}

// cut is the longest prefix of b no longer than n bytes that does not end
// inside a UTF-8 character.
func cut(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return b[:i]
		}
	}
	return b[:n]
}
