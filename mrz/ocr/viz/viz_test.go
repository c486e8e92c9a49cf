package viz

import (
	"context"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"checkpost/devices/sim"
	"checkpost/internal/tesseract"
)

// newReader returns a Reader, or skips where Tesseract's English data is
// not installed.
func newReader(t *testing.T) *Reader {
	t.Helper()
	r := New(Options{})
	t.Cleanup(func() { r.Close() })
	if err := r.Available(); err != nil {
		t.Skipf("Tesseract: %v", err)
	}
	return r
}

// simFields cuts the printed fields of a clean simulator capture out of
// its white image (degradedFields without degradations).
func simFields(t testing.TB, s *sim.Simulator, model string, seed uint64) ([]Field, map[string]string) {
	t.Helper()
	return degradedFields(t, s, model, seed, "none")
}

// TestReadSimulatorFields reads clean simulator captures of every model:
// the dates, the codes and the Latin-script names exactly; every reading
// that differs from the print is unsure (below 0.5) or one character off.
func TestReadSimulatorFields(t *testing.T) {
	r := newReader(t)
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	exact, total := map[string]int{}, map[string]int{}
	for seed := uint64(900); seed < 909; seed++ {
		model := sim.Models()[seed%3].Name
		fs, want := simFields(t, s, model, seed)
		rds, err := r.ReadFields(context.Background(), fs)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Reading{}
		for _, rd := range rds {
			got[rd.Field] = rd
		}
		for name, w := range want {
			if strings.ContainsFunc(w, func(r rune) bool { return r > 127 }) {
				continue // marks and other scripts: not in the English model
			}
			total[name]++
			rd := got[name]
			if rd.Text == w {
				exact[name]++
				continue
			}
			t.Logf("%s seed %d %s: read %q (%.2f), printed %q", model, seed, name, rd.Text, rd.Confidence, w)
		}
	}
	for _, name := range []string{"birth_date", "expiry_date", "surname", "code"} {
		if total[name] > 0 && exact[name]*10 < total[name]*8 {
			t.Errorf("%s: %d of %d read exactly", name, exact[name], total[name])
		}
	}
	t.Logf("exact per field: %v of %v", exact, total)
}

func TestReadFieldsTimeLimit(t *testing.T) {
	r := newReader(t)
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	fs, _ := simFields(t, s, "uto-passport", 910)
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Millisecond, ErrTimeLimit)
	defer cancel()
	start := time.Now()
	_, err = r.ReadFields(ctx, fs)
	if !errors.Is(err, ErrTimeLimit) {
		t.Errorf("error %v, want the time limit", err)
	}
	// One Tesseract run cannot be stopped; the call does not wait for it.
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("returned after %s", d)
	}
}

func TestClosedReader(t *testing.T) {
	r := newReader(t)
	r.Close()
	im := image.NewGray(image.Rect(0, 0, 100, 30))
	if _, err := r.ReadFields(context.Background(), []Field{{Name: "surname", Image: im}}); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
}

func TestNoLanguage(t *testing.T) {
	r := New(Options{Language: "xx-none", TessdataPrefix: t.TempDir()})
	defer r.Close()
	if err := r.Available(); !errors.Is(err, ErrNoTesseract) {
		t.Errorf("missing language: %v", err)
	}
	im := image.NewGray(image.Rect(0, 0, 100, 30))
	if _, err := r.ReadFields(context.Background(), []Field{{Name: "surname", Image: im}}); !errors.Is(err, ErrNoTesseract) {
		t.Errorf("read without the language: %v", err)
	}
}

func TestRepairDate(t *testing.T) {
	for in, want := range map[string]string{
		"Q7 JUN 1957": "07 JUN 1957",
		"I1 MAY 1971": "11 MAY 1971",
		"07 FEB.1990": "07 FEB 1990",
		"12.O8.1964":  "12.08.1964",
		"O3 JUL 1972": "03 JUL 1972",
		"14 MAR 2O03": "14 MAR 2003",
		"15 0CT 1999": "15 OCT 1999",
		"MINISTRY":    "MINISTRY",
		"":            "",
		"1 2 3 4":     "1 2 3 4",
		"28 SEP 1998": "28 SEP 1998",
		"22 OEC 1986": "22 DEC 1986", // D read O
		"15 IUN 2027": "15 JUN 2027",
		"28 OFC 2827": "28 DEC 2827",
		"26 FER 2031": "26 FER 2031", // R and B do not look alike
		"05 RA 2027":  "05 RA 2027",
	} {
		if got := repairDate(in); got != want {
			t.Errorf("repairDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func box(x0, y0, x1, y1 int) image.Rectangle { return image.Rect(x0, y0, x1, y1) }

func TestValueWordsAndCutOff(t *testing.T) {
	ws := []tesseract.Word{
		{Text: "DE", Box: box(20, 10, 60, 40), Confidence: 90},
		{Text: "SOUSA", Box: box(72, 10, 170, 40), Confidence: 80},
		{Text: "EA", Box: box(400, 10, 455, 40), Confidence: 20}, // art past a wide gap, at the edge
	}
	v := valueWords(ws)
	if len(v) != 2 {
		t.Fatalf("value words %v", v)
	}
	text, conf := joinWords(className, v)
	if text != "DE SOUSA" || conf != 0.8 {
		t.Errorf("joined %q %.2f", text, conf)
	}
	b := image.Rect(0, 0, 460, 50)
	if cutOff(v, b, border) {
		t.Error("words inside the image reported cut off")
	}
	if !cutOff(ws, b, border) {
		t.Error("a word at the image's edge not reported")
	}
	// A name in two scripts: the confidence is the Latin part's.
	two := []tesseract.Word{{Text: "UBAHOBA", Box: box(20, 10, 120, 40), Confidence: 5},
		{Text: "/", Box: box(130, 10, 140, 40), Confidence: 60}, {Text: "IVANOVA", Box: box(150, 10, 250, 40), Confidence: 93}}
	if text, conf := joinWords(className, two); text != "UBAHOBA / IVANOVA" || conf != 0.93 {
		t.Errorf("two scripts: %q %.2f", text, conf)
	}
}

func TestIllegibleDay(t *testing.T) {
	for s, want := range map[string]bool{"89 NOV 1947": true, "00 NOV 1947": true, "09 NOV 1947": false, "89 NUV 1947": false,
		"89 NOV 47": false, "89.11.1947": true, "8 NOV 1947": false, "NOV 1947": false, "280 SEP 1993": true, "2800 SEP 1993": false} {
		if got := illegibleDay(s); got != want {
			t.Errorf("%q: %v", s, got)
		}
	}
}

func TestCoverage(t *testing.T) {
	// A line of ink from x=30 to 230 (gaps between letters), and art far
	// to the right.
	im := image.NewGray(image.Rect(0, 0, 600, 60))
	for i := range im.Pix {
		im.Pix[i] = 255
	}
	for x := 30; x < 230; x++ {
		if x%25 > 20 {
			continue
		}
		for y := 20; y < 45; y++ {
			im.Pix[y*im.Stride+x] = 0
		}
	}
	for x := 500; x < 560; x++ {
		im.Pix[30*im.Stride+x] = 0
	}
	whole := []tesseract.Word{{Text: "ODEGARD", Box: box(30, 20, 230, 45)}}
	if c := coverage(im, whole); c != 1 {
		t.Errorf("the whole line read: coverage %.2f", c)
	}
	// Two letters read of seven: the rest of the line's ink was not.
	if c := coverage(im, []tesseract.Word{{Text: "AU", Box: box(185, 20, 222, 45)}}); c >= coverMin {
		t.Errorf("two letters of the line read: coverage %.2f", c)
	}
	if c := coverage(im, nil); c != 1 {
		t.Errorf("no words: %.2f", c)
	}
}

func TestPrepare(t *testing.T) {
	if _, err := prepare(image.NewGray(image.Rect(0, 0, 4, 4))); !errors.Is(err, errTooSmall) {
		t.Errorf("tiny image: %v", err)
	}
	// A dim field: paper at 170, ink at 60, a stray mark at the left edge.
	g := image.NewGray(image.Rect(0, 0, 200, 40))
	for i := range g.Pix {
		g.Pix[i] = 170
	}
	for y := 10; y < 30; y++ {
		g.Pix[y*g.Stride+1] = 60 // the mark
		for x := 20; x < 180; x += 6 {
			g.Pix[y*g.Stride+x], g.Pix[y*g.Stride+x+1] = 60, 60 // "letters"
		}
	}
	for x := 20; x < 180; x++ {
		g.Pix[10*g.Stride+x] = 60
	}
	out, err := prepare(g)
	if err != nil {
		t.Fatal(err)
	}
	// The band of text (20 rows) is under minText: enlarged twice.
	if out.Rect.Dx() != 400+2*border {
		t.Fatalf("prepared %v, want twice the size", out.Rect)
	}
	at := func(x, y int) uint8 { return out.Pix[(2*y+border)*out.Stride+2*x+border] }
	if at(1, 20) != 255 {
		t.Errorf("mark at the left edge kept: %d", at(1, 20))
	}
	if at(20, 20) > 10 || at(100, 2) != 255 {
		t.Errorf("ink %d, paper %d: want black and white", at(20, 20), at(100, 2))
	}
}

func TestFindFieldsByCaption(t *testing.T) {
	words := []tesseract.Word{
		{Text: "Surname", Box: box(100, 100, 170, 112), Confidence: 90},
		{Text: "MUSTERMANN", Box: box(100, 120, 260, 145), Confidence: 92},
		{Text: "Date", Box: box(100, 200, 130, 212), Confidence: 90},
		{Text: "of", Box: box(134, 200, 150, 212), Confidence: 90},
		{Text: "birth", Box: box(154, 200, 190, 212), Confidence: 90},
		{Text: "12.08.1964", Box: box(100, 220, 250, 245), Confidence: 85},
		{Text: "Place", Box: box(400, 200, 440, 212), Confidence: 90},
		{Text: "of", Box: box(444, 200, 460, 212), Confidence: 90},
		{Text: "birth", Box: box(464, 200, 500, 212), Confidence: 90},
		{Text: "BERLIN", Box: box(400, 220, 500, 245), Confidence: 85},
		{Text: "28.02.2027", Box: box(100, 300, 250, 325), Confidence: 88},
		{Text: "C01X00T47", Box: box(600, 40, 760, 65), Confidence: 70},
	}
	got := map[string]string{}
	for _, rd := range findFields(layoutWords(words), map[string]string{"document_number": "C01X00T47"}) {
		got[rd.Field] = rd.Text
	}
	want := map[string]string{"surname": "MUSTERMANN", "birth_date": "12.08.1964", "expiry_date": "28.02.2027", "document_number": "C01X00T47"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all %v)", k, got[k], v, got)
		}
	}
}

// TestReadPage reads a simulator passport's page without its layout.
func TestReadPage(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole page takes Tesseract about a second")
	}
	r := newReader(t)
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Render(sim.Spec{Model: "uto-passport", Seed: 920})
	if err != nil {
		t.Fatal(err)
	}
	rds, err := r.ReadPage(context.Background(), Page{Image: c.Side.White})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rd := range rds {
		got[rd.Field] = rd.Text
	}
	t.Logf("page readings: %+v", rds)
	for _, name := range []string{"birth_date", "expiry_date"} {
		f, _ := c.Truth.Field(name)
		if got[name] != f.Value {
			t.Errorf("%s: %q, printed %q", name, got[name], f.Value)
		}
	}
}

// FuzzFindFields feeds findFields words made of arbitrary text and boxes
// (Tesseract's output is outside bytes): it must not panic.
func FuzzFindFields(f *testing.F) {
	f.Add([]byte("Surname\x00MUSTERMANN\x00Date of birth\x0012.08.1964"), int16(10), int16(30))
	f.Add([]byte("\xff\xfe/ / .."), int16(-5), int16(0))
	f.Fuzz(func(t *testing.T, data []byte, dx, dy int16) {
		var ws []tesseract.Word
		for i, part := range strings.Split(string(data), "\x00") {
			x, y := int(dx)*i, int(dy)*i
			ws = append(ws, tesseract.Word{Text: part, Box: image.Rect(x, y, x+len(part)*8+int(dx), y+20+int(dy)%7), Confidence: float64(dx)})
		}
		for _, rd := range findFields(layoutWords(ws), map[string]string{"surname": string(data)}) {
			_ = repairDate(rd.Text)
		}
		_ = repairDate(string(data))
		_, _ = dateKey(string(data))
	})
}

// BenchmarkReadPassportFields reads the five fields docauth gives a reader of a 300-ppi
// simulator passport (cut by the ground truth's boxes), per capture:
// Engines=1 is one core's cost, the default reads on GOMAXPROCS engines.
func BenchmarkReadPassportFields(b *testing.B) {
	for _, engines := range []int{1, 0} {
		name := "engines=1"
		if engines == 0 {
			name = "engines=GOMAXPROCS"
		}
		r := New(Options{Engines: engines})
		defer r.Close()
		if err := r.Warm(context.Background()); err != nil {
			b.Skip(err)
		}
		s, err := sim.New()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			var all [][]Field
			for seed := uint64(930); seed < 934; seed++ {
				fs, _ := simFields(b, s, "uto-passport", seed)
				var keep []Field
				for _, f := range fs {
					if readable[f.Name] {
						keep = append(keep, f)
					}
				}
				all = append(all, keep)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := r.ReadFields(context.Background(), all[i%len(all)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// readable are the fields docauth gives a reader.
var readable = map[string]bool{"surname": true, "given_names": true, "document_number": true, "birth_date": true,
	"expiry_date": true}

// TestJoinChars: each rune of a field's text carries its character's
// confidence through the joining of words and the cleaning of the value.
func TestJoinChars(t *testing.T) {
	sym := func(s string, confs ...float64) []tesseract.Symbol {
		var out []tesseract.Symbol
		for i, r := range s {
			out = append(out, tesseract.Symbol{Text: string(r), Confidence: confs[i]})
		}
		return out
	}
	words := []tesseract.Word{
		{Text: "DEGARD", Confidence: 0, Symbols: sym("DEGARD", 26, 99, 99, 98, 97, 96)},
		{Text: "-", Confidence: 40, Symbols: sym("-", 40)},
		// Symbols that do not spell the word: the word's confidence.
		{Text: "AB", Confidence: 70, Symbols: sym("A", 90)},
	}
	raw, confs := joinChars(words)
	if raw != "DEGARD - AB" {
		t.Fatalf("joined %q", raw)
	}
	want := []float64{0.26, 0.99, 0.99, 0.98, 0.97, 0.96, 0.40, 0.40, 0.40, 0.70, 0.70}
	for i := range want {
		if d := confs[i] - want[i]; d > 1e-9 || d < -1e-9 {
			t.Fatalf("confidences %v, want %v", confs, want)
		}
	}
	// A date repaired ("Q7 JUN 1957" -> "07 JUN 1957") keeps each
	// character's confidence; runes trimmed at the edges go.
	got := carryChars("-Q7 JUN", []float64{0.1, 0.3, 0.9, 1, 0.8, 0.7, 0.6}, "07 JUN")
	if len(got) != 6 || got[0] != 0.3 || got[1] != 0.9 || got[5] != 0.6 {
		t.Errorf("carried %v", got)
	}
	// A number's spaces dropped.
	if got := carryChars("C01 X00", []float64{0.9, 0.8, 0.7, 1, 0.6, 0.5, 0.4}, "C01X00"); len(got) != 6 || got[3] != 0.6 || got[5] != 0.4 {
		t.Errorf("carried %v", got)
	}
	if got := carryChars("AB", []float64{1}, "AB"); got != nil {
		t.Errorf("mismatched confidences carried: %v", got)
	}
}
