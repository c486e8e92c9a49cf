package mrz

import (
	"errors"
	"fmt"
	"time"
)

// DefaultExpiryHorizon is how many years after the reference date an
// expiry date may lie before it is read as a date of the previous century.
const DefaultExpiryHorizon = 20

// ErrNotMRZ is wrapped by every error that says the text does not have the
// shape of a machine readable zone (line count or length).
var ErrNotMRZ = errors.New("not a machine readable zone")

// FormatError says why text was not recognised as any format.
type FormatError struct {
	// Lengths are the lengths of the non-empty lines found.
	Lengths []int
	// Reason explains what was expected.
	Reason string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("mrz: %v: %s (line lengths %v)", ErrNotMRZ, e.Reason, e.Lengths)
}

// Unwrap lets errors.Is(err, ErrNotMRZ) match.
func (e *FormatError) Unwrap() error { return ErrNotMRZ }

// Parser parses zones with one configuration. Its zero value is ready to
// use (reference date: today; expiry horizon: DefaultExpiryHorizon). A
// Parser is safe for concurrent use; ParseInto allocates nothing beyond
// the one string that holds the readable names (and a long document
// number).
type Parser struct {
	// Reference is the date that century inference and the expired check
	// use; the zero time means the current date at each parse.
	Reference time.Time
	// ExpiryHorizon is how many years past the reference an expiry date
	// may lie (0: DefaultExpiryHorizon). "960623" read in 2026 with a
	// horizon of 20 is 1996, not 2096.
	ExpiryHorizon int
}

// Option configures Parse, ParseLines, Repair and NewParser.
type Option func(*Parser)

// WithReferenceDate sets the date against which two-digit years get their
// century (birth dates lie before it, expiry dates at most the horizon
// after it) and expiry is judged.
func WithReferenceDate(t time.Time) Option { return func(p *Parser) { p.Reference = t } }

// WithExpiryHorizon sets how many years after the reference date an expiry
// date may lie.
func WithExpiryHorizon(years int) Option { return func(p *Parser) { p.ExpiryHorizon = years } }

// NewParser returns a Parser configured by opts.
func NewParser(opts ...Option) *Parser {
	p := &Parser{}
	for _, o := range opts {
		o(p)
	}
	return p
}

// defaultParser serves calls without options (the closures of options
// make a Parser escape to the heap).
var defaultParser Parser

// Parse parses and validates a machine readable zone given as text: its
// lines separated by newlines (blank space around lines and empty lines
// are ignored; a single line holding a whole zone is split). The error
// is a *FormatError when the text has no MRZ shape; a zone with invalid
// fields is returned with Valid false and no error.
func Parse(text string, opts ...Option) (*Result, error) {
	if len(opts) == 0 {
		return defaultParser.Parse(text)
	}
	var p Parser
	for _, o := range opts {
		o(&p)
	}
	r := new(Result)
	if err := p.ParseInto(r, text); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseLines is Parse for a zone already split into lines.
func ParseLines(lines []string, opts ...Option) (*Result, error) {
	if len(opts) == 0 {
		return defaultParser.ParseLines(lines)
	}
	var p Parser
	for _, o := range opts {
		o(&p)
	}
	r := new(Result)
	if err := p.ParseLinesInto(r, lines); err != nil {
		return nil, err
	}
	return r, nil
}

// Parse is the package's Parse with this parser's configuration.
func (p *Parser) Parse(text string) (*Result, error) {
	r := new(Result)
	if err := p.ParseInto(r, text); err != nil {
		return nil, err
	}
	return r, nil
}

// ParseInto parses text into r, overwriting it. It allocates nothing but
// the string of readable values (names with spaces, long numbers).
func (p *Parser) ParseInto(r *Result, text string) error {
	var lines [3]string
	n, err := splitLines(text, &lines)
	if err != nil {
		return err
	}
	return p.parse(r, &lines, n)
}

// ParseLinesInto is ParseInto for a zone already split into lines.
func (p *Parser) ParseLinesInto(r *Result, in []string) error {
	var lines [3]string
	n := 0
	for _, l := range in {
		l = trimSpace(l)
		if l == "" {
			continue
		}
		if n == 3 {
			return &FormatError{Lengths: lengthsOf(in), Reason: "more than 3 lines"}
		}
		lines[n] = l
		n++
	}
	if n == 1 {
		n = splitSingle(&lines)
	}
	return p.parse(r, &lines, n)
}

func lengthsOf(in []string) []int {
	var out []int
	for _, l := range in {
		if l = trimSpace(l); l != "" {
			out = append(out, len(l))
		}
	}
	return out
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isBlank(b byte) bool {
	return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == '\v' || b == '\f'
}

// splitLines cuts text into at most 3 non-empty trimmed lines.
func splitLines(text string, lines *[3]string) (int, error) {
	n := 0
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && text[i] != '\n' {
			continue
		}
		l := trimSpace(text[start:i])
		start = i + 1
		if l == "" {
			continue
		}
		if n == 3 {
			return 0, &FormatError{Lengths: lengthsOf(splitAll(text)), Reason: "more than 3 lines"}
		}
		lines[n] = l
		n++
	}
	if n == 1 {
		n = splitSingle(lines)
	}
	return n, nil
}

func splitAll(text string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(text); i++ {
		if i == len(text) || text[i] == '\n' {
			out = append(out, text[start:i])
			start = i + 1
		}
	}
	return out
}

// splitSingle splits a zone written on one line (as some readers deliver
// it) by its total length: 90 is TD1, 88 TD3 or MRV-A, 72 TD2, MRV-B or
// the French card.
func splitSingle(lines *[3]string) int {
	l := lines[0]
	switch len(l) {
	case 90:
		lines[0], lines[1], lines[2] = l[:30], l[30:60], l[60:]
		return 3
	case 88:
		lines[0], lines[1] = l[:44], l[44:]
		return 2
	case 72:
		lines[0], lines[1] = l[:36], l[36:]
		return 2
	}
	return 1
}

func (p *Parser) reference() (Date, int) {
	ref := p.Reference
	if ref.IsZero() {
		ref = time.Now()
	}
	h := p.ExpiryHorizon
	if h <= 0 {
		h = DefaultExpiryHorizon
	}
	return DateOf(ref), h
}

// readable collects the values that cannot be substrings of the input
// (names with spaces, long document numbers) in one buffer, converted to
// one string at the end: one allocation per zone.
type readable struct {
	buf     [128]byte
	n       int
	pending [4]struct {
		field    FieldName
		off, len int
	}
	np int
}

func (rd *readable) add(f FieldName, parts ...string) {
	off := rd.n
	for _, s := range parts {
		rd.n += copy(rd.buf[rd.n:], s)
	}
	rd.pending[rd.np] = struct {
		field    FieldName
		off, len int
	}{f, off, rd.n - off}
	rd.np++
}

// addName appends a name with its single fillers turned into spaces.
func (rd *readable) addName(f FieldName, name string) {
	off := rd.n
	for i := 0; i < len(name) && rd.n < len(rd.buf); i++ {
		c := name[i]
		if c == '<' {
			c = ' '
		}
		rd.buf[rd.n] = c
		rd.n++
	}
	rd.pending[rd.np] = struct {
		field    FieldName
		off, len int
	}{f, off, rd.n - off}
	rd.np++
}

func (rd *readable) flush(r *Result) {
	if rd.np == 0 {
		return
	}
	s := string(rd.buf[:rd.n])
	for _, p := range rd.pending[:rd.np] {
		r.Fields[p.field].Value = s[p.off : p.off+p.len]
	}
}

func (p *Parser) parse(r *Result, lines *[3]string, n int) error {
	f := detectFormat(lines, n)
	if f == UnknownFormat {
		ls := make([]int, n)
		for i := range ls {
			ls[i] = len(lines[i])
		}
		return &FormatError{Lengths: ls, Reason: shapeReason(lines, n)}
	}
	*r = Result{Format: f, Lines: *lines, NumLines: n}
	ref, horizon := p.reference()
	r.Reference = ref
	v := validator{r: r, lay: &layouts[f], ref: ref, horizon: horizon}
	v.run()
	v.rd.flush(r)
	r.Valid = true
	for i := range r.Fields {
		if fl := &r.Fields[i]; fl.Present && !fl.Valid {
			r.Valid = false
			break
		}
	}
	return nil
}

func shapeReason(lines *[3]string, n int) string {
	switch n {
	case 0:
		return "no text"
	case 1:
		return "one line; a zone has 2 lines (of 36 or 44 characters) or 3 (of 30)"
	case 2:
		if len(lines[0]) != len(lines[1]) {
			return "the 2 lines differ in length"
		}
		return "2 lines must have 36 characters (TD2, MRV-B, French card) or 44 (TD3, MRV-A)"
	}
	return "3 lines must have 30 characters each (TD1)"
}

// validator fills a Result field by field.
type validator struct {
	r       *Result
	lay     *layout
	ref     Date
	horizon int
	rd      readable
}

func (v *validator) raw(p pos) string { return v.r.Lines[p.line][p.start:p.end] }

// field starts a field at p with the character class c: Present, Raw,
// Span, Value (the raw text without trailing fillers) and the class check.
func (v *validator) field(name FieldName, p pos, c charClass) *Field {
	f := &v.r.Fields[name]
	raw := v.raw(p)
	*f = Field{Name: name, Present: true, Raw: raw, Value: trimFiller(raw), Span: p.span(), Valid: true}
	if i := firstOutside(raw, c); i >= 0 {
		f.fail(ErrInvalidCharacter, classMessage[c], Span{p.line, p.start + i, p.start + i + 1})
	}
	return f
}

var classMessage = [...]string{
	classAlpha:   "character not allowed: this field takes only letters A-Z and the filler <",
	classNumeric: "character not allowed: this field takes only digits 0-9 (and the filler < for unknown parts)",
	classAlnum:   "character not allowed: this field takes only letters A-Z, digits 0-9 and the filler <",
}

func (v *validator) run() {
	l := v.lay
	v.documentCode()
	v.code(IssuingState, l.state)
	if l.names.ok() {
		v.names(l.names)
	} else {
		v.frenchNames()
	}
	v.documentNumber()
	if l.nationality.ok() {
		v.code(Nationality, l.nationality)
	}
	birth := v.date(BirthDate, l.birth, true)
	v.check(BirthDateCheck, l.birthCheck, v.raw(l.birth), false)
	v.sex()
	if l.expiry.ok() {
		exp := v.date(ExpiryDate, l.expiry, false)
		v.check(ExpiryDateCheck, l.expiryCheck, v.raw(l.expiry), false)
		if f := &v.r.Fields[ExpiryDate]; f.Valid && !exp.IsZero() {
			if exp.before(v.ref) {
				v.r.Warnings.add(WarnExpired)
			}
			if bf := &v.r.Fields[BirthDate]; bf.Valid && birth.Year != 0 && !birth.before(exp) {
				v.r.Warnings.add(WarnBirthAfterExpiry)
			}
		}
	}
	if l.optionalChk.ok() {
		v.check(OptionalDataCheck, l.optionalChk, v.raw(l.optional), true)
		if v.raw(l.optionalChk) == "<" && !allFiller(v.raw(l.optional)) {
			f := &v.r.Fields[OptionalDataCheck]
			f.fail(ErrCheckDigit, "the personal number is used, so its check digit must be a digit", f.Span)
		}
	}
	if l.optional2.ok() {
		v.field(OptionalData2, l.optional2, classAlnum)
	}
	if l.issueDate.ok() {
		v.issueDate()
	}
	if l.composite.ok() {
		v.composite()
	}
	v.specimen()
}

func (v *validator) documentCode() {
	f := v.field(DocumentCode, v.lay.code, classAlnum)
	if !f.Valid {
		return
	}
	c0, c1 := f.Raw[0], f.Raw[1]
	if !classAlpha.allows(c0) {
		f.fail(ErrInvalidCharacter, classMessage[classAlpha], Span{f.Span.Line, f.Span.Start, f.Span.Start + 1})
		return
	}
	if isDigit(c1) {
		if v.r.Format == FrenchID {
			f.fail(ErrDocumentCode, "the French identity card's code is ID", f.Span)
			return
		}
		// Doc 9303 defines letters, but issuers print digits there (the
		// US permanent resident card's C1): a warning, not a failure.
		v.r.Warnings.add(WarnDigitInDocumentCode)
	}
	sp := Span{f.Span.Line, f.Span.Start, f.Span.Start + 1}
	switch v.r.Format {
	case TD1, TD2:
		if c0 != 'I' && c0 != 'A' && c0 != 'C' {
			f.fail(ErrDocumentCode, "an identity card (TD1, TD2) starts with I, A or C", sp)
		} else if c1 == 'V' {
			f.fail(ErrDocumentCode, "V is not allowed as the second character of an identity card's code", Span{sp.Line, sp.Start + 1, sp.Start + 2})
		}
	case TD3:
		if c0 != 'P' {
			f.fail(ErrDocumentCode, "a passport (TD3) starts with P", sp)
		}
	case MRVA, MRVB:
		if c0 != 'V' {
			f.fail(ErrDocumentCode, "a visa starts with V", sp)
		}
	case FrenchID:
		if f.Raw != "ID" {
			f.fail(ErrDocumentCode, "the French identity card's code is ID", f.Span)
		}
	}
	if c0 == '<' {
		f.fail(ErrDocumentCode, "the document code cannot start with the filler", sp)
	}
}

func (v *validator) code(name FieldName, p pos) {
	f := v.field(name, p, classAlpha)
	if !f.Valid {
		return
	}
	switch {
	case nonICAO.has(f.Raw):
		f.fail(ErrNonICAOCode, "a code used by some issuers but not valid in an MRZ (Doc 9303 Part 3 lists the valid codes)", f.Span)
	case !validCodes.has(f.Raw):
		f.fail(ErrUnknownCode, "not a state or organisation code valid in an MRZ (ISO 3166-1 alpha-3 or Doc 9303 Part 3)", f.Span)
	}
	if name == Nationality && f.Raw == "XXX" {
		v.r.Warnings.add(WarnUnspecifiedNationality)
	}
}

func (v *validator) specimen() {
	r := v.r
	st, nat := r.Fields[IssuingState].Raw, r.Fields[Nationality].Raw
	if st == "UTO" || st == "XXX" || nat == "UTO" ||
		r.Fields[Surname].Value == "SPECIMEN" || r.Fields[GivenNames].Value == "SPECIMEN" {
		r.Warnings.add(WarnSpecimen)
	}
}

// names splits a name zone into the primary identifier (before the first
// <<) and the secondary identifier, and checks the filler rules: one <
// between name parts, << between the two identifiers, and only fillers
// after the name.
func (v *validator) names(p pos) {
	zone := v.raw(p)
	sur := v.field(Surname, p, classAlpha)
	giv := &v.r.Fields[GivenNames]
	*giv = Field{Name: GivenNames, Present: true, Valid: true}
	sep := indexDouble(zone)
	surEnd, givStart := len(zone), len(zone)
	if sep >= 0 {
		surEnd, givStart = sep, sep+2
	}
	surRaw := trimFiller(zone[:surEnd])
	givRaw := trimFiller(zone[givStart:])
	sur.Raw = zone[:surEnd]
	sur.Span = Span{p.line, p.start, p.start + len(surRaw)}
	giv.Raw = zone[givStart:]
	giv.Span = Span{p.line, p.start + givStart, p.start + givStart + len(givRaw)}
	if sur.Code == ErrInvalidCharacter {
		// Report the bad character on the identifier that holds it.
		if sur.ErrorSpan.Start >= giv.Span.Start && sep >= 0 {
			*giv, *sur = Field{Name: GivenNames, Present: true, Raw: giv.Raw, Span: giv.Span, Valid: false,
				Code: sur.Code, Message: sur.Message, ErrorSpan: sur.ErrorSpan},
				Field{Name: Surname, Present: true, Raw: sur.Raw, Span: sur.Span, Valid: true}
		}
	}
	v.nameValue(Surname, surRaw)
	v.nameValue(GivenNames, givRaw)
	if surRaw == "" && givRaw == "" {
		sur.fail(ErrEmpty, "the name is empty", p.span())
		return
	}
	// After the given names, only fillers: a << inside them means the
	// letters that follow are not part of the name.
	if i := indexDouble(givRaw); i >= 0 {
		giv.fail(ErrFiller, "letters after the fillers that end the name (names are separated by one <)", Span{p.line, p.start + givStart + i, p.start + givStart + len(givRaw)})
	}
	if zone[len(zone)-1] != '<' {
		v.r.Warnings.add(WarnTruncatedName)
	}
}

func (v *validator) nameValue(name FieldName, raw string) {
	f := &v.r.Fields[name]
	for i := 0; i < len(raw); i++ {
		if raw[i] == '<' {
			v.rd.addName(name, raw)
			return
		}
	}
	f.Value = raw
}

// frenchNames reads the French card's surname (line 1, 25 characters) and
// given names (line 2, 14 characters, several separated by <<).
func (v *validator) frenchNames() {
	l := v.lay
	sur := v.field(Surname, l.surnameOnly, classAlpha)
	giv := v.field(GivenNames, l.givenOnly, classAlpha)
	sur.Span.End = sur.Span.Start + len(sur.Value)
	giv.Span.End = giv.Span.Start + len(giv.Value)
	v.nameValue(Surname, sur.Value)
	v.nameValue(GivenNames, giv.Value)
	if sur.Value == "" {
		sur.fail(ErrEmpty, "the surname is empty", l.surnameOnly.span())
	}
	if i := indexDouble(sur.Value); i >= 0 {
		sur.fail(ErrFiller, "letters after the fillers that end the surname", Span{l.surnameOnly.line, l.surnameOnly.start + i, sur.Span.End})
	}
	if sur.Raw[len(sur.Raw)-1] != '<' || giv.Raw[len(giv.Raw)-1] != '<' {
		v.r.Warnings.add(WarnTruncatedName)
	}
	v.field(OptionalData, l.optional, classAlnum)
}

func indexDouble(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '<' && s[i+1] == '<' {
			return i
		}
	}
	return -1
}

// documentNumber checks the number and its check digit; a < at the
// check-digit position of TD1, TD2 and visas means the number continues
// in the optional data, up to the next <, whose last character is the
// check digit.
func (v *validator) documentNumber() {
	l := v.lay
	num := v.field(DocumentNumber, l.docNumber, classAlnum)
	if num.Raw[0] == '<' && num.Valid && !allFiller(num.Raw) {
		num.fail(ErrFiller, "the document number starts with a filler", Span{l.docNumber.line, l.docNumber.start, l.docNumber.start + 1})
	}
	checkRaw := v.raw(l.docCheck)
	if !(l.longNumbers && checkRaw == "<" && !allFiller(num.Raw)) {
		if allFiller(num.Raw) {
			num.fail(ErrEmpty, "the document number is empty", num.Span)
		}
		v.check(DocumentNumberCheck, l.docCheck, num.Raw, false)
		if l.optional.ok() && !v.r.Fields[OptionalData].Present {
			v.field(OptionalData, l.optional, classAlnum)
		}
		return
	}
	// A long document number.
	opt := v.raw(l.optional)
	ext := 0
	for ext < len(opt) && opt[ext] != '<' {
		ext++
	}
	ck := &v.r.Fields[DocumentNumberCheck]
	if ext == 0 {
		*ck = Field{Name: DocumentNumberCheck, Present: true, Raw: checkRaw, Value: checkRaw, Span: l.docCheck.span(), Valid: true}
		ck.fail(ErrLongNumber, "the check-digit position holds <, which announces a long document number, but the optional data does not continue it", l.docCheck.span())
		v.field(OptionalData, l.optional, classAlnum)
		v.r.LongNumber = LongNoRule
		return
	}
	extChars := opt[:ext-1]
	digitPos := at(l.optional.line, l.optional.start+ext-1)
	v.rd.add(DocumentNumber, num.Raw, extChars)
	if i := firstOutside(extChars, classAlnum); i >= 0 && num.Valid {
		num.fail(ErrInvalidCharacter, classMessage[classAlnum], at(l.optional.line, l.optional.start+i).span())
	}
	*ck = Field{Name: DocumentNumberCheck, Present: true, Raw: opt[ext-1 : ext], Value: opt[ext-1 : ext], Span: digitPos.span(), Valid: true}
	var icao, incl checkSum
	icao.add(num.Raw)
	icao.add(extChars)
	incl.add(num.Raw)
	incl.add("<")
	incl.add(extChars)
	ck.Expected = icao.digit()
	d := ck.Raw[0]
	switch {
	case !isDigit(d):
		ck.fail(ErrCheckDigit, "a check digit must be a digit 0-9", ck.Span)
		v.r.LongNumber = LongNoRule
	case d == icao.digit():
		v.r.LongNumber = LongICAO
	case d == incl.digit():
		v.r.LongNumber = LongFillerIncluded
		ck.Expected = incl.digit()
		v.r.Warnings.add(WarnLongNumberFillerIncluded)
	default:
		v.r.LongNumber = LongNoRule
		ck.fail(ErrCheckDigit, "the check digit matches the long document number under neither rule (with or without the < at the check-digit position)", ck.Span)
	}
	// The optional data proper starts after the check digit and its
	// separating filler.
	rest := pos{l.optional.line, l.optional.start + ext, l.optional.end}
	for rest.start < rest.end && v.r.Lines[rest.line][rest.start] == '<' {
		rest.start++
	}
	if rest.start == rest.end {
		rest.start = l.optional.start + ext
	}
	v.field(OptionalData, rest, classAlnum)
}

// check verifies the check digit at p over data. A < is accepted when
// fillerOK and data is all fillers (an unused field).
func (v *validator) check(name FieldName, p pos, data string, fillerOK bool) {
	f := &v.r.Fields[name]
	raw := v.raw(p)
	*f = Field{Name: name, Present: true, Raw: raw, Value: raw, Span: p.span(), Valid: true}
	want, ok := CheckDigit(data)
	f.Expected = want
	d := raw[0]
	switch {
	case d == '<' && fillerOK && allFiller(data):
		// An unused field: < or 0 are both allowed.
	case !ok:
		f.Expected = 0
		f.fail(ErrCheckDigit, "the check digit cannot be verified: the data it covers has characters outside the MRZ set", f.Span)
	case !isDigit(d):
		f.fail(ErrCheckDigit, "a check digit must be a digit 0-9", f.Span)
	case d != want:
		f.fail(ErrCheckDigit, checkMessages[name], f.Span)
	}
}

var checkMessages = [numFieldNames]string{
	DocumentNumberCheck: "the check digit does not match the document number (ICAO 7-3-1)",
	BirthDateCheck:      "the check digit does not match the birth date (ICAO 7-3-1)",
	ExpiryDateCheck:     "the check digit does not match the expiry date (ICAO 7-3-1)",
	OptionalDataCheck:   "the check digit does not match the personal number (ICAO 7-3-1)",
	CompositeCheck:      "the composite check digit does not match the numbers and dates it covers (ICAO 7-3-1)",
}

func (v *validator) composite() {
	l := v.lay
	f := &v.r.Fields[CompositeCheck]
	raw := v.raw(l.composite)
	*f = Field{Name: CompositeCheck, Present: true, Raw: raw, Value: raw, Span: l.composite.span(), Valid: true}
	var cs checkSum
	for _, p := range l.compositeParts {
		if p.ok() {
			cs.add(v.raw(p))
		}
	}
	f.Expected = cs.digit()
	switch {
	case cs.bad:
		f.Expected = 0
		f.fail(ErrCheckDigit, "the composite check digit cannot be verified: the data it covers has characters outside the MRZ set", f.Span)
	case !isDigit(raw[0]):
		f.fail(ErrCheckDigit, "a check digit must be a digit 0-9", f.Span)
	case raw[0] != f.Expected:
		f.fail(ErrCheckDigit, checkMessages[CompositeCheck], f.Span)
	}
}

func (v *validator) sex() {
	f := v.field(Sex, v.lay.sex, classAlpha)
	switch f.Raw[0] {
	case 'M', 'F':
	case '<':
		f.Value = ""
	case 'X':
		v.r.Warnings.add(WarnNonStandardSex)
	default:
		f.Valid = true
		f.fail(ErrSex, "sex must be M, F, X or <", f.Span)
	}
}

// date reads YYMMDD with its century: birth dates lie on or before the
// reference date, expiry dates at most the horizon after it. Birth dates
// may have unknown parts written as <<.
func (v *validator) date(name FieldName, p pos, birth bool) Date {
	f := v.field(name, p, classNumeric)
	if !f.Valid {
		return Date{}
	}
	raw := f.Raw
	var parts [3]int
	for i := 0; i < 3; i++ {
		a, b := raw[2*i], raw[2*i+1]
		sp := Span{p.line, p.start + 2*i, p.start + 2*i + 2}
		switch {
		case a == '<' && b == '<':
			if !birth {
				f.fail(ErrUnknownDate, "an expiry date must be complete (fillers are allowed only in birth dates)", sp)
				return Date{}
			}
			parts[i] = -1
		case isDigit(a) && isDigit(b):
			parts[i] = int(a-'0')*10 + int(b-'0')
		default:
			f.fail(ErrInvalidDate, "a date part is two digits, or << when unknown", sp)
			return Date{}
		}
	}
	if birth && (parts[0] < 0 || parts[1] < 0 || parts[2] < 0) {
		v.r.Warnings.add(WarnBirthUnknownParts)
	}
	var d Date
	if parts[1] >= 0 {
		if parts[1] < 1 || parts[1] > 12 {
			f.fail(ErrInvalidDate, "the month is not 01-12", Span{p.line, p.start + 2, p.start + 4})
			return Date{}
		}
		d.Month = parts[1]
	}
	if parts[0] >= 0 {
		d.Year = 2000 + parts[0]
		if birth {
			if v.ref.before(d) {
				d.Year -= 100
			}
		} else if d.Year > v.ref.Year+v.horizon {
			d.Year -= 100
		}
	}
	if parts[2] >= 0 {
		if parts[2] < 1 || parts[2] > daysIn(d.Year, d.Month) {
			f.fail(ErrInvalidDate, "the day does not exist in that month", Span{p.line, p.start + 4, p.start + 6})
			return Date{}
		}
		d.Day = parts[2]
		if birth && parts[0] >= 0 && v.ref.before(d) {
			d.Year -= 100 // same month as the reference, later day
		}
	}
	f.Date = d
	return d
}

// daysIn returns the days of the month; unknown year or month allow the
// most.
func daysIn(year, month int) int {
	switch month {
	case 0:
		return 31
	case 2:
		if year == 0 || year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// issueDate reads the French card's YYMM of issue (the first four
// characters of its document number), always in the past.
func (v *validator) issueDate() {
	p := v.lay.issueDate
	f := v.field(IssueDate, p, classNumeric)
	if !f.Valid {
		return
	}
	raw := f.Raw
	if !isDigit(raw[0]) || !isDigit(raw[1]) || !isDigit(raw[2]) || !isDigit(raw[3]) {
		f.fail(ErrInvalidDate, "the year and month of issue are four digits", p.span())
		return
	}
	m := int(raw[2]-'0')*10 + int(raw[3]-'0')
	if m < 1 || m > 12 {
		f.fail(ErrInvalidDate, "the month is not 01-12", Span{p.line, p.start + 2, p.start + 4})
		return
	}
	d := Date{Year: 2000 + int(raw[0]-'0')*10 + int(raw[1]-'0'), Month: m}
	if v.ref.before(d) {
		d.Year -= 100
	}
	f.Date = d
}
