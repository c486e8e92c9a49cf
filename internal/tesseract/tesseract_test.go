package tesseract

import (
	"context"
	"errors"
	"image"
	"image/draw"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// newEngine starts an English engine, or skips where the model is not
// installed.
func newEngine(t testing.TB, vars map[string]string) *Engine {
	t.Helper()
	e, err := New(Config{Language: "eng", Variables: vars})
	if err != nil {
		if errors.Is(err, ErrInit) && os.Getenv("CI") != "true" {
			t.Skipf("Tesseract's English model: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// render draws lines of text in black on white, size px high, with a
// margin.
func render(t testing.TB, size float64, lines ...string) *image.Gray {
	t.Helper()
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		t.Fatal(err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		t.Fatal(err)
	}
	defer face.Close()
	w := 0
	for _, l := range lines {
		w = max(w, font.MeasureString(face, l).Ceil())
	}
	lh := int(size * 1.5)
	im := image.NewGray(image.Rect(0, 0, w+2*int(size), lh*len(lines)+int(size)))
	draw.Draw(im, im.Rect, image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: im, Src: image.Black, Face: face}
	for i, l := range lines {
		d.Dot = fixed.P(int(size), int(size)+i*lh+int(size)/2)
		d.DrawString(l)
	}
	return im
}

func text(ws []Word) string {
	var p []string
	for _, w := range ws {
		p = append(p, w.Text)
	}
	return strings.Join(p, " ")
}

func TestReadLine(t *testing.T) {
	e := newEngine(t, nil)
	im := render(t, 32, "MUSTERMANN 1964")
	ws, err := e.Read(context.Background(), im, Options{PSM: PSMSingleLine})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(ws); got != "MUSTERMANN 1964" {
		t.Errorf("read %q", got)
	}
	for _, w := range ws {
		if !w.Box.In(im.Rect) || w.Box.Dy() < 16 || w.Confidence < 50 || w.Line != 1 || w.Block != 1 {
			t.Errorf("word %+v", w)
		}
	}
	if len(ws) == 2 && ws[0].Box.Max.X > ws[1].Box.Min.X {
		t.Errorf("words not left to right: %v", ws)
	}
	// The whitelist is the reading's own: digits only now, any again after.
	ws, err = e.Read(context.Background(), render(t, 32, "AB 1964"), Options{Whitelist: "0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text(ws), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t.Errorf("whitelist not applied: %q", text(ws))
	}
	txt, err := e.Text(context.Background(), im, Options{})
	if err != nil || strings.TrimSpace(txt) != "MUSTERMANN 1964" {
		t.Errorf("Text: %q, %v", txt, err)
	}
}

// TestSymbols: each word comes with its characters, their boxes within
// the word's and their confidences; with Options.Choices each character
// has its alternatives, the most likely (the character read) first.
func TestSymbols(t *testing.T) {
	e := newEngine(t, nil)
	im := render(t, 32, "MUSTERMANN 1964")
	for _, choices := range []bool{false, true} {
		ws, err := e.Read(context.Background(), im, Options{Choices: choices})
		if err != nil || text(ws) != "MUSTERMANN 1964" {
			t.Fatalf("choices %v: %q, %v", choices, text(ws), err)
		}
		for _, w := range ws {
			var spelt strings.Builder
			for _, s := range w.Symbols {
				spelt.WriteString(s.Text)
				if !s.Box.In(w.Box.Inset(-2)) || s.Box.Empty() || s.Confidence < 50 {
					t.Errorf("%q: symbol %+v (word box %v)", w.Text, s, w.Box)
				}
				switch {
				case !choices && s.Choices != nil:
					t.Errorf("%q: choices %v not asked for", s.Text, s.Choices)
				case choices && (len(s.Choices) == 0 || len(s.Choices) > MaxChoices || s.Choices[0].Text != s.Text):
					t.Errorf("%q: choices %v", s.Text, s.Choices)
				}
			}
			if spelt.String() != w.Text {
				t.Errorf("symbols spell %q, word %q", spelt.String(), w.Text)
			}
		}
	}
	// A letter the English model lacks sinks its word's confidence; the
	// other letters stay sure.
	ws, err := e.Read(context.Background(), render(t, 32, "ØDEGÅRD"), Options{Whitelist: "ABCDEFGHIJKLMNOPQRSTUVWXYZ -'/"})
	if err != nil || len(ws) != 1 {
		t.Fatalf("ØDEGÅRD: %+v, %v", ws, err)
	}
	sure := 0
	for _, s := range ws[0].Symbols {
		if s.Confidence >= 90 {
			sure++
		}
	}
	t.Logf("ØDEGÅRD read %q, confidence %.1f, %d of %d characters sure", ws[0].Text, ws[0].Confidence, sure, len(ws[0].Symbols))
	if ws[0].Confidence > 50 || sure < 4 {
		t.Errorf("ØDEGÅRD read %q: word confidence %.1f, %d sure characters", ws[0].Text, ws[0].Confidence, sure)
	}
}

// TestSubImage reads a part of a larger image: the pixels start where the
// sub-image does and the boxes are in the parent's coordinates.
func TestSubImage(t *testing.T) {
	e := newEngine(t, nil)
	im := render(t, 32, "FIRST LINE", "SECOND 42")
	h := im.Rect.Dy() / 2
	sub := im.SubImage(image.Rect(0, h, im.Rect.Dx(), im.Rect.Dy())).(*image.Gray)
	ws, err := e.Read(context.Background(), sub, Options{PSM: PSMSingleLine})
	if err != nil {
		t.Fatal(err)
	}
	if got := text(ws); got != "SECOND 42" {
		t.Fatalf("read %q", got)
	}
	if ws[0].Box.Min.Y < h {
		t.Errorf("box %v not in the parent's coordinates (sub-image from y=%d)", ws[0].Box, h)
	}
}

func TestInitErrors(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Language: "xx-none", Datapath: t.TempDir()},
		{Language: "../eng"},
		{Language: "eng", Datapath: "/nonexistent"},
	} {
		if e, err := New(cfg); !errors.Is(err, ErrInit) {
			t.Errorf("%+v: %v", cfg, err)
			if e != nil {
				e.Close()
			}
		}
	}
	e := newEngine(t, nil)
	if err := e.SetVariable("no_such_variable_here", "1"); err == nil {
		t.Error("unknown variable accepted")
	}
	if _, err := New(Config{Language: "eng", Variables: map[string]string{"no_such_variable_here": "1"}}); err == nil {
		t.Error("unknown variable accepted at start")
	}
	e.Close()
	if _, err := e.Read(context.Background(), render(t, 20, "X"), Options{}); !errors.Is(err, ErrClosed) {
		t.Errorf("read after Close: %v", err)
	}
	e.Close()
}

// TestVariables: variables read only when the model loads take effect.
func TestVariables(t *testing.T) {
	e := newEngine(t, map[string]string{"load_system_dawg": "0", "tessedit_do_invert": "0"})
	for _, name := range []string{"load_system_dawg", "tessedit_do_invert"} {
		if v, ok := e.boolVariable(name); !ok || v {
			t.Errorf("%s = %v (known %v), want false", name, v, ok)
		}
	}
	if v, ok := newEngine(t, nil).boolVariable("load_system_dawg"); !ok || !v {
		t.Errorf("default load_system_dawg = %v (known %v)", v, ok)
	}
}

func TestBadImages(t *testing.T) {
	e := newEngine(t, nil)
	for _, im := range []*image.Gray{
		nil,
		image.NewGray(image.Rect(0, 0, 2, 2)),
		{Pix: make([]byte, 10), Stride: 10, Rect: image.Rect(0, 0, 10, 10)},
		{Pix: make([]byte, 100), Stride: 5, Rect: image.Rect(0, 0, 10, 10)},
		image.NewGray(image.Rect(0, 0, 1<<16, 4)),
	} {
		if _, err := e.Read(context.Background(), im, Options{}); !errors.Is(err, ErrImage) {
			t.Errorf("image %v: %v", im, err)
		}
	}
	if _, err := e.Read(context.Background(), render(t, 20, "X"), Options{PSM: 99}); err == nil {
		t.Error("bad page segmentation mode accepted")
	}
}

// page is a page of text that takes Tesseract a second or more.
func page(t testing.TB) *image.Gray {
	var lines []string
	for i := 0; i < 16; i++ {
		lines = append(lines, "THE QUICK BROWN FOX "+strconv.Itoa(i*7919)+" JUMPS OVER THE LAZY DOG AGAIN AND AGAIN")
	}
	return render(t, 18, lines...)
}

// TestDeadline: a reading past its deadline stops at the next word with
// ErrDeadline, and the engine reads correctly afterwards.
func TestDeadline(t *testing.T) {
	e := newEngine(t, nil)
	pg := page(t)
	// Compared in CPU time: on a busy machine the wall clock of both
	// readings stretches with the wait for a core (the deadline is wall
	// time, and 20 ms of it may pass before the reading has done any
	// work), while the work done before the stop stays small.
	start := cpuTime()
	ws, err := e.Read(context.Background(), pg, Options{PSM: PSMAuto, Deadline: time.Minute})
	full := cpuTime() - start
	if err != nil || len(ws) < 120 {
		t.Fatalf("whole page: %d words, %v", len(ws), err)
	}
	start = cpuTime()
	_, err = e.Read(context.Background(), pg, Options{PSM: PSMAuto, Deadline: 20 * time.Millisecond})
	cut := cpuTime() - start
	if !errors.Is(err, ErrDeadline) {
		t.Fatalf("deadline: %v", err)
	}
	t.Logf("whole page %s of CPU, with a 20 ms deadline %s", full, cut)
	if cut > full/2 {
		t.Errorf("deadline of 20 ms: stopped after %s of CPU (whole page %s)", cut, full)
	}
	im := render(t, 32, "AGAIN 2026")
	ws, err = e.Read(context.Background(), im, Options{})
	if err != nil || text(ws) != "AGAIN 2026" {
		t.Errorf("after a deadline: %q, %v", text(ws), err)
	}
}

// TestCancel: a context ending stops the reading with its cause.
func TestCancel(t *testing.T) {
	e := newEngine(t, nil)
	pg := page(t)
	cause := errors.New("counter gave up")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(30*time.Millisecond, func() { cancel(cause) })
	start := time.Now()
	_, err := e.Read(ctx, pg, Options{PSM: PSMAuto})
	if !errors.Is(err, cause) {
		t.Fatalf("cancelled: %v", err)
	}
	t.Logf("stopped %s after the start", time.Since(start))
	if _, err := e.Read(ctx, pg, Options{}); !errors.Is(err, cause) {
		t.Errorf("ended context: %v", err)
	}
}

// TestNoLeak reads a field thousands of times: after a warm-up, the C
// heap Tesseract uses and the process's resident memory stay flat.
// gosseract v2.4.1 lost its ResultIterator and every word string on each
// reading.
func TestNoLeak(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 500
	}
	e := newEngine(t, nil)
	ims := []*image.Gray{render(t, 24, "DE SOUSA 19"), render(t, 24, "12 AUG 1964"), render(t, 24, "C01 X00 T47")}
	read := func(i int) {
		// Every other reading with each character's alternatives (a
		// choice iterator per character).
		ws, err := e.Read(context.Background(), ims[i%len(ims)], Options{Whitelist: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", Choices: i%2 == 1})
		if err != nil || len(ws) == 0 || len(ws[0].Symbols) == 0 {
			t.Fatalf("reading %d: %v", i, err)
		}
	}
	// Tesseract's caches fill during the first few hundred readings.
	for i := 0; i < 400; i++ {
		read(i)
	}
	heap0, rss0 := CHeapInUse(), rss(t)
	for i := 0; i < n; i++ {
		read(i)
	}
	heap1, rss1 := CHeapInUse(), rss(t)
	perRead := float64(heap1-heap0) / float64(n)
	t.Logf("%d readings: C heap %d -> %d bytes (%.1f B/reading), RSS %d -> %d kB", n, heap0, heap1, perRead, rss0>>10, rss1>>10)
	// Three words a reading: leaking only their strings would be at
	// least 3 x 32 bytes of heap per reading (gosseract lost about 530
	// bytes per reading of such a line, its iterator with them); what
	// stays after the warm-up is under 16 bytes per reading here.
	if perRead > 48 {
		t.Errorf("C heap grew %.1f bytes per reading", perRead)
	}
	if rss1-rss0 > 8<<20 {
		t.Errorf("resident memory grew %d kB over %d readings", (rss1-rss0)>>10, n)
	}
}

// rss is the process's resident memory in bytes.
func rss(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm")
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// FuzzCheckGray: whatever an image.Gray claims, checkGray either refuses
// it or every pixel C will read lies inside Pix.
func FuzzCheckGray(f *testing.F) {
	f.Add(10, 10, 10, 100, 0, 0)
	f.Add(10, 10, 5, 100, 3, -4)
	f.Add(1<<15, 3, 1<<15, 1<<17, 0, 0)
	f.Fuzz(func(t *testing.T, w, h, stride, n, x0, y0 int) {
		if n < 0 || n > 1<<20 {
			return
		}
		im := &image.Gray{Pix: make([]byte, n), Stride: stride, Rect: image.Rect(x0, y0, x0+w, y0+h)}
		off, err := checkGray(im)
		if err != nil {
			return
		}
		r := im.Rect
		end := off + (r.Dy()-1)*im.Stride + r.Dx()
		if off < 0 || end > len(im.Pix) || r.Dx() < 3 || r.Dy() < 3 || r.Dx()*r.Dy() > MaxPixels || im.Stride < r.Dx() {
			t.Fatalf("accepted %v stride %d with %d bytes", r, im.Stride, len(im.Pix))
		}
	})
}

// FuzzSanitize: words as Tesseract could return them (any bytes, any
// boxes and confidences) come out valid UTF-8, inside the image, 0..100.
func FuzzSanitize(f *testing.F) {
	f.Add([]byte("MUSTERMANN\x001964"), 10, 20, 200, 50, 93.5, 5, 7)
	f.Add([]byte("\xff\xfe \x00"), -10, 99999, -5, 3, -1.0, 0, 0)
	f.Fuzz(func(t *testing.T, data []byte, x0, y0, x1, y1 int, conf float64, mx, my int) {
		var ws []Word
		for i, s := range strings.Split(string(data), "\x00") {
			w := Word{Text: s, Box: image.Rect(x0+i, y0, x1, y1-i), Confidence: conf * float64(i)}
			for k, r := range s {
				c := Choice{Text: string(r), Confidence: conf - float64(k)}
				w.Symbols = append(w.Symbols, Symbol{Text: s[k:], Box: image.Rect(x0+k, y0-k, x1-k, y1), Confidence: conf + float64(k),
					Choices: []Choice{c, {Text: " ", Confidence: conf}}})
			}
			ws = append(ws, w)
		}
		r := image.Rect(mx, my, mx+300, my+80)
		for _, w := range sanitize(ws, r) {
			if !strings.ContainsFunc(w.Text, func(r rune) bool { return r != ' ' }) {
				t.Errorf("blank word kept: %q", w.Text)
			}
			if !utf8.ValidString(w.Text) || !w.Box.In(r) || w.Box.Empty() || !(w.Confidence >= 0 && w.Confidence <= 100) {
				t.Fatalf("unsafe word %+v in %v", w, r)
			}
			for _, s := range w.Symbols {
				if !utf8.ValidString(s.Text) || strings.TrimSpace(s.Text) == "" || !s.Box.In(r) || !(s.Confidence >= 0 && s.Confidence <= 100) {
					t.Fatalf("unsafe symbol %+v in %v", s, r)
				}
				for _, c := range s.Choices {
					if !utf8.ValidString(c.Text) || strings.TrimSpace(c.Text) == "" || !(c.Confidence >= 0 && c.Confidence <= 100) {
						t.Fatalf("unsafe choice %+v", c)
					}
				}
			}
		}
	})
}

// BenchmarkReadLine reads one printed line (a name field's size at 300
// ppi) on one engine.
func BenchmarkReadLine(b *testing.B) {
	e := newEngine(b, nil)
	im := render(b, 40, "DE SOUSA MARIA")
	opts := Options{Whitelist: "ABCDEFGHIJKLMNOPQRSTUVWXYZ -'/"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Read(context.Background(), im, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
