package docauth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"sync"
	"testing"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/mrz"
)

// truthReader "reads" a field crop by returning the capture's printed
// value, after checking the crop is upright and holds ink: the hook is
// tested without OCR.
type truthReader struct {
	t      *testing.T
	c      *devices.Capture
	err    error
	mu     sync.Mutex
	fields []string
}

func (r *truthReader) ReadFields(ctx context.Context, fs []FieldImage) ([]Reading, error) {
	var out []Reading
	for _, f := range fs {
		r.mu.Lock()
		r.fields = append(r.fields, f.Name)
		r.mu.Unlock()
		if f.Image == nil || f.Image.Bounds().Dx() < f.Image.Bounds().Dy() {
			r.t.Errorf("%s: crop %v is not a line", f.Name, f.Image.Bounds())
			continue
		}
		if !hasInk(f.Image) {
			r.t.Errorf("%s: crop holds no ink", f.Name)
		}
		v, _ := r.c.Truth.Field(f.Name)
		out = append(out, Reading{Field: f.Name, Text: v.Value, Confidence: 0.9})
	}
	return out, r.err
}

func (r *truthReader) ReadPage(ctx context.Context, p PageImage) ([]Reading, error) {
	return nil, errors.New("no page reading here")
}

func hasInk(im image.Image) bool {
	g, ok := im.(*image.Gray)
	if !ok {
		return true
	}
	dark := 0
	for _, v := range g.Pix {
		if v < 140 {
			dark++
		}
	}
	return dark*50 > len(g.Pix)
}

func TestVIZReaderIsCalledWithTheProfilesFields(t *testing.T) {
	ck, err := NewChecker(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := learnSim(t, "uto-passport")
	if ck, err = NewChecker(append(ck.Profiles(), p)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		forgery, degrade string
		want             engine.Status
	}{
		{"none", "none", engine.Pass},
		{"none", "rotate:180,perspective:0.4", engine.Pass},
		{"field-altered", "none", engine.Fail},
	} {
		c := render(t, "uto-passport", 77, tc.forgery, tc.degrade)
		r, err := mrz.ParseLines(c.Truth.MRZ)
		if err != nil {
			t.Fatal(err)
		}
		tr := &truthReader{t: t, c: c}
		res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: tr})
		if err != nil {
			t.Fatal(err)
		}
		v := findCheck(res, CheckVIZ)
		if v.Status != tc.want {
			t.Errorf("%s %s: %s %s", tc.forgery, tc.degrade, v.Status, v.Reason)
		}
		if len(res.VIZ) == 0 {
			t.Errorf("%s: Result.VIZ empty", tc.forgery)
		}
		got := strings.Join(tr.fields, ",")
		for _, f := range []string{"surname", "given_names", "document_number", "birth_date", "expiry_date", "sex"} {
			if !strings.Contains(got, f) {
				t.Errorf("field %s not given to the reader (%s)", f, got)
			}
		}
		if strings.Contains(got, "type") || strings.Contains(got, "authority") || strings.Contains(got, "nationality") {
			t.Errorf("fields not compared were read: %s", got)
		}
	}
	// A reader that ran out of time with nothing read: ABORTED with the
	// reason (the policy refers it), never a FAIL.
	c := render(t, "uto-passport", 78, "field-altered", "none")
	r, _ := mrz.ParseLines(c.Truth.MRZ)
	res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: failingReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if v := findCheck(res, CheckVIZ); v.Status != engine.Aborted || !strings.Contains(v.Reason, "time limit") {
		t.Errorf("reader out of time: %s %s", v.Status, v.Reason)
	}
	// Cut short after some fields: a genuine page is ABORTED, not passed
	// on the fields read (the unread one may be the altered one); an
	// altered field among those read still FAILs. A reader that cannot
	// read at all (no time limit involved) leaves it NOT_PERFORMED.
	for _, tc := range []struct {
		forgery string
		err     error
		want    engine.Status
	}{
		{"none", fmt.Errorf("time limit of 1ms reached: %w", ErrVIZCutShort), engine.Aborted},
		{"field-altered", fmt.Errorf("time limit of 1ms reached: %w", ErrVIZCutShort), engine.Fail},
		{"none", context.DeadlineExceeded, engine.Aborted},
		{"none", errors.New("no engine"), engine.Pass},
	} {
		c := render(t, "uto-passport", 79, tc.forgery, "none")
		r, _ := mrz.ParseLines(c.Truth.MRZ)
		res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &truthReader{t: t, c: c, err: tc.err}})
		if err != nil {
			t.Fatal(err)
		}
		if v := findCheck(res, CheckVIZ); v.Status != tc.want {
			t.Errorf("%s, reader error %v: %s %s", tc.forgery, tc.err, v.Status, v.Reason)
		}
	}
	res, err = ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: brokenReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if v := findCheck(res, CheckVIZ); v.Status != engine.NotPerformed {
		t.Errorf("reader unable to read: %s %s", v.Status, v.Reason)
	}
}

type brokenReader struct{}

func (brokenReader) ReadFields(context.Context, []FieldImage) ([]Reading, error) {
	return nil, errors.New("no Tesseract engine")
}
func (brokenReader) ReadPage(context.Context, PageImage) ([]Reading, error) {
	return nil, errors.New("no Tesseract engine")
}

type failingReader struct{}

func (failingReader) ReadFields(context.Context, []FieldImage) ([]Reading, error) {
	return nil, fmt.Errorf("time limit of 1ms reached: %w", ErrVIZCutShort)
}
func (failingReader) ReadPage(context.Context, PageImage) ([]Reading, error) {
	return nil, fmt.Errorf("time limit of 1ms reached: %w", ErrVIZCutShort)
}

func findCheck(res *Result, name string) engine.Check {
	for _, c := range res.Checks {
		if c.Name == name {
			return c
		}
	}
	return engine.Check{}
}

func TestNearMissIsNotCompared(t *testing.T) {
	r, err := mrz.ParseLines([]string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "U2TUPVE030UTO7408122F3501014<<<<<<<<<<<<<<06"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rd             Reading
		ok, comparable bool
	}{
		{Reading{Field: "birth_date", Text: "18 AUG 1974", Confidence: 0.9}, false, false}, // one digit: a misread
		{Reading{Field: "birth_date", Text: "18 AUG 1974"}, false, true},                   // typed: strict
		{Reading{Field: "birth_date", Text: "12 AUG 1986", Confidence: 0.9}, false, true},
		{Reading{Field: "surname", Text: "ERIKSON", Confidence: 0.9}, false, false},
		{Reading{Field: "surname", Text: "NOWAK", Confidence: 0.9}, false, true},
		{Reading{Field: "given_names", Text: "ANNAMARIA", Confidence: 0.9}, true, true},
		{Reading{Field: "document_number", Text: "U2TUPVEQ3", Confidence: 0.9}, true, true}, // look-alikes aside
		{Reading{Field: "document_number", Text: "U2TUPVEQ3"}, false, false},                // typed: look-alikes undecided
		{Reading{Field: "document_number", Text: "UZTUPVEQ3", Confidence: 0.9}, true, true},
		{Reading{Field: "document_number", Text: "UZTUPVEQB", Confidence: 0.9}, false, false},  // too many look-alikes
		{Reading{Field: "document_number", Text: "U2TUPVE0X", Confidence: 0.9}, false, false},  // one other character
		{Reading{Field: "document_number", Text: "U2TUPAVE0X", Confidence: 0.9}, false, false}, // and one added
		{Reading{Field: "document_number", Text: "U2TKPVE0X", Confidence: 0.9}, false, true},   // two other characters
		{Reading{Field: "document_number", Text: "U2TKPVE0X"}, false, true},
		{Reading{Field: "document_number", Text: "U2TUPVE03", Confidence: 0.9}, true, true},
		{Reading{Field: "document_number", Text: "X9KLMNB77", Confidence: 0.9}, false, true},
	} {
		ok, comparable, want := compareField(r, tc.rd)
		if ok != tc.ok || comparable != tc.comparable {
			t.Errorf("%+v vs %q: ok %v comparable %v, want %v %v", tc.rd, want, ok, comparable, tc.ok, tc.comparable)
		}
	}
}

func TestPartlyHiddenFieldSpan(t *testing.T) {
	// A 100 x 50 mm page in 1 mm cells; a field box from x=10 to 70 mm,
	// its value's rows 20..25 mm.
	s := &sheet{w: 100, h: 50, mm: 1}
	a := &analysis{s: s, bad: make([]bool, 100*50)}
	hide := func(x0, x1 int) {
		clear(a.bad)
		for y := 15; y < 30; y++ {
			for x := x0; x < x1; x++ {
				a.bad[y*100+x] = true
			}
		}
	}
	box := [4]float64{10, 19, 70, 26}
	for _, tc := range []struct {
		x0, x1 int
		part   string
		ok     bool
	}{
		{40, 100, "start", true}, // a thumb from the right: the value's beginning in view
		{0, 35, "end", true},     // from the left
		{0, 66, "", false},       // all but 4 mm hidden
		{14, 64, "", false},      // the middle: neither end wide enough
	} {
		hide(tc.x0, tc.x1)
		part, span, ok := visibleSpan(a, box, 20, 25)
		if part != tc.part || ok != tc.ok {
			t.Errorf("hidden %d..%d mm: part %q ok %v, want %q %v", tc.x0, tc.x1, part, ok, tc.part, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if part == "start" && (span[0] != box[0] || span[1] != float64(tc.x0)) || part == "end" && (span[0] != float64(tc.x1) || span[1] != box[2]) {
			t.Errorf("hidden %d..%d mm: span %v", tc.x0, tc.x1, span)
		}
		// The crop: grey everywhere; what is out of view turns white.
		im := image.NewGray(image.Rect(0, 0, 600, 70))
		for i := range im.Pix {
			im.Pix[i] = 100
		}
		whitenHidden(im, a, box, 10, span)
		for x := 0; x < 600; x++ {
			mx := box[0] + (float64(x)+0.5)/10
			inView := mx >= span[0] && mx <= span[1] && (mx < float64(tc.x0) || mx >= float64(tc.x1))
			if v := im.Pix[35*im.Stride+x]; (v == 100) != inView {
				t.Fatalf("hidden %d..%d mm: pixel at %.2f mm is %d", tc.x0, tc.x1, mx, v)
			}
		}
	}
}

// TestHidingCells: specks of washed-out cells (a very coarse JPEG) hide
// nothing; a thumb does.
func TestHidingCells(t *testing.T) {
	s := &sheet{w: 400, h: 200, mm: 0.25}
	a := &analysis{s: s, bad: make([]bool, 400*200)}
	for y := 0; y < 200; y += 8 {
		for x := 0; x < 400; x += 8 {
			for k := 0; k < 9; k++ {
				a.bad[(y+k/3)*400+x+k%3] = true // 3 x 3 cells: 0.56 mm²
			}
		}
	}
	for y := 120; y < 200; y++ {
		for x := 300; x < 400; x++ {
			a.bad[y*400+x] = true // a thumb from the corner: 25 x 20 mm
		}
	}
	box := [4]float64{0.05, 0.1, 0.6, 0.3}
	if f := hiddenFraction(a, box); f < 0.1 {
		t.Fatalf("the specks cover %.2f of the box, want more than 0.1 for the test", f)
	}
	h := &analysis{s: s, bad: hidingCells(a)}
	if f := hiddenFraction(h, box); f != 0 {
		t.Errorf("specks hide %.2f of a field", f)
	}
	if f := hiddenFraction(h, [4]float64{0.8, 0.65, 1, 1}); f != 1 {
		t.Errorf("the thumb hides %.2f of the field under it, want 1", f)
	}
}

// TestValueBeforeThumbIsWhole: a thumb beside a date or a number, past
// its end but inside the crop (which runs on to where a longer value
// would end), leaves the value wholly in view: it is compared whole, and
// an MRZ altered there FAILs (the expiry date by the reading, the
// number, whose reading one character off decides nothing, by its
// glyphs); the genuine twin PASSes.
func TestValueBeforeThumbIsWhole(t *testing.T) {
	ck, err := NewChecker(nil)
	if err != nil {
		t.Fatal(err)
	}
	if ck, err = NewChecker(append(ck.Profiles(), learnSim(t, "uto-passport"))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		seed      uint64
		field     string
		thumb     string
		gap, room int // px: the thumb's box starts gap..room after the value's
	}{
		{103, "expiry_date", "occlusion:0.3", 47, 230},
		{145, "document_number", "occlusion:0.3", 47, 230},
		// The thumb's box 2.5 mm after the number (its edge, on the
		// number's rows, a little further): closer than a blank gap
		// asks; the number's nine runs of ink tell it whole.
		{116, "document_number", "occlusion:0.8", 20, 40},
		{278, "document_number", "occlusion:0.8", 20, 90},
	} {
		for _, forgery := range []string{"none", "mrz-altered"} {
			c := render(t, "uto-passport", tc.seed, forgery, tc.thumb)
			f, _ := c.Truth.Region("field." + tc.field)
			o, ok := c.Truth.Region("occlusion")
			// The thumb after the value, on its row.
			if !ok || o.X < f.X+f.W+tc.gap || o.X > f.X+f.W+tc.room || o.Y > f.Y+f.H || o.Y+o.H < f.Y {
				t.Fatalf("seed %d: thumb %+v not just after %s %+v", tc.seed, o, tc.field, f)
			}
			if forgery != "none" && (len(c.Truth.Mismatched) != 1 || c.Truth.Mismatched[0] != tc.field) {
				t.Fatalf("seed %d: the MRZ altered %v, want %s", tc.seed, c.Truth.Mismatched, tc.field)
			}
			r, err := mrz.ParseLines(c.Truth.MRZ)
			if err != nil {
				t.Fatal(err)
			}
			res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &truthReader{t: t, c: c}})
			if err != nil {
				t.Fatal(err)
			}
			for _, rd := range res.VIZ {
				if rd.Field == tc.field && rd.Part != "" {
					t.Errorf("seed %d %s: %s read as partly seen (%s)", tc.seed, forgery, tc.field, rd.Part)
				}
			}
			want := engine.Pass
			if forgery != "none" {
				want = engine.Fail
			}
			if v := findCheck(res, CheckVIZ); v.Status != want {
				t.Errorf("seed %d %s: %s %s, want %s", tc.seed, forgery, v.Status, v.Reason, want)
			}
		}
	}
}
