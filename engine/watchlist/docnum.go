package watchlist

import (
	"errors"
	"fmt"
	"strings"
)

// MRZ readers confuse characters of the OCR-B font that look alike, and
// issuers themselves mix letters and digits in document numbers. A lost or
// stolen document must be found whichever way its number was read, so the
// list and the lookup both reduce a number to one representative per
// class of confusable characters:
//
//	0 O Q D   -> 0   (round shapes; D and Q lose their distinguishing stroke)
//	1 I L     -> 1   (vertical strokes)
//	2 Z       -> 2
//	5 S       -> 5
//	6 G       -> 6
//	8 B       -> 8
//
// Every other letter and digit stands for itself. The MRZ filler '<' and
// the separators people type in lists (space, '-', '/', '.') are dropped,
// and lower case is read as upper case. The price of the classes is that
// two different numbers of one issuer can collide (AB1234 and A81234);
// such a hit is reported as not exact (DocumentHit.Exact) so that an
// officer compares the numbers, and the index keeps both entries.
var confusable = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = byte(c)
		t[c+'a'-'A'] = byte(c)
	}
	for _, class := range []string{"0OQD", "1IL", "2Z", "5S", "6G", "8B"} {
		for i := 0; i < len(class); i++ {
			t[class[i]] = class[0]
			if class[i] >= 'A' && class[i] <= 'Z' {
				t[class[i]+'a'-'A'] = class[0]
			}
		}
	}
	return t
}()

// MaxDocumentNumber bounds the length of a document number (after fillers
// and separators are dropped). ICAO 9303 numbers have 9 characters; TD1
// cards may continue them in the optional data field.
const MaxDocumentNumber = 24

// ErrBadDocumentNumber is wrapped by the errors about numbers that cannot be
// a document number.
var ErrBadDocumentNumber = errors.New("bad document number")

// cleanNumber drops fillers and separators and upper-cases s into buf,
// returning the used part; it allocates nothing.
func cleanNumber(buf *[MaxDocumentNumber]byte, s string) ([]byte, error) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<' || c == ' ' || c == '-' || c == '/' || c == '.':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'):
		default:
			return nil, fmt.Errorf("%w %q: character %q at %d is not a letter or digit", ErrBadDocumentNumber, s, c, i+1)
		}
		if n == len(buf) {
			return nil, fmt.Errorf("%w %q: longer than %d characters", ErrBadDocumentNumber, s, MaxDocumentNumber)
		}
		buf[n] = c
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%w %q: empty", ErrBadDocumentNumber, s)
	}
	return buf[:n], nil
}

// CleanDocumentNumber returns the number as listed: upper case, without
// fillers and separators, but with its characters unchanged.
func CleanDocumentNumber(s string) (string, error) {
	var buf [MaxDocumentNumber]byte
	b, err := cleanNumber(&buf, s)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// NormalizeDocumentNumber returns the key under which the number is listed:
// the cleaned number with each confusable character replaced by its class
// representative (see the table above). Two numbers that an MRZ reader can
// mistake for each other have the same key.
func NormalizeDocumentNumber(s string) (string, error) {
	var buf [MaxDocumentNumber]byte
	b, err := cleanNumber(&buf, s)
	if err != nil {
		return "", err
	}
	for i, c := range b {
		b[i] = confusable[c]
	}
	return string(b), nil
}

// NormalizeIssuer returns the three-character ICAO 9303 code of an issuing
// state or organisation ("D" -> "D<<", "utO" -> "UTO"). Digits read where a
// code can only hold letters are mapped back (0->O, 1->I, 2->Z, 5->S, 6->G,
// 8->B), the usual OCR-B confusions.
func NormalizeIssuer(s string) (string, error) {
	var code [3]byte
	if err := normalizeIssuer(&code, s); err != nil {
		return "", err
	}
	return string(code[:]), nil
}

var digitToLetter = [10]byte{'O', 'I', 'Z', 0, 0, 'S', 'G', 0, 'B', 0}

func normalizeIssuer(code *[3]byte, s string) error {
	s = strings.TrimSpace(s)
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c >= '0' && c <= '9' && digitToLetter[c-'0'] != 0:
			c = digitToLetter[c-'0']
		case (c >= 'A' && c <= 'Z') || c == '<':
		default:
			return fmt.Errorf("issuer %q: character %q is not a letter", s, c)
		}
		if n == 3 {
			return fmt.Errorf("issuer %q: longer than 3 characters", s)
		}
		code[n] = c
		n++
	}
	if n == 0 || code[0] == '<' {
		return fmt.Errorf("issuer %q: empty", s)
	}
	for ; n < 3; n++ {
		code[n] = '<'
	}
	return nil
}
