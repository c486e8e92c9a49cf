package mrz

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// FieldName names a field of a machine readable zone. Result.Fields is an
// array indexed by FieldName; a format without the field leaves it absent
// (Present false).
type FieldName uint8

// The fields. Check digits are fields of their own, with the span of the
// digit, so that an error can be drawn where it is.
const (
	DocumentCode        FieldName = iota // e.g. P, I, ID, V
	IssuingState                         // three-letter code (D<< for Germany)
	Surname                              // primary identifier
	GivenNames                           // secondary identifier
	DocumentNumber                       // with its continuation for long numbers
	DocumentNumberCheck                  // check digit over the document number
	Nationality                          // three-letter code
	BirthDate                            // YYMMDD, < for unknown parts
	BirthDateCheck                       // check digit over the birth date
	Sex                                  // M, F, < (X accepted with a warning)
	ExpiryDate                           // YYMMDD
	ExpiryDateCheck                      // check digit over the expiry date
	OptionalData                         // TD1 line 1, TD2, TD3 personal number, visas; French administrative code
	OptionalDataCheck                    // TD3: check digit over the personal number
	OptionalData2                        // TD1 line 2
	CompositeCheck                       // check digit over the zone's numbers and dates
	IssueDate                            // French card: year and month of issue (YYMM)
	numFieldNames
)

var fieldNames = [numFieldNames]string{
	DocumentCode:        "document_code",
	IssuingState:        "issuing_state",
	Surname:             "surname",
	GivenNames:          "given_names",
	DocumentNumber:      "document_number",
	DocumentNumberCheck: "document_number_check",
	Nationality:         "nationality",
	BirthDate:           "birth_date",
	BirthDateCheck:      "birth_date_check",
	Sex:                 "sex",
	ExpiryDate:          "expiry_date",
	ExpiryDateCheck:     "expiry_date_check",
	OptionalData:        "optional_data",
	OptionalDataCheck:   "optional_data_check",
	OptionalData2:       "optional_data_2",
	CompositeCheck:      "composite_check",
	IssueDate:           "issue_date",
}

// String returns the field's key in JSON and in the command's output, e.g.
// "document_number".
func (n FieldName) String() string {
	if n < numFieldNames {
		return fieldNames[n]
	}
	return "field(" + strconv.Itoa(int(n)) + ")"
}

// FieldNameFromString returns the FieldName whose String is s.
func FieldNameFromString(s string) (FieldName, bool) {
	for i, n := range fieldNames {
		if n == s {
			return FieldName(i), true
		}
	}
	return 0, false
}

// AllFieldNames lists every field name in the order of Result.Fields.
func AllFieldNames() []FieldName {
	out := make([]FieldName, numFieldNames)
	for i := range out {
		out[i] = FieldName(i)
	}
	return out
}

// Span locates characters in the zone: Line is the zero-based line, Start
// and End the zero-based columns, End exclusive (the ICAO position of the
// first character is Start+1).
type Span struct {
	Line  int `json:"line"`
	Start int `json:"start"`
	End   int `json:"end"`
}

// String writes the span the way a reader of Doc 9303 counts: "line 2,
// positions 1-9".
func (s Span) String() string {
	if s.End-s.Start <= 1 {
		return fmt.Sprintf("line %d, position %d", s.Line+1, s.Start+1)
	}
	return fmt.Sprintf("line %d, positions %d-%d", s.Line+1, s.Start+1, s.End)
}

// Date is a date of the zone with its century inferred. A part written as
// fillers (unknown, allowed in birth dates) is 0.
type Date struct {
	Year  int
	Month int
	Day   int
}

// IsZero tells whether the date is entirely unknown.
func (d Date) IsZero() bool { return d.Year == 0 && d.Month == 0 && d.Day == 0 }

// String writes the date as YYYY-MM-DD, with XX for unknown parts.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	b := make([]byte, 0, 10)
	b = appendPart(b, d.Year, 4)
	b = append(b, '-')
	b = appendPart(b, d.Month, 2)
	b = append(b, '-')
	b = appendPart(b, d.Day, 2)
	return string(b)
}

func appendPart(b []byte, v, width int) []byte {
	if v == 0 {
		for range width {
			b = append(b, 'X')
		}
		return b
	}
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// Time returns the date at midnight UTC; unknown month or day count as 1.
func (d Date) Time() time.Time {
	if d.Year == 0 {
		return time.Time{}
	}
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// DateOf returns the calendar date of t (in t's location).
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: int(m), Day: d}
}

// before compares two complete-or-partial dates; unknown parts count as 1.
func (d Date) before(e Date) bool { return d.key() < e.key() }

func (d Date) key() int {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return d.Year*10000 + m*100 + day
}

// ErrorCode says what is wrong with a field; "" when the field is valid.
// Callers branch on the code; Field.Message explains it to a person.
type ErrorCode string

// The error codes.
const (
	ErrInvalidCharacter ErrorCode = "invalid_character"    // a character the field's class does not allow
	ErrCheckDigit       ErrorCode = "check_digit"          // the check digit does not match the data
	ErrDocumentCode     ErrorCode = "document_code"        // not a code of this format
	ErrUnknownCode      ErrorCode = "unknown_code"         // not a state or organisation code valid in an MRZ
	ErrNonICAOCode      ErrorCode = "non_icao_code"        // a code seen in the field, but not issued by ICAO
	ErrInvalidDate      ErrorCode = "invalid_date"         // not a calendar date
	ErrUnknownDate      ErrorCode = "unknown_date"         // an unknown part where the date must be complete
	ErrSex              ErrorCode = "sex"                  // not M, F, X or <
	ErrFiller           ErrorCode = "filler"               // letters after the trailing filler, or a missing filler
	ErrEmpty            ErrorCode = "empty"                // a field that must not be empty is
	ErrLongNumber       ErrorCode = "long_document_number" // position of the check digit is < but no continuation follows
)

// Warning is a remark about a zone that is valid as written but deserves
// attention. Result.Warnings holds a set of them.
type Warning uint32

// The warnings.
const (
	WarnExpired                  Warning = 1 << iota // the expiry date is before the reference date
	WarnSpecimen                                     // UTO or XXX as issuer, UTO as nationality, or SPECIMEN as a name
	WarnNonStandardSex                               // X: valid since Doc 9303 7th edition, but not read by every system
	WarnTruncatedName                                // the name fills its field to the last position: it may be truncated
	WarnUnspecifiedNationality                       // XXX: person of unspecified nationality
	WarnLongNumberFillerIncluded                     // the long document number's check digit includes the < at the check position (not ICAO 8th edition)
	WarnBirthAfterExpiry                             // the birth date is not before the expiry date
	WarnBirthUnknownParts                            // the birth date has unknown parts (<)
	WarnDigitInDocumentCode                          // a digit as the document code's second character (issuer practice, not Doc 9303)
	numWarnings                  = iota
)

var warningNames = [...]string{
	"expired", "specimen", "non_standard_sex", "truncated_name",
	"unspecified_nationality", "long_number_filler_included",
	"birth_after_expiry", "birth_unknown_parts", "digit_in_document_code",
}

var warningMessages = [...]string{
	"the document has expired (expiry date before the reference date)",
	"specimen document (Utopia or unspecified issuer, or SPECIMEN as the name)",
	"sex X (unspecified): valid, but some systems read only M, F and <",
	"the name fills its field to the last position and may be truncated",
	"nationality XXX: person of unspecified nationality",
	"the long document number's check digit includes the filler at the check-digit position (issuer practice, not ICAO 8th edition)",
	"the birth date is not before the expiry date",
	"the birth date has unknown parts",
	"the document code's second character is a digit (issuer practice, e.g. the US permanent resident card's C1; Doc 9303 defines letters)",
}

// String returns the warning's code, e.g. "expired".
func (w Warning) String() string {
	for i := range numWarnings {
		if w == 1<<i {
			return warningNames[i]
		}
	}
	return "warning(" + strconv.Itoa(int(w)) + ")"
}

// Message explains the warning to a person.
func (w Warning) Message() string {
	for i := range numWarnings {
		if w == 1<<i {
			return warningMessages[i]
		}
	}
	return w.String()
}

// Warnings is a set of warnings.
type Warnings uint32

// Has tells whether w is in the set.
func (s Warnings) Has(w Warning) bool { return uint32(s)&uint32(w) != 0 }

func (s *Warnings) add(w Warning) { *s |= Warnings(w) }

// List returns the warnings of the set in a fixed order.
func (s Warnings) List() []Warning {
	var out []Warning
	for i := range numWarnings {
		if w := Warning(1 << i); s.Has(w) {
			out = append(out, w)
		}
	}
	return out
}

// LongNumberRule tells how a document number longer than nine characters
// was checked (TD1, TD2 and visas continue it in the optional data).
type LongNumberRule uint8

// The long-number rules.
const (
	// NotLong: the document number has at most nine characters.
	NotLong LongNumberRule = iota
	// LongICAO: the check digit covers the number without the < at the
	// check-digit position (Doc 9303 8th edition).
	LongICAO
	// LongFillerIncluded: the check digit covers the number with that <,
	// as some issuers compute it.
	LongFillerIncluded
	// LongNoRule: the number is long but neither rule matches.
	LongNoRule
)

// String returns "", "icao", "filler_included" or "none".
func (r LongNumberRule) String() string {
	switch r {
	case LongICAO:
		return "icao"
	case LongFillerIncluded:
		return "filler_included"
	case LongNoRule:
		return "none"
	}
	return ""
}

// Field is one field of a parsed zone.
type Field struct {
	// Name is the field's name; Present is false when the format has no
	// such field (then every other member is zero).
	Name    FieldName
	Present bool
	// Value is the field in readable form: fillers at the end removed, the
	// fillers between names as spaces, a long document number joined from
	// its two parts, Sex "" for <.
	Value string
	// Raw is the field's characters as read, fillers included.
	Raw string
	// Span locates the field in the zone (for names, the name itself; for
	// a long document number, its first part).
	Span Span
	// Valid is false when the field breaks a rule; Code and Message say
	// which, ErrorSpan says where (a bad character, a check digit, a
	// month).
	Valid     bool
	Code      ErrorCode
	Message   string
	ErrorSpan Span
	// Expected is the check digit computed from the data, for check-digit
	// fields (0 elsewhere).
	Expected byte
	// Date is the date of a date field, with its century inferred from
	// the reference date.
	Date Date
}

func (f *Field) fail(code ErrorCode, msg string, at Span) {
	if !f.Valid {
		return // keep the first error: it is the one to fix first
	}
	f.Valid = false
	f.Code = code
	f.Message = msg
	f.ErrorSpan = at
}

// Result is a parsed and validated machine readable zone.
type Result struct {
	// Format is the layout that was recognised.
	Format Format
	// Valid is true when every field is valid. Warnings do not make a
	// zone invalid.
	Valid bool
	// Lines are the zone's lines as parsed (blank space removed).
	Lines [3]string
	// NumLines is the number of lines used in Lines.
	NumLines int
	// Fields holds every field, indexed by FieldName.
	Fields [numFieldNames]Field
	// Warnings holds remarks that do not make the zone invalid.
	Warnings Warnings
	// LongNumber tells how a long document number was checked.
	LongNumber LongNumberRule
	// Reference is the date that century inference and expiry used.
	Reference Date
}

// Field returns the named field, or nil when the format has no such field.
func (r *Result) Field(n FieldName) *Field {
	if n >= numFieldNames || !r.Fields[n].Present {
		return nil
	}
	return &r.Fields[n]
}

// Value returns the named field's value ("" when absent).
func (r *Result) Value(n FieldName) string {
	if f := r.Field(n); f != nil {
		return f.Value
	}
	return ""
}

// Errors returns the invalid fields in the order of their names.
func (r *Result) Errors() []*Field {
	var out []*Field
	for i := range r.Fields {
		if f := &r.Fields[i]; f.Present && !f.Valid {
			out = append(out, f)
		}
	}
	return out
}

// Text returns the zone's lines joined by newlines.
func (r *Result) Text() string {
	s := ""
	for i := 0; i < r.NumLines; i++ {
		if i > 0 {
			s += "\n"
		}
		s += r.Lines[i]
	}
	return s
}

// JSON shapes of a result, for MarshalJSON and the command line.
type (
	jsonField struct {
		Value     string `json:"value"`
		Raw       string `json:"raw"`
		Valid     bool   `json:"valid"`
		Span      Span   `json:"span"`
		Date      string `json:"date,omitempty"`
		Expected  string `json:"expected,omitempty"`
		Code      string `json:"code,omitempty"`
		Message   string `json:"message,omitempty"`
		ErrorSpan *Span  `json:"error_span,omitempty"`
	}
	jsonError struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
		Span    Span   `json:"span"`
	}
	jsonWarning struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	jsonResult struct {
		Format     Format               `json:"format"`
		Valid      bool                 `json:"valid"`
		Lines      []string             `json:"lines"`
		Fields     map[string]jsonField `json:"fields"`
		Errors     []jsonError          `json:"errors"`
		Warnings   []jsonWarning        `json:"warnings"`
		LongNumber string               `json:"long_number_rule,omitempty"`
		Reference  string               `json:"reference_date"`
	}
)

// MarshalJSON writes the result as {"format", "valid", "lines", "fields":
// {name: {value, raw, valid, span, ...}}, "errors": [...], "warnings":
// [...]}.
func (r *Result) MarshalJSON() ([]byte, error) {
	out := jsonResult{
		Format:     r.Format,
		Valid:      r.Valid,
		Lines:      r.Lines[:r.NumLines],
		Fields:     map[string]jsonField{},
		Errors:     []jsonError{},
		Warnings:   []jsonWarning{},
		LongNumber: r.LongNumber.String(),
		Reference:  r.Reference.String(),
	}
	for i := range r.Fields {
		f := &r.Fields[i]
		if !f.Present {
			continue
		}
		jf := jsonField{Value: f.Value, Raw: f.Raw, Valid: f.Valid, Span: f.Span, Date: f.Date.String(), Code: string(f.Code), Message: f.Message}
		if f.Expected != 0 {
			jf.Expected = string(rune(f.Expected))
		}
		if !f.Valid {
			es := f.ErrorSpan
			jf.ErrorSpan = &es
			out.Errors = append(out.Errors, jsonError{Field: f.Name.String(), Code: string(f.Code), Message: f.Message, Span: es})
		}
		out.Fields[f.Name.String()] = jf
	}
	for _, w := range r.Warnings.List() {
		out.Warnings = append(out.Warnings, jsonWarning{Code: w.String(), Message: w.Message()})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // fillers stay readable as <, not \u003c
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
