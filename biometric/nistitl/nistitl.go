// Package nistitl reads ANSI/NIST-ITL transactions in the traditional
// encoding (ANSI/NIST-ITL 1-2000 to 1-2011, the ".an2"/".eft" files of
// AFIS exchanges) and extracts their fingerprint images.
//
// A transaction is a sequence of records. The type-1 record lists the
// others (field 1.003, CNT). Tagged records (types 1, 2, 9, 10, 13-17...)
// are ASCII fields "T.NNN:value" separated by GS (0x1D), with subfields
// separated by RS (0x1E) and items by US (0x1F), ended by FS (0x1C); their
// binary image data sits in field 999, which runs to the end of the
// record. Binary records (types 3-8) start with a 4-byte length; the
// type-4 record (grey-scale fingerprint) has an 18-byte header: length
// (4), IDC (1), impression type (1), finger positions (6), scanning
// resolution flag (1), width (2), height (2), compression (1).
package nistitl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"checkpost/biometric"
)

// Separators of the traditional encoding.
const (
	FS = 0x1C // ends a record
	GS = 0x1D // separates fields
	RS = 0x1E // separates subfields
	US = 0x1F // separates items
)

// MaxTransactionSize bounds the bytes Parse accepts.
const MaxTransactionSize = 512 << 20

// Record is one logical record.
type Record struct {
	Type int
	// Fields of a tagged record by field number (1.003 is Fields[3]), the
	// raw value with its separators; nil for a binary record.
	Fields map[int]string
	// Order lists the field numbers of a tagged record as they appear.
	Order []int
	// Header is the fixed header of a binary record (18 bytes for types 3
	// to 6), Data its image data or, for a tagged record, field 999.
	Header []byte
	Data   []byte
	// Offset is where the record starts in the transaction.
	Offset int
}

// IDC returns the record's information designation character (field 2
// of a tagged record, byte 4 of a binary one).
func (r *Record) IDC() int {
	if r.Fields != nil {
		n, _ := strconv.Atoi(r.Fields[2])
		return n
	}
	if len(r.Header) > 4 {
		return int(r.Header[4])
	}
	return -1
}

// Subfields splits a field's value into subfields and items.
func Subfields(value string) [][]string {
	var out [][]string
	for _, sub := range strings.Split(value, string(rune(RS))) {
		out = append(out, strings.Split(sub, string(rune(US))))
	}
	return out
}

// Transaction is a parsed file.
type Transaction struct {
	// Version is field 1.002 ("0300", "0400", "0500"...).
	Version string
	Records []*Record
}

// FormatError reports a malformed transaction.
type FormatError struct {
	Offset int // byte offset in the file
	Record int // 1-based record number, 0 when not in a record
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Record > 0 {
		return fmt.Sprintf("nistitl: record %d (at byte %d): %s", e.Record, e.Offset, e.Msg)
	}
	return fmt.Sprintf("nistitl: at byte %d: %s", e.Offset, e.Msg)
}

// Parse reads a transaction.
func Parse(data []byte) (*Transaction, error) {
	if len(data) > MaxTransactionSize {
		return nil, &FormatError{Msg: fmt.Sprintf("file of %d bytes exceeds %d", len(data), MaxTransactionSize)}
	}
	if !bytes.HasPrefix(data, []byte("1.001:")) {
		return nil, &FormatError{Msg: "does not start with a type-1 record (\"1.001:\")"}
	}
	first, err := parseTagged(data, 0, 1, 1)
	if err != nil {
		return nil, err
	}
	t := &Transaction{Version: first.Fields[2], Records: []*Record{first}}
	cnt, ok := first.Fields[3]
	if !ok {
		return nil, &FormatError{Record: 1, Msg: "no content field 1.003 (CNT)"}
	}
	subs := Subfields(cnt)
	// The first subfield is "1<US>number of other records"; the others
	// name each record's type and IDC.
	if len(subs[0]) < 2 || strings.TrimSpace(subs[0][0]) != "1" {
		return nil, &FormatError{Record: 1, Msg: fmt.Sprintf("CNT starts with %q, want 1 and the record count", subs[0])}
	}
	n, err := strconv.Atoi(strings.TrimSpace(subs[0][1]))
	if err != nil || n != len(subs)-1 {
		return nil, &FormatError{Record: 1, Msg: fmt.Sprintf("CNT announces %q records but lists %d", subs[0][1], len(subs)-1)}
	}
	off := first.Offset + recordLen(first)
	for i, sub := range subs[1:] {
		num := i + 2
		typ, err := strconv.Atoi(strings.TrimSpace(sub[0]))
		if err != nil || typ < 2 || typ > 99 {
			return nil, &FormatError{Record: 1, Msg: fmt.Sprintf("CNT subfield %d: record type %q", num, sub[0])}
		}
		if off >= len(data) {
			return nil, &FormatError{Offset: off, Record: num, Msg: fmt.Sprintf("file ends before record %d of %d (type %d)", num, n+1, typ)}
		}
		var r *Record
		if typ >= 3 && typ <= 8 {
			r, err = parseBinary(data, off, num, typ)
		} else {
			r, err = parseTagged(data, off, num, typ)
		}
		if err != nil {
			return nil, err
		}
		t.Records = append(t.Records, r)
		off += recordLen(r)
	}
	return t, nil
}

// recordLen is the length the record declared.
func recordLen(r *Record) int {
	if r.Fields != nil {
		n, _ := strconv.Atoi(strings.TrimSpace(r.Fields[1]))
		return n
	}
	return int(binary.BigEndian.Uint32(r.Header))
}

func parseBinary(data []byte, off, num, typ int) (*Record, error) {
	errf := func(format string, args ...any) error {
		return &FormatError{Offset: off, Record: num, Msg: fmt.Sprintf("type-%d: ", typ) + fmt.Sprintf(format, args...)}
	}
	if off+4 > len(data) {
		return nil, errf("length truncated")
	}
	n := int(binary.BigEndian.Uint32(data[off:]))
	header := 18 // types 3-6
	switch typ {
	case 7:
		header = 5 // length and IDC; the rest is user-defined
	case 8:
		header = 12 // length, IDC, SIG, SRT, ISR, HLL, VLL
	}
	if n < header || n > len(data)-off {
		return nil, errf("length %d (header %d bytes, %d bytes left in the file)", n, header, len(data)-off)
	}
	rec := data[off : off+n]
	return &Record{Type: typ, Header: rec[:header], Data: rec[header:], Offset: off}, nil
}

func parseTagged(data []byte, off, num, typ int) (*Record, error) {
	errf := func(format string, args ...any) error {
		return &FormatError{Offset: off, Record: num, Msg: fmt.Sprintf("type-%d: ", typ) + fmt.Sprintf(format, args...)}
	}
	// The first field is the record's length.
	prefix := strconv.Itoa(typ) + ".001:"
	if !bytes.HasPrefix(data[off:], []byte(prefix)) {
		return nil, errf("does not start with %q", prefix)
	}
	end := off + len(prefix)
	for end < len(data) && end < off+len(prefix)+12 && data[end] >= '0' && data[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(string(data[off+len(prefix) : end]))
	if err != nil || n < len(prefix)+2 || n > len(data)-off {
		return nil, errf("length %q does not fit the %d bytes left", data[off+len(prefix):end], len(data)-off)
	}
	rec := data[off : off+n]
	if rec[n-1] != FS {
		return nil, errf("does not end with a file separator (FS) at its declared length %d", n)
	}
	r := &Record{Type: typ, Fields: map[int]string{}, Offset: off}
	p := 0
	for p < n-1 {
		colon := bytes.IndexByte(rec[p:min(n, p+16)], ':')
		if colon < 0 {
			return nil, errf("field at byte %d has no \"T.NNN:\" tag", p)
		}
		tag := string(rec[p : p+colon])
		dot := strings.IndexByte(tag, '.')
		if dot < 0 {
			return nil, errf("field tag %q has no dot", tag)
		}
		rt, err1 := strconv.Atoi(tag[:dot])
		fn, err2 := strconv.Atoi(tag[dot+1:])
		if err1 != nil || err2 != nil || rt != typ || fn < 1 {
			return nil, errf("field tag %q (want %d.NNN)", tag, typ)
		}
		if _, dup := r.Fields[fn]; dup {
			return nil, errf("field %s appears twice", tag)
		}
		start := p + colon + 1
		var value []byte
		if fn == 999 {
			// Binary data: everything up to the record's final FS.
			value = rec[start : n-1]
			p = n - 1
			r.Data = value
		} else {
			stop := bytes.IndexAny(rec[start:n], string([]byte{GS, FS}))
			if stop < 0 {
				stop = n - 1 - start
			}
			value = rec[start : start+stop]
			p = start + stop + 1
		}
		r.Fields[fn] = string(value)
		r.Order = append(r.Order, fn)
		if fn == 999 {
			break
		}
	}
	return r, nil
}

// ErrNoFingerprints is returned when a transaction holds no fingerprint
// image records.
var ErrNoFingerprints = errors.New("nistitl: no fingerprint image records (type-4 or type-14)")

// Fingerprint is one finger (or multi-finger slap) image of a transaction.
type Fingerprint struct {
	RecordType int // 4 or 14
	Record     int // 1-based record number in the transaction
	IDC        int
	// Positions holds the finger position codes (ANSI/NIST-ITL Table 8:
	// 1-10 fingers as in biometric.Position, 11-12 plain thumbs, 13-15
	// plain four-finger slaps, 0 unknown), first the primary one.
	Positions []int
	// Impression type: 0 live-scan plain, 1 live-scan rolled, 2
	// non-live plain, 3 non-live rolled...
	Impression    int
	Width, Height int
	// PPI is the scanning resolution in pixels per inch (0 when the
	// transaction states none).
	PPI float64
	// Compression names the coding: "NONE", "WSQ20", "JPEGB", "JPEGL",
	// "JP2", "JP2L", "PNG" (type-4 codes are mapped to these names).
	Compression string
	Data        []byte
}

// Position returns the primary finger position as a biometric.Position
// (codes above 10 are returned as they are: multi-finger slaps).
func (f *Fingerprint) Position() biometric.Position {
	if len(f.Positions) == 0 || f.Positions[0] < 0 || f.Positions[0] > 255 {
		return biometric.PositionUnknown
	}
	return biometric.Position(f.Positions[0])
}

// type4Compression maps the type-4 GCA byte to the type-14 names.
var type4Compression = map[byte]string{0: "NONE", 1: "WSQ20", 2: "JPEGB", 3: "JPEGL", 4: "JP2", 5: "JP2L", 6: "PNG"}

// Fingerprints lists the fingerprint images of type-4 and type-14
// records.
func (t *Transaction) Fingerprints() ([]Fingerprint, error) {
	var out []Fingerprint
	ppiNTR, ppiNSR := 0.0, 0.0 // the type-1 resolutions in pixels/mm
	if t.Records[0] != nil {
		ppiNSR = ppmmToPPI(t.Records[0].Fields[11])
		ppiNTR = ppmmToPPI(t.Records[0].Fields[12])
	}
	for i, r := range t.Records {
		num := i + 1
		switch r.Type {
		case 4:
			h := r.Header
			f := Fingerprint{RecordType: 4, Record: num, IDC: int(h[4]), Impression: int(h[5]),
				Width: int(binary.BigEndian.Uint16(h[13:])), Height: int(binary.BigEndian.Uint16(h[15:])), Data: r.Data}
			for _, p := range h[6:12] {
				if p != 255 { // 255 fills unused positions
					f.Positions = append(f.Positions, int(p))
				}
			}
			// ISR 0: the nominal transmitting resolution of 1.012;
			// 1: the native scanning resolution of 1.011.
			f.PPI = ppiNTR
			if h[12] == 1 {
				f.PPI = ppiNSR
			}
			c, ok := type4Compression[h[17]]
			if !ok {
				c = fmt.Sprintf("GCA-%d", h[17])
			}
			f.Compression = c
			out = append(out, f)
		case 14:
			f := Fingerprint{RecordType: 14, Record: num, IDC: r.IDC(), Data: r.Data}
			var err error
			if f.Impression, err = atoiField(r, 3); err != nil {
				return nil, err
			}
			if f.Width, err = atoiField(r, 6); err != nil {
				return nil, err
			}
			if f.Height, err = atoiField(r, 7); err != nil {
				return nil, err
			}
			scale, _ := atoiField(r, 8)
			hps, _ := atoiField(r, 9)
			switch scale {
			case 1:
				f.PPI = float64(hps)
			case 2:
				f.PPI = math.Round(float64(hps) * 2.54)
			}
			f.Compression = strings.ToUpper(strings.TrimSpace(r.Fields[11]))
			for _, sub := range Subfields(r.Fields[13]) {
				if p, err := strconv.Atoi(strings.TrimSpace(sub[0])); err == nil {
					f.Positions = append(f.Positions, p)
				}
			}
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoFingerprints
	}
	return out, nil
}

func atoiField(r *Record, fn int) (int, error) {
	v, ok := r.Fields[fn]
	if !ok {
		return 0, fmt.Errorf("nistitl: type-%d record at byte %d: no field %d.%03d", r.Type, r.Offset, r.Type, fn)
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("nistitl: type-%d record at byte %d: field %d.%03d is %q, not a number", r.Type, r.Offset, r.Type, fn, v)
	}
	return n, nil
}

// ppmmToPPI converts "19.69" pixels per millimetre to pixels per inch,
// rounded to a whole number (19.69 is the standard's 500 ppi); 0 for
// "00.00" or a missing value.
func ppmmToPPI(s string) float64 {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 {
		return 0
	}
	return math.Round(v * 25.4)
}

// Image decodes the fingerprint's pixels: WSQ with checkpost's decoder,
// PNG and JPEG through biometric.DecodeImage, uncompressed 8-bit grey as
// it is. The resolution is the transaction's; the WSQ file's own is used
// only where the transaction states none.
func (f *Fingerprint) Image() (biometric.FingerImage, error) {
	opt := biometric.ImageOptions{PPI: f.PPI, OverridePPI: f.PPI > 0}
	switch f.Compression {
	case "NONE":
		if f.Width <= 0 || f.Height <= 0 || f.Width*f.Height > biometric.MaxImagePixels {
			return biometric.FingerImage{}, fmt.Errorf("nistitl: record %d: image size %dx%d", f.Record, f.Width, f.Height)
		}
		if len(f.Data) != f.Width*f.Height {
			return biometric.FingerImage{}, fmt.Errorf("nistitl: record %d: uncompressed %dx%d image needs %d bytes, has %d",
				f.Record, f.Width, f.Height, f.Width*f.Height, len(f.Data))
		}
		g := image8(f.Width, f.Height, f.Data)
		fi := biometric.FingerImage{Gray: g, PPI: biometric.StandardPPI, Format: "raw"}
		if f.PPI > 0 {
			fi = fi.WithPPI(f.PPI)
		}
		return fi, nil
	case "WSQ20", "WSQ", "PNG", "JPEGB", "JPEG":
		fi, err := biometric.DecodeImageBytes(f.Data, opt)
		if err != nil {
			return fi, fmt.Errorf("nistitl: record %d: %w", f.Record, err)
		}
		if b := fi.Gray.Bounds(); f.Width > 0 && (b.Dx() != f.Width || b.Dy() != f.Height) {
			return fi, fmt.Errorf("nistitl: record %d: the record says %dx%d, its image is %dx%d", f.Record, f.Width, f.Height, b.Dx(), b.Dy())
		}
		return fi, nil
	}
	return biometric.FingerImage{}, fmt.Errorf("nistitl: record %d: compression %q is not supported", f.Record, f.Compression)
}
