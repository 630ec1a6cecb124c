// Package redact masks what must never be shown: card numbers, security
// codes and payment tokens (and any other token), in a message body or in
// any text (an error that quotes a body, a header). The dead-letter tool masks what it shows an operator;
// the bus masks the reasons it records and logs.
package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
)

// CardData returns body fit to show an operator or to log: card numbers,
// security codes and payment tokens masked. Three rules, each applied to
// the result of the one before:
//
//   - in a JSON body, the value of every key that names a card number, a
//     security code or a token (cardKey) becomes "[masked]", at any depth;
//     the rest is written back compact, in its order, with its escapes
//     decoded;
//   - in any body, every compact JWE (five base64url parts, as payment
//     seals its tokens) becomes [masked], wherever it stands;
//   - in any body, every run of 13 or more digits, with spaces or dashes
//     between them allowed, keeps only its last four digits (card numbers
//     have 13 to 19 digits; a longer run may hold one).
//
// So no run of 13 or more digits and no payment token is left, whatever the
// body. A payment token is card data too: it charges the card it seals.
func CardData(body []byte) []byte {
	if rewritten, err := maskCardKeys(body); err == nil {
		body = rewritten
	}
	return maskDigitRuns(compactJWE.ReplaceAll(body, []byte("[masked]")))
}

// compactJWE is the shape of a payment token: a compact JWE of five
// base64url parts (the second, the encrypted key, empty under "dir"), the
// others at least 16 characters (a header, a 96-bit IV, the ciphertext, a
// 128-bit tag). Version numbers and host names are not that long.
var compactJWE = regexp.MustCompile(`[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`)

// maxDepth bounds the nesting maskCardKeys follows; a body nested deeper
// gets only the digit rule.
const maxDepth = 100

// masked is what a card number's or security code's value becomes.
const masked = `"[masked]"`

// cardKey reports whether a JSON key names a card number, a security code
// or a token: CardNumber, cardNumber, card_number, CardSecurityNumber,
// securityCode, cvv, CVC, PaymentToken, access_token and the like.
func cardKey(key string) bool {
	k := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, key)
	if k == "pan" {
		return true
	}
	for _, part := range []string{"cardnumber", "cardno", "securitynumber", "securitycode", "cvv", "cvc", "token"} {
		if strings.Contains(k, part) {
			return true
		}
	}
	return false
}

// maskCardKeys rewrites a JSON body (one value, or several in a row, then
// written one a line) with the values of card keys masked; an error if
// body is not JSON.
func maskCardKeys(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	for i := 0; ; i++ {
		if i > 0 {
			out.WriteByte('\n')
		}
		if err := copyValue(dec, &out, 0); err != nil {
			return nil, err
		}
		if !dec.More() {
			break
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not JSON after the last value")
	}
	return out.Bytes(), nil
}

// copyValue copies the next JSON value from dec to out, masking the values
// of card keys in the objects it holds; depth is how deep the value is
// nested.
func copyValue(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		out.WriteByte('{')
		for i := 0; dec.More(); i++ {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key, ok := tok.(string)
			if !ok {
				return errors.New("object key is not a string")
			}
			if i > 0 {
				out.WriteByte(',')
			}
			writeScalar(out, key)
			out.WriteByte(':')
			if cardKey(key) {
				if err := copyValue(dec, &bytes.Buffer{}, depth+1); err != nil {
					return err
				}
				out.WriteString(masked)
				continue
			}
			if err := copyValue(dec, out, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		out.WriteByte('}')
	case json.Delim('['):
		out.WriteByte('[')
		for i := 0; dec.More(); i++ {
			if i > 0 {
				out.WriteByte(',')
			}
			if err := copyValue(dec, out, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		out.WriteByte(']')
	default:
		writeScalar(out, tok)
	}
	return nil
}

// writeScalar writes a string, number, bool or null as JSON, without
// escaping <, > and & as HTML.
func writeScalar(out *bytes.Buffer, v any) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)           // strings, json.Number, bools and nil always encode
	out.Truncate(out.Len() - 1) // Encode's newline
}

// maskDigitRuns replaces every digit but the last four of each run of 13
// or more digits (spaces and dashes between them allowed) with '*'.
func maskDigitRuns(b []byte) []byte {
	out := bytes.Clone(b)
	for i := 0; i < len(out); {
		if !isDigit(out[i]) {
			i++
			continue
		}
		// The run starts at i and ends before end.
		n, end := 0, i
		for j := i; j < len(out); {
			if isDigit(out[j]) {
				n++
				j++
				end = j
				continue
			}
			if out[j] != ' ' && out[j] != '-' {
				break
			}
			j++ // a separator: the run goes on if a digit follows the separators
		}
		if n >= 13 {
			for j, seen := i, 0; seen < n-4; j++ {
				if isDigit(out[j]) {
					out[j] = '*'
					seen++
				}
			}
		}
		i = end
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
