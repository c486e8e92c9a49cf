package watchlist

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// LineError is a bad line of a CSV list: the import names the line and
// goes on reading to report the other bad lines, but imports nothing.
type LineError struct {
	Line int // 1-based line number in the file (the header is line 1)
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// MaxCSVField bounds every field of a CSV list, in bytes.
const MaxCSVField = 4096

// csvTable reads a CSV file whose first line names the columns.
type csvTable struct {
	r    *csv.Reader
	col  map[string]int
	line int
	rec  []string
}

func newCSVTable(r io.Reader, what string, required, optional []string) (*csvTable, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s CSV: empty file: the first line must name the columns (%s)", what, strings.Join(required, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("%s CSV: header: %w", what, err)
	}
	line, _ := cr.FieldPos(0)
	t := &csvTable{r: cr, col: map[string]int{}, line: line}
	known := map[string]bool{}
	for _, c := range required {
		known[c] = true
	}
	for _, c := range optional {
		known[c] = true
	}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a byte order mark left by spreadsheets
		}
		h = strings.ToLower(strings.TrimSpace(h))
		if !known[h] {
			all := append(append([]string{}, required...), optional...)
			sort.Strings(all)
			return nil, fmt.Errorf("%s CSV: line %d: unknown column %q (known columns: %s)", what, line, h, strings.Join(all, ", "))
		}
		if _, dup := t.col[h]; dup {
			return nil, fmt.Errorf("%s CSV: line %d: column %q appears twice", what, line, h)
		}
		t.col[h] = i
	}
	var missing []string
	for _, c := range required {
		if _, ok := t.col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s CSV: line %d: missing column(s) %s (the header must name at least %s)", what, line, strings.Join(missing, ", "), strings.Join(required, ","))
	}
	cr.FieldsPerRecord = len(header)
	return t, nil
}

// next reads the next record; errors of the CSV syntax come back as
// *LineError, io.EOF at the end.
func (t *csvTable) next() error {
	rec, err := t.r.Read()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			t.line = pe.StartLine
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				return &LineError{Line: pe.StartLine, Err: fmt.Errorf("%d fields, the header has %d", len(rec), t.r.FieldsPerRecord)}
			}
			return &LineError{Line: pe.StartLine, Err: pe.Err}
		}
		return err
	}
	t.line, _ = t.r.FieldPos(0)
	t.rec = rec
	for i, f := range rec {
		if len(f) > MaxCSVField {
			return &LineError{Line: t.line, Err: fmt.Errorf("field %d is longer than %d bytes", i+1, MaxCSVField)}
		}
		if !utf8.ValidString(f) {
			return &LineError{Line: t.line, Err: fmt.Errorf("field %d is not valid UTF-8", i+1)}
		}
	}
	return nil
}

// get returns the trimmed field of the named column ("" when the column is
// absent).
func (t *csvTable) get(col string) string {
	i, ok := t.col[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// DocumentCSV reads the lost/stolen list from CSV. The first line names the
// columns, in any order:
//
//	issuer,number,reason,authority[,reported]
//	PAK,AB1234567,stolen,FIA Islamabad,2024-03-01
//
// issuer is the ICAO code of the issuing state, number the document number
// as printed, reason why it is listed, authority who reported it, reported
// the date of the report (YYYY-MM-DD, YYYY-MM or YYYY; optional). Lines
// starting with '#' are comments.
type DocumentCSV struct{ t *csvTable }

// NewDocumentCSV reads the header of a lost/stolen CSV list.
func NewDocumentCSV(r io.Reader) (*DocumentCSV, error) {
	t, err := newCSVTable(r, "documents", []string{"issuer", "number", "reason", "authority"}, []string{"reported"})
	if err != nil {
		return nil, err
	}
	return &DocumentCSV{t: t}, nil
}

// Line is the line number of the record last read.
func (c *DocumentCSV) Line() int { return c.t.line }

// Next returns the next entry, checked and normalised; a bad line gives a
// *LineError (reading may go on with the next line), the end io.EOF.
func (c *DocumentCSV) Next() (DocumentEntry, error) {
	if err := c.t.next(); err != nil {
		return DocumentEntry{}, err
	}
	e := DocumentEntry{
		Issuer:    c.t.get("issuer"),
		Number:    c.t.get("number"),
		Reason:    c.t.get("reason"),
		Authority: c.t.get("authority"),
	}
	var err error
	if e.Reported, err = ParseDate(c.t.get("reported")); err != nil {
		return DocumentEntry{}, &LineError{Line: c.t.line, Err: fmt.Errorf("reported: %w", err)}
	}
	if e, err = e.Normalize(); err != nil {
		return DocumentEntry{}, &LineError{Line: c.t.line, Err: err}
	}
	return e, nil
}
