package docauth

import (
	"context"
	"image"
	"strings"
	"testing"

	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

// TestGlyphsLearned: a profile learned from genuine captures holds the
// characters of the numbers and dates it saw and the dates' layout, and
// survives export and import.
func TestGlyphsLearned(t *testing.T) {
	p := learnSim(t, "uto-passport")
	front := p.Side("front")
	if front == nil || front.Glyphs == nil {
		t.Fatal("no glyphs learned")
	}
	gs := front.Glyphs
	have := map[string]bool{}
	for _, g := range gs.Glyphs {
		have[g.Char] = true
	}
	for _, c := range strings.Split("0 1 2 3 4 5 6 7 8 9", " ") {
		if !have[c] {
			t.Errorf("digit %s not learned (learned %d characters)", c, len(gs.Glyphs))
		}
	}
	if l := gs.DateLayouts["birth_date"]; l != "02 Jan 2006" {
		t.Errorf("birth date layout %q, want 02 Jan 2006", l)
	}
	data, err := profile.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := profile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if g := q.Side("front").Glyphs; g == nil || len(g.Glyphs) != len(gs.Glyphs) {
		t.Fatalf("glyphs lost in export and import")
	}
	// A glyph of the wrong size is refused.
	q.Side("front").Glyphs.Glyphs[0].Pix = q.Side("front").Glyphs.Glyphs[0].Pix[1:]
	if _, err := profile.Encode(q); err == nil {
		t.Error("a glyph of the wrong size was encoded")
	}
}

// glyphInput checks a capture with a reader that can compare nothing (as
// Tesseract under blur): the glyphs are the only printed-field evidence.
func glyphCheck(t *testing.T, ck *Checker, seed uint64, forgery, degr string) (engine.Check, *mrz.Result, []string) {
	t.Helper()
	c := render(t, "uto-passport", seed, forgery, degr)
	r, err := mrz.ParseLines(c.Truth.MRZ)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &unsureReader{}})
	if err != nil {
		t.Fatal(err)
	}
	return findCheck(res, CheckVIZ), r, c.Truth.Mismatched
}

// TestGlyphsOfGenuinePrint: the glyphs of genuine captures, under the
// simulator's degradations, never differ from the MRZ.
func TestGlyphsOfGenuinePrint(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(600); seed < 624; seed++ {
		degr := []string{"none", "noise:8", "defocus:0.12", "light:0.6", "perspective:0.5,jpeg:30", "rotate:180", "occlusion:0.7", "jpeg:6"}[seed%8]
		v, _, _ := glyphCheck(t, ck, seed, "none", degr)
		if v.Status == engine.Fail {
			t.Errorf("seed %d %s: genuine print FAILed: %s", seed, degr, v.Reason)
		}
	}
}

// TestGlyphsCatchAnMRZAlteredInOneCharacter: an MRZ whose document
// number was altered in one character (check digits recomputed) FAILs by
// the glyphs alone, naming the number; so does a birth date.
func TestGlyphsCatchAnMRZAlteredInOneCharacter(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for seed := uint64(700); seed < 760 && len(found) < 2; seed++ {
		v, _, mismatched := glyphCheck(t, ck, seed, "mrz-altered", "none")
		if len(mismatched) != 1 || found[mismatched[0]] || mismatched[0] == "expiry_date" {
			continue
		}
		field := mismatched[0]
		if strings.Contains(v.Reason, "glyphs for") {
			continue // a character the six learning captures never printed
		}
		found[field] = true
		if v.Status != engine.Fail || !strings.Contains(v.Reason, "by the model's glyphs") || !strings.Contains(v.Reason, field) {
			t.Errorf("seed %d, %s altered in the MRZ: %s %s", seed, field, v.Status, v.Reason)
		}
	}
	if !found["document_number"] || !found["birth_date"] {
		t.Errorf("alterations tried: %v", found)
	}
}

// TestGlyphsFitABlurredPrint: under 0.22 mm of defocus, where the runs
// of ink seldom count a value's characters, the glyphs are fitted; those
// of genuine captures never differ from the MRZ, and an MRZ altered in
// its document number or expiry date FAILs by them. (A birth date's
// alteration moves its day and year, several places at once, which
// the glyphs leave to the reading more often than not.)
func TestGlyphsFitABlurredPrint(t *testing.T) {
	t.Setenv("CHECKPOST_GLYPH_DEBUG", "1")
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	fitted := 0
	for seed := uint64(900); seed < 912; seed++ {
		v, _, _ := glyphCheck(t, ck, seed, "none", "defocus:0.22")
		if v.Status == engine.Fail {
			t.Errorf("seed %d: genuine print FAILed: %s", seed, v.Reason)
		}
		fitted += strings.Count(v.Reason, ": fitted ")
	}
	if fitted < 12 {
		t.Errorf("%d fields of 36 fitted", fitted)
	}
	caught, tried := 0, 0
	for seed := uint64(920); seed < 960 && tried < 16; seed++ {
		v, _, mismatched := glyphCheck(t, ck, seed, "mrz-altered", "defocus:0.22")
		f := mismatched[0]
		if f == "birth_date" || !strings.Contains(v.Reason, f+": fitted ") {
			continue // or a character the six learning captures never printed
		}
		tried++
		if v.Status == engine.Fail && strings.Contains(v.Reason, "by the model's glyphs: "+f) {
			caught++
		}
	}
	if tried < 10 || caught*10 < tried*8 {
		t.Errorf("blurred MRZ alterations caught %d of %d", caught, tried)
	}
}

// TestFixRuns: runs joined by blur are parted at their faintest column,
// pieces of one character joined, and counts too far off refused.
func TestFixRuns(t *testing.T) {
	// A 40x20 line: capitals on rows 5..14, ink everywhere but column
	// 20 faint.
	w, h := 40, 20
	ln := valueLine{w: w, h: h, dark: make([]int, w*h), top: 5, bot: 14}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			ln.dark[y*w+x] = 100
			if x == 20 {
				ln.dark[y*w+x] = 10
			}
		}
	}
	runs, fixed, ok := fixRuns(ln, [][2]int{{2, 37}}, 2, 10)
	if !ok || len(runs) != 2 || runs[0] != [2]int{2, 19} || runs[1] != [2]int{21, 37} || !fixed[0] || !fixed[1] {
		t.Errorf("parting: %v %v %v", runs, fixed, ok)
	}
	runs, fixed, ok = fixRuns(ln, [][2]int{{2, 5}, {7, 9}, {20, 27}}, 2, 10)
	if !ok || len(runs) != 2 || runs[0] != [2]int{2, 9} || !fixed[0] || fixed[1] {
		t.Errorf("joining: %v %v %v", runs, fixed, ok)
	}
	if _, _, ok := fixRuns(ln, [][2]int{{2, 5}}, 9, 10); ok {
		t.Error("eight characters made out of one run")
	}
}

// TestSegmentGlyphsBlank: a blank crop has no glyphs; a tiny one neither.
func TestSegmentGlyphsBlank(t *testing.T) {
	im := image.NewGray(image.Rect(0, 0, 200, 40))
	for i := range im.Pix {
		im.Pix[i] = 230
	}
	if gs, _, ok := segmentGlyphs(&fieldPrint{im: im}, 10, 9); ok || len(gs) != 0 {
		t.Errorf("blank crop: %d glyphs", len(gs))
	}
	if _, _, ok := segmentGlyphs(&fieldPrint{im: image.NewGray(image.Rect(0, 0, 3, 3))}, 10, 0); ok {
		t.Error("3x3 crop cut into glyphs")
	}
}

// glyphBenchField is a field crop of a checked capture, as the glyph
// evidence gets it.
type glyphBenchField struct {
	name string
	im   *image.Gray
	px   float64
	want []rune
}

// glyphBenchFields checks a uto-passport capture (seed, degradations) and
// returns its model's glyphs and the crops of its glyph fields.
func glyphBenchFields(b testing.TB, seed uint64, degr string) (*glyphModel, []glyphBenchField) {
	return glyphFieldsOf(b, "uto-passport", seed, degr)
}

func glyphFieldsOf(b testing.TB, model string, seed uint64, degr string) (*glyphModel, []glyphBenchField) {
	p := learnSim(b, model)
	ck, err := NewChecker([]*profile.Profile{p})
	if err != nil {
		b.Fatal(err)
	}
	c := render(b, model, seed, "none", degr)
	r, err := mrz.ParseLines(c.Truth.MRZ)
	if err != nil {
		b.Fatal(err)
	}
	rd := &unsureReader{crops: map[string]FieldImage{}}
	if _, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: rd}); err != nil {
		b.Fatal(err)
	}
	gm := compileGlyphs(ck.Profiles()[0].Side("front").Glyphs)
	var fs []glyphBenchField
	for name := range glyphFields {
		f, ok := rd.crops[name]
		im, isGray := f.Image.(*image.Gray)
		want, wok := gm.glyphWant(r, name)
		if !ok || !isGray || !wok {
			b.Fatalf("field %s not cut out", name)
		}
		fs = append(fs, glyphBenchField{name, im, f.PxPerMM, want})
	}
	return gm, fs
}

// BenchmarkGlyphEvidence times the glyph evidence of one 300 ppi
// capture: its number and two dates cut into characters and compared
// with the model's glyphs (it runs beside the OCR, in Check's reading).
func BenchmarkGlyphEvidence(b *testing.B) {
	model, fs := glyphBenchFields(b, 800, "rotate:7")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range fs {
			gs, fixed, ok := segmentGlyphs(&fieldPrint{im: f.im}, f.px, len(f.want))
			if !ok {
				b.Fatalf("%s: not cut into glyphs", f.name)
			}
			ps, ok := model.compareGlyphs(f.name, f.want, gs)
			if !ok || len(glyphDiffers(ps, fixed, false)) > 0 {
				b.Fatalf("%s: genuine glyphs differ", f.name)
			}
		}
	}
}

// BenchmarkGlyphFit times the fit of a blurred capture's number and
// two dates (0.22 mm of defocus), as if none could be cut by its runs.
func BenchmarkGlyphFit(b *testing.B) {
	model, fs := glyphBenchFields(b, 802, "defocus:0.22")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range fs {
			ps, ok := model.fitGlyphs(&fieldPrint{im: f.im}, f.px, f.name, f.want)
			if !ok {
				b.Fatalf("%s: not fitted", f.name)
			}
			if bad := glyphDiffers(ps, allMade(len(ps)), true); len(bad) > 0 {
				b.Fatalf("%s: genuine glyphs differ: %s", f.name, debugGlyphs(f.want, ps, allMade(len(ps))))
			}
		}
	}
}

// TestPartDiffers: in a field seen in part, one place clearly another
// character differs, even its neighbour's character where that neighbour
// agrees; a shift (each place like its neighbour's character, as when
// blur ran two characters together before them) or three places decide
// nothing.
func TestPartDiffers(t *testing.T) {
	want := []rune("T4330V")
	var ps []glyphPlace
	for range want {
		ps = append(ps, glyphPlace{want: 0.97, other: 0.8, best: 'Z'})
	}
	fixed := make([]bool, len(ps))
	if got := partDiffers(ps, fixed, want); got != nil {
		t.Errorf("agreeing part: %v", got)
	}
	one := append([]glyphPlace(nil), ps...)
	one[4] = glyphPlace{want: 0.3, other: 0.96, best: 'K'}
	if got := partDiffers(one, fixed, want); len(got) != 1 || got[0] != 4 {
		t.Errorf("one character other: %v", got)
	}
	// Laid one off from place 4: each place like the next's character.
	shift := append([]glyphPlace(nil), ps...)
	shift[4] = glyphPlace{want: 0.3, other: 0.96, best: 'V'}
	shift[5] = glyphPlace{want: 0.3, other: 0.96, best: 'K'}
	if got := partDiffers(shift, fixed, want); got != nil {
		t.Errorf("a neighbour's character: %v", got)
	}
	// A V printed for the MRZ's 0 before the V that agrees is no shift.
	asNext := append([]glyphPlace(nil), ps...)
	asNext[4] = glyphPlace{want: 0.3, other: 0.96, best: 'V'}
	if got := partDiffers(asNext, fixed, want); len(got) != 1 || got[0] != 4 {
		t.Errorf("the next place's character, that place agreeing: %v", got)
	}
	three := append([]glyphPlace(nil), one...)
	three[1] = glyphPlace{want: 0.3, other: 0.96, best: 'K'}
	three[2] = glyphPlace{want: 0.3, other: 0.96, best: 'M'}
	if got := partDiffers(three, fixed, want); got != nil {
		t.Errorf("three places other: %v", got)
	}
}

// TestGlyphsVouchForMisreadNumber: a number read otherwise, whose
// glyphs all match the MRZ's characters best, decides nothing; one
// place matching another character better, or a field seen in part,
// does not vouch, and the reading FAILs the check as before.
func TestGlyphsVouchForMisreadNumber(t *testing.T) {
	r := td3MRZ(t, "T63WK8LZR", "NGUYEN", "ANNA", day(1970, 1, 2), day(2030, 3, 4))
	misread := []Reading{{Field: "document_number", Text: "TOIWKSLZR", Confidence: 0.9}, {Field: "surname", Text: "NGUYEN", Confidence: 0.9}}
	places := func(worst float64) []glyphPlace {
		ps := make([]glyphPlace, 9)
		for i := range ps {
			ps[i] = glyphPlace{want: 0.88, other: 0.80, best: 'X'}
		}
		ps[4].other = worst
		return ps
	}
	for _, tc := range []struct {
		name string
		gf   glyphField
		want engine.Status
	}{
		{"glyphs all agree", glyphField{want: []rune("T63WK8LZR"), places: places(0.87)}, engine.Pass},
		{"a place another's", glyphField{want: []rune("T63WK8LZR"), places: places(0.89)}, engine.Fail},
		{"seen in part", glyphField{part: "start", want: []rune("T63WK8"), places: places(0.87)[:6]}, engine.Fail},
	} {
		c := checkVIZVouched(r, misread, vouchedByGlyphs(map[string]glyphField{"document_number": tc.gf}))
		if c.Status != tc.want {
			t.Errorf("%s: %s %s, want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
	if c := checkVIZ(r, misread); c.Status != engine.Fail {
		t.Errorf("no glyphs: %s %s", c.Status, c.Reason)
	}
}

// TestGlyphDiffersWhereTheMRZCharacterIsAbsent: another character
// correlating a little below the line's typical place differs only where
// the MRZ's character is plainly not there (an L printed for a 1 at a
// low resolution: 0.87 against the 1's 0.42, the line typically 0.95).
func TestGlyphDiffersWhereTheMRZCharacterIsAbsent(t *testing.T) {
	line := func(p glyphPlace) []glyphPlace {
		ps := make([]glyphPlace, 9)
		for i := range ps {
			ps[i] = glyphPlace{want: 0.95, other: 0.84, best: 'O'}
		}
		ps[1] = p
		return ps
	}
	fixed := make([]bool, 9)
	if bad := glyphDiffers(line(glyphPlace{want: 0.42, other: 0.87, best: 'L'}), fixed, false); len(bad) != 1 || bad[0] != 1 {
		t.Errorf("1 absent, L at 0.87: %v", bad)
	}
	if bad := glyphDiffers(line(glyphPlace{want: 0.75, other: 0.87, best: 'L'}), fixed, false); len(bad) != 0 {
		t.Errorf("1 at 0.75, L at 0.87: %v", bad)
	}
	if bad := glyphDiffers(line(glyphPlace{want: 0.42, other: 0.83, best: 'L'}), fixed, false); len(bad) != 0 {
		t.Errorf("1 absent, L at 0.83: %v", bad)
	}
}

// TestGlyphsSetAsideWhereReadAsMRZ: glyphs unlike the MRZ's FAIL the
// check unless a sure reading of the whole field gives the MRZ's value
// exactly; an unsure reading, another value, or a field seen in part
// leaves the FAIL.
func TestGlyphsSetAsideWhereReadAsMRZ(t *testing.T) {
	r := td3MRZ(t, "UJK21PL4J", "NGUYEN", "ANNA", day(1970, 1, 2), day(2030, 3, 4))
	ps := make([]glyphPlace, 9)
	for i := range ps {
		ps[i] = glyphPlace{want: 0.86, other: 0.75, best: 'X'}
	}
	ps[1] = glyphPlace{want: 0.66, other: 0.90, alone: 0.90, best: '3'}
	whole := glyphField{want: []rune("UJK21PL4J"), glyphs: nil, places: ps, fixed: make([]bool, 9)}
	part := glyphField{part: "start", want: []rune("UJK21"), places: ps[:5], fixed: make([]bool, 5)}
	pass := engine.Check{Name: CheckVIZ, Status: engine.Pass, Reason: "fields agree"}
	for _, tc := range []struct {
		name string
		gf   glyphField
		rd   Reading
		want engine.Status
	}{
		{"read as the MRZ", whole, Reading{Field: "document_number", Text: "UJK21PL4J", Confidence: 0.63}, engine.Pass},
		{"read unsure", whole, Reading{Field: "document_number", Text: "UJK21PL4J", Confidence: 0.3}, engine.Fail},
		{"read otherwise", whole, Reading{Field: "document_number", Text: "U3K21PL4J", Confidence: 0.9}, engine.Fail},
		{"seen in part", part, Reading{Field: "document_number", Text: "UJK21", Confidence: 0.9, Part: "start"}, engine.Fail},
	} {
		c := weighGlyphs(r, map[string]glyphField{"document_number": tc.gf}, pass, []Reading{tc.rd})
		if c.Status != tc.want {
			t.Errorf("%s: %s %s, want %s", tc.name, c.Status, c.Reason, tc.want)
		}
	}
}
