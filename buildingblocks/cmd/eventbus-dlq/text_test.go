package main

import "testing"

func TestOneLine(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"boom", 10, "boom"},
		{"line one\nline two\r\tend", 0, `line one\nline two\r\tend`},
		{"\x1b[31mred\x1b[0m", 0, `\x1b[31mred\x1b[0m`},
		{"bad \xff byte, \u2028 separator", 0, `bad \xff byte, \u2028 separator`},
		{"0123456789", 5, "0123…"},
		{"ééééé", 5, "ééééé"},
		{"a\nb", 3, `a\…`},
	} {
		if got := oneLine(tc.in, tc.width); got != tc.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

func TestPrintableKeepsLinesAndEscapesTheRest(t *testing.T) {
	if got, want := printable([]byte("a\n\tb\x07\x1b")), "a\n\tb\\x07\\x1b"; got != want {
		t.Errorf("printable = %q, want %q", got, want)
	}
}

func TestCutEndsOnACharacter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"},  // é is 2 bytes
		{"a€b", 3, "a"}, // € is 3 bytes
		{"a€b", 4, "a€"},
	} {
		if got := string(cut([]byte(tc.in), tc.n)); got != tc.want {
			t.Errorf("cut(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
