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

// PersonCSV reads the person watchlist from CSV. The first line names the
// columns, in any order; list, surname and reason are required:
//
//	ref,list,surname,given_names,aliases,original_surname,original_given_names,birth_date,nationality,reason
//	FIA-112,trafficker,KHAN,MUHAMMAD ALI,"BHATTI, ALI; KHAN, M. ALI",خان,محمد علي,1980-03-14,PAK,people smuggling
//
// ref is the listing authority's reference (optional; a person imported
// again with the same list and ref replaces the earlier entry); list the
// list's name (trafficker, wanted, exit-control, ...); surname and
// given_names the primary and secondary identifiers in Latin script;
// aliases further names separated by ';', each "SURNAME, GIVEN NAMES";
// original_surname and original_given_names the name in its original
// script; birth_date full or partial (1980-03-14, 1980-03, 1980,
// 1980-XX-XX); nationality an ICAO code; reason why the person is listed.
// Lines starting with '#' are comments.
type PersonCSV struct{ t *csvTable }

// NewPersonCSV reads the header of a person watchlist CSV.
func NewPersonCSV(r io.Reader) (*PersonCSV, error) {
	t, err := newCSVTable(r, "persons", []string{"list", "surname", "reason"},
		[]string{"ref", "given_names", "aliases", "original_surname", "original_given_names", "birth_date", "nationality"})
	if err != nil {
		return nil, err
	}
	return &PersonCSV{t: t}, nil
}

// Line is the line number of the record last read.
func (c *PersonCSV) Line() int { return c.t.line }

// Next returns the next person (ID 0: the store assigns it), checked and
// normalised; a bad line gives a *LineError (reading may go on), the end
// io.EOF.
func (c *PersonCSV) Next() (Person, error) {
	if err := c.t.next(); err != nil {
		return Person{}, err
	}
	p := Person{
		Ref:         c.t.get("ref"),
		List:        c.t.get("list"),
		Nationality: c.t.get("nationality"),
		Reason:      c.t.get("reason"),
		Names: []PersonName{{
			Primary: c.t.get("surname"), Secondary: c.t.get("given_names"),
			OriginalPrimary: c.t.get("original_surname"), OriginalSecondary: c.t.get("original_given_names"),
		}},
	}
	bad := func(err error) (Person, error) { return Person{}, &LineError{Line: c.t.line, Err: err} }
	if p.Names[0].Primary == "" && p.Names[0].Secondary == "" && p.Names[0].OriginalPrimary == "" {
		return bad(errors.New("no surname or given names"))
	}
	if a := c.t.get("aliases"); a != "" {
		for i, alias := range strings.Split(a, ";") {
			alias = strings.TrimSpace(alias)
			if alias == "" {
				return bad(fmt.Errorf("aliases: alias %d is empty (aliases are separated by ';')", i+1))
			}
			primary, secondary, _ := strings.Cut(alias, ",")
			p.Names = append(p.Names, PersonName{Primary: strings.TrimSpace(primary), Secondary: strings.TrimSpace(secondary)})
		}
	}
	var err error
	if p.BirthDate, err = ParseDate(c.t.get("birth_date")); err != nil {
		return bad(fmt.Errorf("birth_date: %w", err))
	}
	if p, err = p.Normalize(); err != nil {
		return bad(err)
	}
	return p, nil
}
