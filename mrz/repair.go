package mrz

import (
	"fmt"
	"sort"
	"strings"
)

// Candidate is one reading of a character cell proposed by an OCR engine,
// with the engine's score for it (higher is more likely; any scale that is
// consistent within one call, e.g. a probability or a log-probability).
type Candidate struct {
	Char  byte
	Score float64
}

// Alternatives are an OCR engine's readings of every cell of the zone:
// Alternatives[line][column] lists the candidates of that cell, best
// first, top-k as the engine likes. Lines and columns are those of the
// lines given to Repair; missing lines, cells or an empty list mean "no
// alternatives for that cell". A nil Alternatives is allowed.
type Alternatives [][][]Candidate

func (a Alternatives) at(line, col int) []Candidate {
	if line < len(a) && col < len(a[line]) {
		return a[line][col]
	}
	return nil
}

// CorrectionReason says why Repair changed a character.
type CorrectionReason string

// The reasons.
const (
	// ReasonNormalised: lower case, a look-alike symbol, blank space.
	ReasonNormalised CorrectionReason = "normalised"
	// ReasonLength: fillers added at the end of a short line (OCR often
	// drops trailing fillers) or removed from a long one.
	ReasonLength CorrectionReason = "line_length"
	// ReasonCharClass: a character the field cannot hold, replaced by its
	// look-alike of the field's class (O in a date is 0, 0 in a name is O).
	ReasonCharClass CorrectionReason = "character_class"
	// ReasonFiller: a K among the fillers after a name (< and K differ
	// only by a stroke, and 7-3-1 cannot tell them apart).
	ReasonFiller CorrectionReason = "filler"
	// ReasonCode: the only look-alike that makes a valid state code.
	ReasonCode CorrectionReason = "state_code"
	// ReasonDocumentCode: a first character of the document code that
	// the format does not allow (TD1 and TD2 cards start with A, C or I,
	// passports with P, visas with V), replaced by the engine's best
	// allowed alternative or a look-alike.
	ReasonDocumentCode CorrectionReason = "document_code"
	// ReasonCheckDigit: the only substitution (among look-alikes and the
	// OCR engine's alternatives) that satisfies the check digit.
	ReasonCheckDigit CorrectionReason = "check_digit"
)

// Correction is one character that Repair changed.
type Correction struct {
	Line, Column int
	From, To     byte
	Field        FieldName
	Reason       CorrectionReason
}

func (c Correction) String() string {
	return fmt.Sprintf("line %d position %d (%v): %s -> %s (%s)", c.Line+1, c.Column+1, c.Field, quoteChar(c.From), quoteChar(c.To), c.Reason)
}

// quoteChar writes a character in quotes, or "nothing" for 0 (a cell
// added or removed).
func quoteChar(b byte) string {
	if b == 0 {
		return "nothing"
	}
	return fmt.Sprintf("%q", b)
}

// RepairOption is one way to make an ambiguous field valid.
type RepairOption struct {
	// Text is the field (with its check digit) after the changes.
	Text    string
	Changes []Correction
	// Score is the sum, over the changes, of the OCR engine's score of the
	// new character minus that of the old one; a cell without
	// alternatives scores 1 for the character read and 0 for others.
	Score float64
}

// Ambiguity is a field that more than one substitution makes valid:
// Repair leaves it as read and lists the options, best score first.
type Ambiguity struct {
	Field   FieldName
	Span    Span
	Options []RepairOption
}

// Repaired is the outcome of Repair.
type Repaired struct {
	// Lines are the repaired lines.
	Lines []string
	// Result is the parse of Lines (nil when they still have no MRZ shape).
	Result *Result
	// Corrections lists every change, in the order made.
	Corrections []Correction
	// Ambiguities lists the fields left as read because several
	// substitutions would make them valid.
	Ambiguities []Ambiguity
}

// look-alikes of the OCR-B characters that readers confuse (Doc 9303's
// font makes these pairs the usual errors).
var confusable = [256]string{
	'0': "ODQ", 'O': "0DQ", 'D': "0O", 'Q': "0O",
	'1': "I", 'I': "1",
	'8': "B", 'B': "8",
	'5': "S", 'S': "5",
	'2': "Z", 'Z': "2",
	'6': "G", 'G': "6",
	'<': "K", 'K': "<",
}

// RepairText is Repair for text holding the zone's lines.
func RepairText(text string, alts Alternatives, opts ...Option) (*Repaired, error) {
	return Repair(strings.Split(strings.TrimSpace(text), "\n"), alts, opts...)
}

// Repair corrects an OCR reading of a zone: lines as read (with the OCR
// engine's per-cell alternatives, or nil) become the most plausible valid
// zone. It normalises case and line length, puts each character into its
// field's class (0 in a name is O, O in a date is 0), replaces K among
// trailing fillers, then, for every field whose check digit fails, tries
// the substitutions among look-alikes and the engine's alternatives:
// the single one that validates (one change before two) is applied, and
// when several validate the field is left as read and the options are
// reported as an Ambiguity. 7-3-1 cannot see < for K, 6 for G or 8 for S
// (equal values mod 10): those rest on the character classes.
//
// The error is a *FormatError when the lines cannot be matched to any
// format.
func Repair(lines []string, alts Alternatives, opts ...Option) (*Repaired, error) {
	var p Parser
	for _, o := range opts {
		o(&p)
	}
	rp := &repairer{p: &p, alts: alts}
	if err := rp.shape(lines); err != nil {
		return nil, err
	}
	rp.classes()
	rp.documentCode()
	rp.fillers()
	rp.codes()
	lay := &layouts[rp.format]
	rp.group(DocumentNumberCheck, []FieldName{DocumentNumber, DocumentNumberCheck}, rp.docNumberCells())
	rp.group(BirthDateCheck, []FieldName{BirthDate, BirthDateCheck}, cells(lay.birth, lay.birthCheck))
	if lay.expiry.ok() {
		rp.group(ExpiryDateCheck, []FieldName{ExpiryDate, ExpiryDateCheck}, cells(lay.expiry, lay.expiryCheck))
	}
	if lay.optionalChk.ok() {
		rp.group(OptionalDataCheck, []FieldName{OptionalData, OptionalDataCheck}, cells(lay.optional, lay.optionalChk))
	}
	if lay.composite.ok() {
		// The composite digit, and the data it covers that no other check
		// digit protects (TD1 and TD2 optional data).
		cs := cells(lay.composite)
		switch rp.format {
		case TD1:
			cs = append(cs, cells(lay.optional2)...)
			cs = append(cs, rp.optionalAfterNumber()...)
		case TD2:
			cs = append(cs, rp.optionalAfterNumber()...)
		case FrenchID:
			cs = append(cs, cells(lay.optional)...) // the administrative code
		}
		rp.group(CompositeCheck, []FieldName{CompositeCheck}, cs)
		rp.reparse()
		if f := rp.res.Field(CompositeCheck); f != nil && !f.Valid && rp.res.LongNumber != NotLong {
			// A long document number has two check-digit rules (with and
			// without the < at position 15): a misread in it can satisfy
			// the other rule and hide from its own check digit, so that
			// only the composite sees it. Search the number's cells with
			// every check digit as the target.
			rp.group(CompositeCheck, []FieldName{DocumentNumber, DocumentNumberCheck, CompositeCheck}, rp.docNumberCells())
		}
	}
	out := &Repaired{Corrections: rp.corrections, Ambiguities: rp.ambiguities}
	for _, l := range rp.grid {
		out.Lines = append(out.Lines, string(l))
	}
	r, err := p.ParseLines(out.Lines)
	if err != nil {
		return nil, err
	}
	out.Result = r
	return out, nil
}

// ParseLines is the package's ParseLines with this parser's configuration.
func (p *Parser) ParseLines(lines []string) (*Result, error) {
	r := new(Result)
	if err := p.ParseLinesInto(r, lines); err != nil {
		return nil, err
	}
	return r, nil
}

type cell struct{ line, col int }

func cells(ps ...pos) []cell {
	var out []cell
	for _, p := range ps {
		for c := p.start; c < p.end; c++ {
			out = append(out, cell{p.line, c})
		}
	}
	return out
}

type repairer struct {
	p           *Parser
	alts        Alternatives
	format      Format
	grid        [][]byte
	orig        [][]byte // the grid as read, after normalising
	res         Result
	corrections []Correction
	ambiguities []Ambiguity
	scratch     []string
}

// shape normalises the text and fits the lines to the nearest format.
func (rp *repairer) shape(in []string) error {
	var lines [][]byte
	for _, l := range in {
		l = strings.TrimRight(l, " \t\r\n")
		if strings.TrimSpace(l) == "" {
			continue
		}
		b := make([]byte, 0, len(l))
		for _, r := range l {
			var n byte
			switch {
			case r >= 'a' && r <= 'z':
				n = byte(r - 'a' + 'A')
			case r == ' ' || r == '\t':
				continue // a reader's blank between characters: not a cell
			case r == '«' || r == '‹' || r == '(' || r == '[' || r == '{':
				n = '<'
			case r < 128:
				b = append(b, byte(r))
				continue
			default:
				n = '?' // not an MRZ character: left for the field checks to report
			}
			from := byte('?')
			if r < 128 {
				from = byte(r)
			}
			rp.corrections = append(rp.corrections, Correction{Line: len(lines), Column: len(b), From: from, To: n, Reason: ReasonNormalised})
			b = append(b, n)
		}
		lines = append(lines, b)
	}
	f := nearestFormat(lines)
	if f == UnknownFormat {
		ls := make([]int, len(lines))
		for i, l := range lines {
			ls[i] = len(l)
		}
		return &FormatError{Lengths: ls, Reason: "no format has that many lines of about those lengths"}
	}
	rp.format = f
	w := f.LineLength()
	for i, l := range lines {
		for len(l) < w {
			rp.corrections = append(rp.corrections, Correction{Line: i, Column: len(l), From: 0, To: '<', Reason: ReasonLength})
			l = append(l, '<')
		}
		for len(l) > w && l[len(l)-1] == '<' {
			l = l[:len(l)-1]
			rp.corrections = append(rp.corrections, Correction{Line: i, Column: len(l), From: '<', To: 0, Reason: ReasonLength})
		}
		if len(l) > w {
			return &FormatError{Lengths: []int{len(l)}, Reason: fmt.Sprintf("line %d has %d characters, more than the %d of %v", i+1, len(l), w, f)}
		}
		lines[i] = l
	}
	rp.grid = lines
	for _, l := range lines {
		rp.orig = append(rp.orig, append([]byte(nil), l...))
	}
	rp.reparse()
	if rp.res.Format != f {
		// The document code decides between formats of one shape (TD3 or
		// MRV-A...): after class fixes the parse agrees again.
		rp.format = rp.res.Format
	}
	return nil
}

// nearestFormat picks the format whose line count matches and whose line
// length is within 3 characters of the longest line (shorter lines are
// usually missing trailing fillers).
func nearestFormat(lines [][]byte) Format {
	longest := 0
	for _, l := range lines {
		if len(l) < 5 {
			return UnknownFormat
		}
		longest = max(longest, len(l))
	}
	near := func(n int) bool { return longest >= n-3 && longest <= n+3 }
	switch len(lines) {
	case 3:
		if near(30) {
			return TD1
		}
	case 2:
		if near(44) {
			if lines[0][0] == 'V' {
				return MRVA
			}
			return TD3
		}
		if near(36) {
			if lines[0][0] == 'V' {
				return MRVB
			}
			if len(lines[0]) >= 5 && len(lines[1]) >= 19 && alphaOf(lines[0][0]) == 'I' && alphaOf(lines[0][1]) == 'D' &&
				string([]byte{alphaOf(lines[0][2]), alphaOf(lines[0][3]), alphaOf(lines[0][4])}) == "FRA" && looksFrench(string(lines[1])) {
				return FrenchID
			}
			return TD2
		}
	}
	return UnknownFormat
}

// alphaOf maps a digit to its letter look-alike (for format detection).
func alphaOf(c byte) byte {
	switch c {
	case '0':
		return 'O'
	case '1':
		return 'I'
	case '5':
		return 'S'
	case '8':
		return 'B'
	case '2':
		return 'Z'
	case '6':
		return 'G'
	}
	return c
}

func (rp *repairer) reparse() {
	rp.scratch = rp.scratch[:0]
	for _, l := range rp.grid {
		rp.scratch = append(rp.scratch, string(l))
	}
	if err := rp.p.ParseLinesInto(&rp.res, rp.scratch); err != nil {
		rp.res = Result{}
	}
}

func (rp *repairer) cur() *Result { return &rp.res }

func (rp *repairer) set(c cell, to byte, field FieldName, why CorrectionReason) {
	from := rp.grid[c.line][c.col]
	if from == to {
		return
	}
	rp.grid[c.line][c.col] = to
	rp.corrections = append(rp.corrections, Correction{Line: c.line, Column: c.col, From: from, To: to, Field: field, Reason: why})
}

// fieldClasses lists the cells of each field with its class.
func (rp *repairer) fieldClasses() []struct {
	name FieldName
	p    pos
	c    charClass
} {
	lay := &layouts[rp.format]
	type fc = struct {
		name FieldName
		p    pos
		c    charClass
	}
	out := []fc{
		{DocumentCode, lay.code, classAlpha}, {IssuingState, lay.state, classAlpha},
		{Nationality, lay.nationality, classAlpha}, {Surname, lay.names, classAlpha},
		{Surname, lay.surnameOnly, classAlpha}, {GivenNames, lay.givenOnly, classAlpha},
		{BirthDate, lay.birth, classNumeric}, {BirthDateCheck, lay.birthCheck, classNumeric},
		{Sex, lay.sex, classAlpha}, {ExpiryDate, lay.expiry, classNumeric},
		{ExpiryDateCheck, lay.expiryCheck, classNumeric}, {CompositeCheck, lay.composite, classNumeric},
		{OptionalDataCheck, lay.optionalChk, classNumeric}, {IssueDate, lay.issueDate, classNumeric},
		{DocumentNumberCheck, lay.docCheck, classNumeric},
	}
	return out
}

// classes puts every character into its field's class.
func (rp *repairer) classes() {
	for _, fc := range rp.fieldClasses() {
		if !fc.p.ok() {
			continue
		}
		for col := fc.p.start; col < fc.p.end; col++ {
			ch := rp.grid[fc.p.line][col]
			if fc.c.allows(ch) {
				continue
			}
			if fc.name == DocumentCode && col == fc.p.start+1 && rp.digitAsPrinted(cell{fc.p.line, col}) {
				continue
			}
			if to, ok := rp.inClass(cell{fc.p.line, col}, ch, fc.c); ok {
				name := fc.name
				if fc.p == layouts[rp.format].names {
					name = rp.nameFieldAt(fc.p, col)
				}
				rp.set(cell{fc.p.line, col}, to, name, ReasonCharClass)
			}
		}
	}
	rp.reparse()
}

// codeFirst are the first characters of the document code each format
// allows (Doc 9303 Parts 4 to 7).
var codeFirst = [...]string{TD1: "IAC", TD2: "IAC", TD3: "P", MRVA: "V", MRVB: "V", FrenchID: "I"}

// documentCode replaces a first character of the document code that the
// format does not allow (a letter overprinted by a specimen stamp, a
// card's edge across it) by the engine's most likely allowed reading, or
// else an allowed look-alike; when neither exists it stays, for the
// parse to report.
func (rp *repairer) documentCode() {
	if int(rp.format) >= len(codeFirst) || codeFirst[rp.format] == "" {
		return
	}
	allowed := codeFirst[rp.format]
	p := layouts[rp.format].code
	at := cell{p.line, p.start}
	ch := rp.grid[at.line][at.col]
	if strings.IndexByte(allowed, ch) >= 0 {
		return
	}
	for _, a := range rp.alts.at(at.line, at.col) {
		if strings.IndexByte(allowed, a.Char) >= 0 {
			rp.set(at, a.Char, DocumentCode, ReasonDocumentCode)
			rp.reparse()
			return
		}
	}
	for _, l := range []byte(confusable[ch]) {
		if strings.IndexByte(allowed, l) >= 0 {
			rp.set(at, l, DocumentCode, ReasonDocumentCode)
			rp.reparse()
			return
		}
	}
}

// digitAsPrinted tells whether a digit read as the document code's second
// character is kept: some issuers print one there (the US permanent
// resident card's C1) although Doc 9303 defines letters. No check digit
// covers the code, so only the engine can tell a printed digit from a
// letter misread: the digit stays when the engine read it and offered no
// letter for the cell. Without alternatives (plain text) the code is
// put into the letters, as Doc 9303 has it.
func (rp *repairer) digitAsPrinted(at cell) bool {
	ch := rp.grid[at.line][at.col]
	alts := rp.alts.at(at.line, at.col)
	if !isDigit(ch) || len(alts) == 0 || rp.format == FrenchID || alts[0].Char != ch {
		return false
	}
	for _, a := range alts {
		if isLetter(a.Char) {
			return false
		}
	}
	return true
}

// inClass returns the most likely reading of a cell inside class c: the
// engine's best alternative in the class, else the first look-alike.
func (rp *repairer) inClass(at cell, ch byte, c charClass) (byte, bool) {
	for _, a := range rp.alts.at(at.line, at.col) {
		if c.allows(a.Char) {
			return a.Char, true
		}
	}
	for _, l := range []byte(confusable[ch]) {
		if c.allows(l) && l != '<' {
			return l, true
		}
	}
	return 0, false
}

// fillers replaces K among the fillers that follow a name: after three
// fillers in a row nothing but fillers may follow.
func (rp *repairer) fillers() {
	lay := &layouts[rp.format]
	for _, p := range []pos{lay.names, lay.surnameOnly, lay.givenOnly} {
		if !p.ok() {
			continue
		}
		zone := rp.grid[p.line][p.start:p.end]
		end := strings.Index(string(zone), "<<<")
		if end < 0 {
			continue
		}
		for i := end; i < len(zone); i++ {
			if zone[i] == 'K' && onlyFillerOrK(zone[i:]) {
				rp.set(cell{p.line, p.start + i}, '<', rp.nameFieldAt(p, p.start+i), ReasonFiller)
			}
		}
	}
	rp.reparse()
}

// nameFieldAt tells whether a column of a name zone is in the surname
// (before the first <<) or the given names.
func (rp *repairer) nameFieldAt(p pos, col int) FieldName {
	switch {
	case p == layouts[rp.format].givenOnly:
		return GivenNames
	case p == layouts[rp.format].surnameOnly:
		return Surname
	}
	if i := strings.Index(string(rp.grid[p.line][p.start:p.end]), "<<"); i >= 0 && col >= p.start+i {
		return GivenNames
	}
	return Surname
}

func onlyFillerOrK(b []byte) bool {
	for _, c := range b {
		if c != '<' && c != 'K' {
			return false
		}
	}
	return true
}

// codes repairs an invalid state code by the look-alikes that make a
// valid one.
func (rp *repairer) codes() {
	lay := &layouts[rp.format]
	for _, fc := range []struct {
		name FieldName
		p    pos
	}{{IssuingState, lay.state}, {Nationality, lay.nationality}} {
		if !fc.p.ok() {
			continue
		}
		if f := rp.res.Field(fc.name); f == nil || f.Valid {
			continue
		}
		rp.group(fc.name, []FieldName{fc.name}, cells(fc.p))
	}
}

// docNumberCells are the cells of the document number, its check digit
// and, for a long number, its continuation in the optional data.
func (rp *repairer) docNumberCells() []cell {
	lay := &layouts[rp.format]
	cs := cells(lay.docNumber, lay.docCheck)
	if lay.longNumbers && rp.grid[lay.docCheck.line][lay.docCheck.start] == '<' {
		row := rp.grid[lay.optional.line]
		for c := lay.optional.start; c < lay.optional.end && row[c] != '<'; c++ {
			cs = append(cs, cell{lay.optional.line, c})
		}
	}
	return cs
}

// optionalAfterNumber returns the optional data cells that a long
// document number's continuation does not use.
func (rp *repairer) optionalAfterNumber() []cell {
	lay := &layouts[rp.format]
	n := len(rp.docNumberCells()) - lay.docNumber.width() - 1 // continuation cells
	p := lay.optional
	if n > 0 {
		p.start += n + 1
	}
	if p.start >= p.end {
		return nil
	}
	return cells(p)
}

// options returns the substitutes of a cell: look-alikes and the engine's
// alternatives, kept to the field's class.
func (rp *repairer) options(at cell, cls charClass) []byte {
	ch := rp.grid[at.line][at.col]
	var out []byte
	add := func(b byte) {
		if b == ch || !cls.allows(b) || strings.IndexByte(string(out), b) >= 0 {
			return
		}
		out = append(out, b)
	}
	for _, a := range rp.alts.at(at.line, at.col) {
		add(a.Char)
	}
	for _, l := range []byte(confusable[ch]) {
		add(l)
	}
	return out
}

func (rp *repairer) classAt(at cell) charClass {
	for _, fc := range rp.fieldClasses() {
		if fc.p.ok() && fc.p.line == at.line && at.col >= fc.p.start && at.col < fc.p.end {
			return fc.c
		}
	}
	return classAlnum
}

// score is the engine's score of b in a cell, 0 when the engine did not
// propose it; a cell without alternatives scores 1 for the character read
// and 0 for any other, so that changing it costs as much as the engine's
// full confidence.
func (rp *repairer) score(at cell, b byte) float64 {
	alts := rp.alts.at(at.line, at.col)
	if len(alts) == 0 {
		if b == rp.orig[at.line][at.col] {
			return 1
		}
		return 0
	}
	for _, a := range alts {
		if a.Char == b {
			return a.Score
		}
	}
	return 0
}

func (rp *repairer) valid(targets []FieldName) bool {
	if rp.res.Format != rp.format {
		return false
	}
	for _, n := range targets {
		if f := rp.res.Field(n); f == nil || !f.Valid {
			return false
		}
	}
	return true
}

// maxTries bounds the parses of one field's search (two substitutions
// among up to ~20 cells with a few options each).
const maxTries = 20000

// group makes the target fields valid with the fewest substitutions in cs.
func (rp *repairer) group(label FieldName, targets []FieldName, cs []cell) {
	rp.reparse()
	if rp.valid(targets) || len(cs) == 0 {
		return
	}
	type change struct {
		at cell
		to byte
	}
	opts := make([][]byte, len(cs))
	for i, c := range cs {
		opts[i] = rp.options(c, rp.classAt(c))
	}
	compositeOK := func() bool {
		f := rp.res.Field(CompositeCheck)
		return f == nil || f.Valid
	}
	var found [][]change
	var foundComposite []bool
	tries := 0
	try := func(chs []change) {
		tries++
		old := make([]byte, len(chs))
		for i, c := range chs {
			old[i] = rp.grid[c.at.line][c.at.col]
			rp.grid[c.at.line][c.at.col] = c.to
		}
		rp.reparse()
		if rp.valid(targets) {
			found = append(found, append([]change(nil), chs...))
			foundComposite = append(foundComposite, compositeOK())
		}
		for i := len(chs) - 1; i >= 0; i-- {
			rp.grid[chs[i].at.line][chs[i].at.col] = old[i]
		}
	}
	for i := range cs {
		for _, b := range opts[i] {
			try([]change{{cs[i], b}})
		}
	}
	if len(found) == 0 {
	pairs:
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				for _, a := range opts[i] {
					for _, b := range opts[j] {
						if tries >= maxTries {
							break pairs
						}
						try([]change{{cs[i], a}, {cs[j], b}})
					}
				}
			}
		}
	}
	rp.reparse()
	if len(found) == 0 {
		return
	}
	// Prefer the options that also satisfy the composite check digit.
	if label != CompositeCheck {
		var keep [][]change
		for i, ch := range found {
			if foundComposite[i] {
				keep = append(keep, ch)
			}
		}
		if len(keep) > 0 {
			found = keep
		}
	}
	if len(found) == 1 {
		why := ReasonCheckDigit
		if label == IssuingState || label == Nationality {
			why = ReasonCode
		}
		for _, c := range found[0] {
			rp.set(c.at, c.to, label, why)
		}
		rp.reparse()
		return
	}
	amb := Ambiguity{Field: label}
	first, last := cs[0], cs[len(cs)-1]
	amb.Span = Span{Line: first.line, Start: first.col, End: first.col + 1}
	if last.line == first.line {
		amb.Span.End = last.col + 1
	}
	for _, chs := range found {
		o := RepairOption{}
		for _, c := range chs {
			from := rp.grid[c.at.line][c.at.col]
			o.Changes = append(o.Changes, Correction{Line: c.at.line, Column: c.at.col, From: from, To: c.to, Field: label, Reason: ReasonCheckDigit})
			o.Score += rp.score(c.at, c.to) - rp.score(c.at, from)
		}
		var text []byte
		for _, c := range cs {
			ch := rp.grid[c.line][c.col]
			for _, x := range chs {
				if x.at == c {
					ch = x.to
				}
			}
			text = append(text, ch)
		}
		o.Text = string(text)
		amb.Options = append(amb.Options, o)
	}
	sort.SliceStable(amb.Options, func(i, j int) bool { return amb.Options[i].Score > amb.Options[j].Score })
	rp.ambiguities = append(rp.ambiguities, amb)
}
