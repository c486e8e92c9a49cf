package viz

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"checkpost/internal/tesseract"
)

// Field is one printed field to read: its name (surname, given_names,
// document_number, birth_date, expiry_date, sex, nationality, code, type,
// or any other) and its image, upright, the value alone or the value
// under its label.
type Field struct {
	Name  string
	Image image.Image
	// Alt, when not nil, is a second view of the field (under IR, where
	// background art vanishes), read when Image's reading is doubtful
	// (see ReadFields).
	Alt image.Image
}

// AltBelow is the confidence under which a reading is doubtful and the
// field is read a second time.
const AltBelow = 0.5

// coverMin is the least share of a line's ink (up to the value's end)
// that the words read must cover: Tesseract sometimes answers a word or
// two for a line it could not read ("AU" for ØDEGÅRD), with confidence.
const coverMin = 0.6

// Reading is a field as read.
type Reading struct {
	Field string `json:"field"`
	Text  string `json:"text"`
	// Confidence is Tesseract's confidence in 0..1: that of the least
	// sure word of the value.
	Confidence float64 `json:"confidence"`
	// Chars, when not nil, holds Tesseract's confidence in each character
	// of Text (one per rune, 0..1; a space has its neighbours' lesser):
	// one letter the model does not know (Ø) sinks its word's confidence
	// to 0 while the word's other letters stay sure. Confidence's
	// adjustments (a value cut off at the image's edge, ink left unread)
	// are not in it.
	Chars []float64 `json:"chars,omitempty"`
}

// Options configure a Reader. The zero value is ready to use.
type Options struct {
	// Engines is the number of Tesseract engines, and so of fields read
	// at once (0: GOMAXPROCS). Each holds about 15 MB with the fast
	// English model.
	Engines int
	// Language is the Tesseract model ("" means "eng").
	Language string
	// TessdataPrefix is the folder holding <Language>.traineddata ("":
	// Tesseract's default, or $TESSDATA_PREFIX).
	TessdataPrefix string
}

// Reader reads printed fields with Tesseract. It is safe for concurrent
// use; Close releases its engines.
type Reader struct {
	pool *pool
}

// New returns a Reader; engines are made on first use.
func New(opts Options) *Reader {
	if opts.Engines <= 0 {
		opts.Engines = runtime.GOMAXPROCS(0)
	}
	if opts.Language == "" {
		opts.Language = "eng"
	}
	return &Reader{pool: newPool(opts.Language, opts.TessdataPrefix, opts.Engines)}
}

// Available returns nil when Tesseract and its language data are
// installed (ErrNoTesseract otherwise).
func (r *Reader) Available() error { return r.pool.available() }

// Warm makes every engine and loads its model (a few hundred
// milliseconds each), so that the first readings do not pay for it.
func (r *Reader) Warm(ctx context.Context) error {
	if err := r.Available(); err != nil {
		return err
	}
	blank := image.NewGray(image.Rect(0, 0, 64, 32))
	for i := range blank.Pix {
		blank.Pix[i] = 255
	}
	n := cap(r.pool.slots)
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := r.pool.run(ctx, call{psm: tesseract.PSMSingleLine}, blank)
			errs <- err
		}()
	}
	var first error
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Close closes the engines (those in use when they are given back).
func (r *Reader) Close() error {
	r.pool.close()
	return nil
}

// fieldClass says how a field's value is read.
type fieldClass int

const (
	classText   fieldClass = iota // free text (places, authorities)
	className                     // a name
	classDate                     // a date: digits, month names, separators
	classNumber                   // a document number: letters and digits
	classCode                     // a code or word in capitals (type, code, nationality)
	classSex                      // one letter, or a pair "F/F"
)

func classOf(name string) fieldClass {
	switch name {
	case "surname", "given_names", "name", "names":
		return className
	case "birth_date", "expiry_date", "issue_date":
		return classDate
	case "document_number":
		return classNumber
	case "type", "code", "nationality":
		return classCode
	case "sex":
		return classSex
	}
	return classText
}

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
)

// whitelist is what a field's value may hold. Names keep their letters
// without marks: the English model does not know most marked capitals, and
// docauth compares names without marks as Doc 9303 allows.
func (c fieldClass) whitelist() string {
	switch c {
	case className:
		return upper + " -'/"
	case classDate:
		return digits + upper + " ./-"
	case classNumber:
		return upper + digits
	case classCode:
		return upper + " /"
	case classSex:
		return "FMX/<"
	}
	return ""
}

// ReadFields reads the fields, the most telling first (document number,
// surname, dates, given names, then the short codes), on as many engines
// at once as the Reader has. A field that cannot be read (nothing found,
// an image too small) is left out. When ctx ends first, the readings done
// by then are returned with the context's cause; otherwise the error is
// that of the first field that failed.
//
// A doubtful reading (nothing read, a confidence below AltBelow, or words
// covering less than coverMin of the line's ink, whose confidence is then
// scaled down by the share covered) is followed by a second reading of
// the field another way: its Alt view when it has one, else the same
// image segmented as a raw line. Both readings are returned, in that
// order, under the field's name: the caller compares each (two readings
// that agree with each other are more telling than one). When neither
// view of a field with an Alt gives anything, each is read again as a
// raw line, and those readings follow.
func (r *Reader) ReadFields(ctx context.Context, fields []Field) ([]Reading, error) {
	order := make([]int, len(fields))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return priority(fields[order[a]].Name) < priority(fields[order[b]].Name) })
	type result struct {
		i   int
		rds []Reading
		err error
	}
	// Buffered: workers still inside Tesseract when ctx ends finish on
	// their own and leave their result behind.
	results := make(chan result, len(fields))
	var next atomic.Int64
	for w := 0; w < min(cap(r.pool.slots), len(fields)); w++ {
		go func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= len(order) {
					return
				}
				i := order[k]
				if ctx.Err() != nil {
					results <- result{i: i, err: context.Cause(ctx)}
					continue
				}
				rds, err := r.readField(ctx, fields[i])
				results <- result{i, rds, err}
			}
		}()
	}
	got := make([]*result, len(fields))
	var cut error
collect:
	for n := 0; n < len(fields); n++ {
		select {
		case res := <-results:
			got[res.i] = &res
		case <-ctx.Done():
			cut = context.Cause(ctx)
			break collect
		}
	}
	var out []Reading
	var firstErr error
	for _, g := range got {
		if g == nil {
			continue
		}
		out = append(out, g.rds...)
		if g.err != nil && firstErr == nil {
			firstErr = g.err
		}
	}
	if cut != nil {
		return out, cut
	}
	return out, firstErr
}

// priority orders the fields by what a forger alters and the check
// compares.
func priority(name string) int {
	switch name {
	case "document_number":
		return 0
	case "surname":
		return 1
	case "birth_date":
		return 2
	case "expiry_date":
		return 3
	case "given_names":
		return 4
	case "sex":
		return 5
	case "code":
		return 6
	case "nationality":
		return 7
	case "type":
		return 8
	}
	return 9
}

// errTooSmall marks a field image Tesseract is not given.
var errTooSmall = errors.New("viz: field image too small")

func (r *Reader) readField(ctx context.Context, f Field) ([]Reading, error) {
	rd, ok, prep, err := r.readViewPrepared(ctx, f.Name, f.Image, tesseract.PSMSingleLine)
	if err != nil || ok && rd.Confidence >= AltBelow {
		return readings(rd, ok), err
	}
	view, psm := f.Alt, tesseract.PSMSingleLine
	if view == nil {
		view, psm = f.Image, tesseract.PSMRawLine
	}
	again, aok, prepAgain, err := r.readViewPrepared(ctx, f.Name, view, psm)
	if err != nil {
		// The first reading stands; the second's error (the time
		// limit) is not the field's.
		return readings(rd, ok), nil
	}
	out := append(readings(rd, ok), readings(again, aok)...)
	if (!aok || again.Confidence < AltBelow) && classOf(f.Name) == className {
		var altPrep *image.Gray
		if view == f.Alt {
			altPrep = prepAgain
		}
		out = append(out, r.readCut(ctx, f, prep, altPrep)...)
	}
	if !ok && !aok && f.Alt != nil {
		// Neither view gave a word read as one line (Tesseract's line
		// finding gives up on some legible values: MBEKI, PETROVIĆ
		// under defocus): each view is read again as a raw line. Those
		// readings are unsure; two that spell the same name are what
		// docauth can use.
		for _, v := range []image.Image{f.Image, f.Alt} {
			raw, rok, err := r.readView(ctx, f.Name, v, tesseract.PSMRawLine)
			if err != nil {
				break
			}
			out = append(out, readings(raw, rok)...)
		}
	}
	return out, nil
}

// readCut reads a doubtful name again cut to its value: a short name
// (KIM) in a box made for long ones is a few percent of the image, too
// little for prepare's ink level (the 2nd percentile), blur measure and
// stretch, which then take the blur's grey for ink and print it fat
// (KIM read RM, or nothing, under defocus; read at word confidences of
// 0.00 to 0.44 though every character is sure). The image is cut a
// line's height (its own height) beyond its prepared view's last ink,
// when that leaves out at least valueCutMin of it, and read as one line;
// the Alt view so only when the image cannot be cut (a second reading of
// every doubtful name costs time, and adds little). Names only: a sex's
// lone letter cut so read "MM" surely, a document number under defocus
// "UTTACYLOM", every character but one sure (genuine tuning captures
// 13500052, 13501270). Tuning seeds 12000000..12003999 (eval docauth,
// the altered surname KIM): 5 of 10 missed read KIM at 0.97.
func (r *Reader) readCut(ctx context.Context, f Field, prep, altPrep *image.Gray) []Reading {
	for _, v := range []struct {
		im   image.Image
		prep *image.Gray
	}{{f.Image, prep}, {f.Alt, altPrep}} {
		cut := valueCut(v.im, v.prep)
		if cut == nil {
			continue
		}
		rd, ok, err := r.readView(ctx, f.Name, cut, tesseract.PSMSingleLine)
		if err != nil {
			return nil
		}
		return readings(rd, ok)
	}
	return nil
}

// valueCutMin is the least share of a field image that cutting it to its
// value must leave out for the cut to be read (less changes little).
const valueCutMin = 0.3

// valueCut returns a field image cut to its value (see readCut), or nil;
// p is the image as prepared for Tesseract (nil: not prepared).
func valueCut(im image.Image, p *image.Gray) image.Image {
	if im == nil || p == nil {
		return nil
	}
	if g, ok := im.(*image.Gray); ok && g == nil {
		return nil
	}
	b := im.Bounds()
	scale := (p.Rect.Dx() - 2*border) / b.Dx()
	right := -1
	for x := p.Rect.Dx() - 1; x >= 0; x-- {
		if inkedColumn(p, x) {
			right = x
			break
		}
	}
	if right < 0 || scale < 1 {
		return nil
	}
	end := (right-border)/scale + 1 + b.Dy()
	if float64(end) > (1-valueCutMin)*float64(b.Dx()) {
		return nil
	}
	si, ok := im.(interface {
		SubImage(image.Rectangle) image.Image
	})
	if !ok {
		return nil
	}
	return si.SubImage(image.Rect(b.Min.X, b.Min.Y, b.Min.X+end, b.Max.Y))
}

func readings(rd Reading, ok bool) []Reading {
	if !ok {
		return nil
	}
	return []Reading{rd}
}

func (r *Reader) readView(ctx context.Context, name string, view image.Image, psm tesseract.PageSegMode) (Reading, bool, error) {
	rd, ok, _, err := r.readViewPrepared(ctx, name, view, psm)
	return rd, ok, err
}

// readViewPrepared is readView that also returns the view as prepared
// for Tesseract (nil when it was not).
func (r *Reader) readViewPrepared(ctx context.Context, name string, view image.Image, psm tesseract.PageSegMode) (Reading, bool, *image.Gray, error) {
	if view == nil {
		return Reading{}, false, nil, nil
	}
	if err := ctx.Err(); err != nil {
		return Reading{}, false, nil, context.Cause(ctx)
	}
	cls := classOf(name)
	im, err := prepare(view)
	if err != nil {
		if errors.Is(err, errTooSmall) {
			return Reading{}, false, nil, nil
		}
		return Reading{}, false, nil, err
	}
	words, err := r.pool.run(ctx, call{psm: psm, whitelist: cls.whitelist()}, im)
	if err != nil {
		return Reading{}, false, im, fmt.Errorf("viz: %s: %w", name, err)
	}
	words = valueWords(words)
	text, conf := joinWords(cls, words)
	raw, rawChars := joinChars(words)
	text = clean(cls, text)
	chars := carryChars(raw, rawChars, text)
	if cls == classDate && validDate(text) {
		// The form checks a date: its confidence is its words' mean,
		// not the least sure word's (Tesseract is unsure of a day's
		// leading 0 in many fonts).
		conf = meanConf(words)
	} else if cls == classDate && len(words) == 3 && illegibleDay(text) {
		// A day out of range ("89 NOV 1947": the printed font's 0 read
		// 8): the comparison leaves it out, so the confidence is that of
		// the month and the year.
		conf = meanConf(words[1:])
	}
	if cutOff(words, im.Bounds(), border) {
		// Ink at the image's edge: the value may run on beyond it.
		conf = 0
	}
	if c := coverage(im, words); c < coverMin {
		conf *= c
	}
	if text == "" {
		return Reading{}, false, im, nil
	}
	return Reading{Field: name, Text: text, Confidence: conf, Chars: chars}, true, im, nil
}

// joinChars joins the words as joinWords does and gives each rune of the
// text its character's confidence (0..1): a symbol's for the runes of
// its text, the word's for a word whose symbols do not spell it, the
// lesser of its neighbours' for the space between two words.
func joinChars(words []tesseract.Word) (string, []float64) {
	var b strings.Builder
	var conf []float64
	for _, w := range words {
		t := strings.TrimSpace(w.Text)
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
			conf = append(conf, 1)
		}
		start := len(conf)
		var spelt strings.Builder
		for _, s := range w.Symbols {
			spelt.WriteString(s.Text)
		}
		if spelt.String() == t {
			// A doubt the characters do not explain is the whole word's.
			wc := 1.0
			if !doubtExplained(w) {
				wc = max(0, min(100, w.Confidence)) / 100
			}
			for _, s := range w.Symbols {
				for range s.Text {
					conf = append(conf, min(wc, max(0, min(100, s.Confidence))/100))
				}
			}
		} else {
			for range t {
				conf = append(conf, max(0, min(100, w.Confidence))/100)
			}
		}
		b.WriteString(t)
		if start > 0 {
			conf[start-1] = min(conf[start-2], conf[start])
		}
	}
	return b.String(), conf
}

// Character confidences (0..100) that explain a word's doubt: Tesseract's
// LSTM gives a word a low confidence that its characters' confidences do
// not always show (VTE9WBU1G read VTESWBU1G at 39, every character at 99
// or so; "OLN" at 31 over three characters at 99). A word's low
// confidence is put down to its unsure characters (under charUnsure:
// the Ø of ØDEGÅRD, which the English model lacks, read as a D at 13 to
// 39 while E, G, A, R, D stay at 99) only when all its other characters
// are very sure (charVerySure or more); otherwise every character of the
// word takes the word's confidence.
const (
	charUnsure   = 90
	charVerySure = 95
)

// doubtExplained tells whether a word's confidence is either not low
// (AltBelow or more) or explained by its unsure characters alone.
func doubtExplained(w tesseract.Word) bool {
	if w.Confidence >= 100*AltBelow {
		return true
	}
	unsure := false
	for _, s := range w.Symbols {
		switch {
		case s.Confidence < charUnsure:
			unsure = true
		case s.Confidence < charVerySure:
			return false
		}
	}
	return unsure
}

// carryChars gives the runes of a cleaned text (clean only drops runes
// and replaces look-alikes one for one) the confidences of the raw
// text's runes they come from, aligned at the least cost (a rune kept 0,
// a letter or digit replaced by another 1, any other replacement 3,
// dropped 1). A rune found nowhere in raw gets 0; nil when
// raw has no confidences.
func carryChars(raw string, rawConf []float64, cleaned string) []float64 {
	a, b := []rune(raw), []rune(cleaned)
	if len(rawConf) != len(a) || len(a) == 0 || len(b) == 0 || len(a)*len(b) > 1<<16 {
		return nil
	}
	// cost[i][j]: aligning a[i:] with b[j:].
	n, m := len(a), len(b)
	cost := make([]int, (n+1)*(m+1))
	at := func(i, j int) *int { return &cost[i*(m+1)+j] }
	for i := n; i >= 0; i-- {
		for j := m; j >= 0; j-- {
			switch {
			case i == n && j == m:
				*at(i, j) = 0
			case i == n:
				*at(i, j) = 2 * (m - j) // runes not in raw: never cheaper
			case j == m:
				*at(i, j) = n - i
			default:
				c := *at(i+1, j+1) + replaceCost(a[i], b[j])
				c = min(c, *at(i+1, j)+1, *at(i, j+1)+2)
				*at(i, j) = c
			}
		}
	}
	out := make([]float64, m)
	for i, j := 0, 0; j < m; {
		switch {
		case i < n && *at(i, j) == *at(i+1, j+1)+replaceCost(a[i], b[j]):
			out[j] = rawConf[i]
			i, j = i+1, j+1
		case i < n && *at(i, j) == *at(i+1, j)+1:
			i++
		default:
			j++ // out[j] stays 0
		}
	}
	return out
}

// replaceCost is the cost of aligning raw rune a with cleaned rune b:
// clean replaces letters and digits by their look-alikes, nothing else.
func replaceCost(a, b rune) int {
	switch {
	case a == b:
		return 0
	case alnum(a) && alnum(b):
		return 1
	}
	return 3
}

func alnum(r rune) bool { return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }

// coverage is the share of the ink columns of a prepared field image, up
// to the words' right end and a line's height beyond, that lie within
// the words read (1 when there is no ink or no word).
func coverage(im *image.Gray, words []tesseract.Word) float64 {
	if len(words) == 0 {
		return 1
	}
	right, h := 0, 0
	for _, w := range words {
		right, h = max(right, w.Box.Max.X), max(h, w.Box.Dy())
	}
	w := im.Rect.Dx()
	right = min(w, right+h)
	ink, covered := 0, 0
	for x := 0; x < right; x++ {
		inked := false
		for y := 0; y < im.Rect.Dy(); y++ {
			if im.Pix[y*im.Stride+x] < 128 {
				inked = true
				break
			}
		}
		if !inked {
			continue
		}
		ink++
		for _, wd := range words {
			if x >= wd.Box.Min.X-h/4 && x < wd.Box.Max.X+h/4 {
				covered++
				break
			}
		}
	}
	if ink == 0 {
		return 1
	}
	return float64(covered) / float64(ink)
}

// validDate tells a date of the form "DD MON YYYY" or "DD.MM.YYYY" with a
// day, a month and a four-digit year in range.
func validDate(s string) bool {
	k, ok := dateKey(s)
	return ok && k/10000 >= 1900 && k/10000 <= 2100
}

// illegibleDay tells a date of the form "DD MON YYYY" (or DD.MM.YYYY)
// whose month and year are valid but whose day of two or three digits is
// out of range.
func illegibleDay(s string) bool {
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	if len(toks) != 3 || len(toks[0]) < 2 || len(toks[0]) > 3 {
		return false
	}
	d := 0
	for _, r := range toks[0] {
		if r < '0' || r > '9' {
			return false
		}
		d = d*10 + int(r-'0')
	}
	if d >= 1 && d <= 31 {
		return false
	}
	return validDate("01 " + toks[1] + " " + toks[2])
}

func meanConf(words []tesseract.Word) float64 {
	sum, n := 0.0, 0
	for _, w := range words {
		if strings.TrimSpace(w.Text) != "" {
			sum += max(0, w.Confidence) / 100
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

// valueWords keeps the value's words: from the first, left to right, up
// to a gap wider than 1.5 times the words' height (what lies beyond is
// background art or the next item on the page, not the value).
func valueWords(words []tesseract.Word) []tesseract.Word {
	var ws []tesseract.Word
	hs := []int{}
	for _, w := range words {
		if strings.TrimSpace(w.Text) != "" && w.Box.Dx() > 0 && w.Box.Dy() > 0 {
			ws = append(ws, w)
			hs = append(hs, w.Box.Dy())
		}
	}
	if len(ws) < 2 {
		return ws
	}
	sort.Ints(hs)
	h := hs[len(hs)/2]
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].Box.Min.X < ws[j].Box.Min.X })
	for i := 1; i < len(ws); i++ {
		if ws[i].Box.Min.X-ws[i-1].Box.Max.X > h*3/2 {
			return ws[:i]
		}
	}
	return ws
}

// cutOff tells whether a word touches the left or right edge of the image
// (within the added white border and a pixel).
func cutOff(words []tesseract.Word, b image.Rectangle, border int) bool {
	for _, w := range words {
		if strings.TrimSpace(w.Text) == "" {
			continue
		}
		if w.Box.Min.X <= b.Min.X+border+1 || w.Box.Max.X >= b.Max.X-border-1 {
			return true
		}
	}
	return false
}

// joinWords joins Tesseract's words with single spaces. The confidence is
// the lowest word's; for a name printed in two scripts ("ЖУКОВСКАЯ /
// ZHUKOVSKAYA") that of the words after the last slash, the Latin
// transcription the MRZ holds (the English model reads the national
// script as noise).
func joinWords(c fieldClass, words []tesseract.Word) (string, float64) {
	var parts []string
	conf, after := 1.0, 1.0
	for _, w := range words {
		t := strings.TrimSpace(w.Text)
		if t == "" {
			continue
		}
		parts = append(parts, t)
		wc := max(0, w.Confidence) / 100
		conf = min(conf, wc)
		if i := strings.LastIndexByte(t, '/'); i >= 0 {
			after = 1
			if i == len(t)-1 {
				continue
			}
		}
		after = min(after, wc)
	}
	if len(parts) == 0 {
		return "", 0
	}
	text := strings.Join(parts, " ")
	if c == className && strings.Contains(text, "/") && strings.TrimSpace(text[strings.LastIndexByte(text, '/')+1:]) != "" {
		conf = after
	}
	return text, conf
}

// clean trims what a whitelist lets through at the edges of a value
// (separators read from the art or the frame) and repairs dates by their
// format.
func clean(c fieldClass, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	switch c {
	case className, classCode:
		s = strings.Trim(s, " -'/.")
	case classDate:
		s = repairDate(strings.Trim(s, " -'/."))
	case classNumber:
		s = strings.ReplaceAll(s, " ", "")
	}
	return s
}

// asDigit and asLetter undo the confusions of look-alike characters where
// the format says which kind a character is.
var (
	asDigit  = strings.NewReplacer("O", "0", "Q", "0", "D", "0", "U", "0", "I", "1", "L", "1", "T", "1", "J", "1", "Z", "2", "S", "5", "B", "8", "G", "6", "A", "4")
	asLetter = strings.NewReplacer("0", "O", "1", "I", "5", "S", "8", "B", "4", "A", "2", "Z", "6", "G")
)

// repairDate reads a printed date's day and year as digits and its month
// as a month name ("Q7 JUN 1957" -> "07 JUN 1957", "I1 MAY 1971" ->
// "11 MAY 1971"), or all three parts as digits ("12.O8.1964"); other
// text is returned as read.
func repairDate(s string) string {
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	if len(toks) != 3 {
		return s
	}
	letters := 0
	for _, r := range toks[1] {
		if r >= 'A' && r <= 'Z' {
			letters++
		}
	}
	if letters*2 > len(toks[1]) { // day, month name, year
		m := asLetter.Replace(toks[1])
		if monthNumber[m] == 0 && monthNumber[toks[1]] > 0 {
			m = toks[1]
		}
		if monthNumber[m] == 0 {
			m = monthByLookAlikes(m)
		}
		return asDigit.Replace(toks[0]) + " " + m + " " + asDigit.Replace(toks[2])
	}
	// All digits: keep the separators as printed.
	var b strings.Builder
	k := 0
	for i := 0; i < len(s); {
		if k < 3 && strings.HasPrefix(s[i:], toks[k]) {
			b.WriteString(asDigit.Replace(toks[k]))
			i += len(toks[k])
			k++
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// monthLookAlikes are the classes of capitals the printed font's month
// names are misread within (D read O: "22 OEC 1986"; J read I, E read F).
var monthLookAlikes = []string{"ODQU", "IJLT", "EF"}

// monthByLookAlikes reads a month name misread as a word that is none:
// the one month whose name differs from t only by look-alike letters
// (monthLookAlikes), position by position; t itself when there is none
// or more than one month.
func monthByLookAlikes(t string) string {
	alike := func(a, b byte) bool {
		for _, c := range monthLookAlikes {
			if strings.IndexByte(c, a) >= 0 && strings.IndexByte(c, b) >= 0 {
				return true
			}
		}
		return false
	}
	found, month := "", 0
	for name, m := range monthNumber {
		if len(name) != len(t) {
			continue
		}
		ok := true
		for i := 0; i < len(t) && ok; i++ {
			ok = t[i] == name[i] || alike(t[i], name[i])
		}
		if !ok {
			continue
		}
		if month != 0 && m != month {
			return t
		}
		if found == "" || name < found {
			found = name
		}
		month = m
	}
	if found == "" {
		return t
	}
	return found
}

// Timed runs fn with ctx limited to d, and says so in the error when the
// limit is what stopped it.
func Timed[T any](ctx context.Context, d time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, d, fmt.Errorf("%w of %s", ErrTimeLimit, d))
	defer cancel()
	return fn(ctx)
}

// ErrTimeLimit is the cause when a reading ran out of its time limit.
var ErrTimeLimit = errors.New("viz: time limit reached")

// languagesIn lists the traineddata files of a folder.
func languagesIn(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.traineddata"))
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, f := range m {
		out = append(out, strings.TrimSuffix(filepath.Base(f), ".traineddata"))
	}
	return out, nil
}
