package viz

import (
	"image"
	"sort"
	"strings"
	"unicode"

	"checkpost/internal/tesseract"
)

// word is a word Tesseract found on a page.
type word struct {
	text string
	box  image.Rectangle
	conf float64
}

// segment is a run of words on one line with no wide gap: a label, or a
// field's value.
type segment struct {
	words []word
	box   image.Rectangle
}

func (s segment) text() string {
	parts := make([]string, len(s.words))
	for i, w := range s.words {
		parts[i] = w.text
	}
	return strings.Join(parts, " ")
}

func (s segment) conf() float64 {
	c := 1.0
	for _, w := range s.words {
		c = min(c, w.conf)
	}
	return c
}

// layoutWords groups a page's words into segments: words whose vertical
// extents overlap by half the smaller height, left to right, split where
// the gap between two words exceeds 1.2 times the line's height.
func layoutWords(bs []tesseract.Word) []segment {
	var ws []word
	for _, b := range bs {
		t := strings.TrimSpace(b.Text)
		if t == "" || b.Box.Dx() <= 0 || b.Box.Dy() <= 0 || b.Box.Dy() > 1<<16 || b.Box.Dx() > 1<<16 {
			continue
		}
		ws = append(ws, word{text: t, box: b.Box, conf: max(0, min(100, b.Confidence)) / 100})
	}
	sort.SliceStable(ws, func(i, j int) bool { return ws[i].box.Min.X < ws[j].box.Min.X })
	var segs []segment
	used := make([]bool, len(ws))
	for i := range ws {
		if used[i] {
			continue
		}
		used[i] = true
		cur := segment{words: []word{ws[i]}, box: ws[i].box}
		for j := i + 1; j < len(ws); j++ {
			if used[j] {
				continue
			}
			w := ws[j]
			h := min(cur.box.Dy(), w.box.Dy())
			overlap := min(cur.box.Max.Y, w.box.Max.Y) - max(cur.box.Min.Y, w.box.Min.Y)
			if overlap*2 < h {
				continue
			}
			if gap := w.box.Min.X - cur.box.Max.X; gap > cur.box.Dy()*6/5 {
				continue
			}
			used[j] = true
			cur.words = append(cur.words, w)
			cur.box = cur.box.Union(w.box)
		}
		segs = append(segs, cur)
	}
	sort.SliceStable(segs, func(i, j int) bool {
		if segs[i].box.Min.Y != segs[j].box.Min.Y {
			return segs[i].box.Min.Y < segs[j].box.Min.Y
		}
		return segs[i].box.Min.X < segs[j].box.Min.X
	})
	return segs
}

// labels are words of the captions printed above fields (English, French,
// German, Spanish), lower case without marks; a caption names the first
// field whose words it holds, in the order of labelOrder.
var labels = map[string][]string{
	"given_names":     {"given name", "prenom", "vorname", "nombres", "forename"},
	"surname":         {"surname", "nom", "name", "apellido", "familienname"},
	"birth_date":      {"date of birth", "naissance", "geburtstag", "geburtsdatum", "nacimiento"},
	"expiry_date":     {"expiry", "expiration", "gultig", "valid until", "caducidad", "vencimiento"},
	"document_number": {"passport no", "document no", "card no", "visa no", "pass-nr", "number", "numero", "no."},
	"sex":             {"sex", "geschlecht"},
	"nationality":     {"nationality", "nationalite", "staatsangehorigkeit", "nacionalidad"},
}

var labelOrder = []string{"given_names", "birth_date", "expiry_date", "nationality", "document_number", "sex", "surname"}

// notLabels are caption words that rule a caption out (a place of birth
// is not a date of birth).
var notLabels = []string{"place", "lieu", "ort", "lugar", "issue", "delivrance", "authority"}

// fold lowers a caption and strips the marks the labels are written
// without.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'é', 'è', 'É', 'È':
			return 'e'
		case 'ü', 'Ü':
			return 'u'
		case 'ö', 'Ö':
			return 'o'
		case 'ä', 'Ä':
			return 'a'
		case 'ñ', 'Ñ':
			return 'n'
		}
		return unicode.ToLower(r)
	}, s)
}

// labelOf returns the field a caption names, or "".
func labelOf(s string) string {
	f := fold(s)
	for _, n := range notLabels {
		if strings.Contains(f, n) {
			return ""
		}
	}
	for _, name := range labelOrder {
		for _, l := range labels[name] {
			if strings.Contains(f, l) {
				return name
			}
		}
	}
	return ""
}

// isCaption tells a caption from a value: captions are small and hold
// lower-case letters; values on documents are capitals.
func isCaption(s segment) bool {
	lower := 0
	for _, r := range s.text() {
		if unicode.IsLower(r) {
			lower++
		}
	}
	return lower >= 2
}

// findFields reads the fields off a page's segments: the value under each
// caption that names a field; dates not found that way by their form (the
// earliest the birth date, the latest the expiry date); then the hinted
// values found printed anywhere.
func findFields(segs []segment, hint map[string]string) []Reading {
	found := map[string]Reading{}
	for i, s := range segs {
		name := labelOf(s.text())
		if name == "" || !isCaption(s) {
			continue
		}
		if _, dup := found[name]; dup {
			continue
		}
		v, ok := valueBelow(segs, i)
		if !ok {
			continue
		}
		found[name] = Reading{Field: name, Text: clean(classOf(name), strings.ToUpper(v.text())), Confidence: v.conf()}
	}
	// Dates by their form.
	_, hasBirth := found["birth_date"]
	_, hasExpiry := found["expiry_date"]
	if !hasBirth || !hasExpiry {
		type dated struct {
			s   segment
			key int
		}
		var ds []dated
		for _, s := range segs {
			if isCaption(s) {
				continue
			}
			if k, ok := dateKey(repairDate(strings.ToUpper(s.text()))); ok {
				ds = append(ds, dated{s, k})
			}
		}
		if len(ds) >= 2 {
			sort.SliceStable(ds, func(i, j int) bool { return ds[i].key < ds[j].key })
			if !hasBirth {
				found["birth_date"] = Reading{Field: "birth_date", Text: repairDate(strings.ToUpper(ds[0].s.text())), Confidence: ds[0].s.conf()}
			}
			if !hasExpiry {
				l := ds[len(ds)-1]
				found["expiry_date"] = Reading{Field: "expiry_date", Text: repairDate(strings.ToUpper(l.s.text())), Confidence: l.s.conf()}
			}
		}
	}
	// Hinted values printed anywhere (names, numbers).
	for name, want := range hint {
		if _, ok := found[name]; ok || want == "" || classOf(name) == classDate {
			continue
		}
		w := strings.ToUpper(want)
		for _, s := range segs {
			t := strings.ToUpper(s.text())
			if t == w || strings.Contains(" "+t+" ", " "+w+" ") || strings.Contains(t, "/ "+w) || strings.Contains(t, w+" /") {
				found[name] = Reading{Field: name, Text: t, Confidence: s.conf()}
				break
			}
		}
	}
	var out []Reading
	for _, name := range []string{"document_number", "surname", "given_names", "birth_date", "expiry_date", "sex", "nationality"} {
		if rd, ok := found[name]; ok && rd.Text != "" {
			out = append(out, rd)
		}
	}
	return out
}

// valueBelow finds the value under caption i: the first segment below it
// (its top within three caption heights of the caption's bottom) whose
// left edge is near the caption's.
func valueBelow(segs []segment, i int) (segment, bool) {
	c := segs[i].box
	h := max(c.Dy(), 1)
	best, bestDY := -1, 1<<30
	for j, s := range segs {
		if j == i || isCaption(s) {
			continue
		}
		dy := s.box.Min.Y - c.Max.Y
		if dy < -h/2 || dy > 3*h {
			continue
		}
		if abs(s.box.Min.X-c.Min.X) > 3*h {
			continue
		}
		if dy < bestDY {
			best, bestDY = j, dy
		}
	}
	if best < 0 {
		return segment{}, false
	}
	return segs[best], true
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// dateKey orders a printed date ("02 MAR 1981", "12.08.1964") as
// yyyymmdd; two-digit years are not ordered (false).
func dateKey(s string) (int, bool) {
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '.' || r == '/' || r == '-' })
	if len(toks) != 3 {
		return 0, false
	}
	num := func(t string) (int, bool) {
		if len(t) == 0 || len(t) > 4 {
			return 0, false
		}
		n := 0
		for _, r := range t {
			if r < '0' || r > '9' {
				return 0, false
			}
			n = n*10 + int(r-'0')
		}
		return n, true
	}
	d, ok1 := num(toks[0])
	y, ok3 := num(toks[2])
	if !ok1 || !ok3 || len(toks[2]) != 4 || d < 1 || d > 31 {
		return 0, false
	}
	m, ok := num(toks[1])
	if !ok {
		m = monthNumber[toks[1]]
	}
	if m < 1 || m > 12 {
		return 0, false
	}
	return y*10000 + m*100 + d, true
}

var monthNumber = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12,
	"FEV": 2, "AVR": 4, "MAI": 5, "JUIN": 6, "JUIL": 7, "AOUT": 8, "SEPT": 9, "DEZ": 12, "OKT": 10, "MRZ": 3, "ENE": 1, "ABR": 4, "AGO": 8, "DIC": 12, "MARS": 3}
