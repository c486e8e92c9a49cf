package viz

import (
	"context"
	"image"
	"sync"
	"testing"

	"checkpost/internal/tesseract"
)

// lineEngine stands in for Tesseract's line finding giving up on a
// legible value: a single-line reading finds no word, a raw-line reading
// finds the value.
type lineEngine struct {
	mu   sync.Mutex
	psms []tesseract.PageSegMode
}

func (e *lineEngine) Read(ctx context.Context, im *image.Gray, opts tesseract.Options) ([]tesseract.Word, error) {
	e.mu.Lock()
	e.psms = append(e.psms, opts.PSM)
	e.mu.Unlock()
	if opts.PSM != tesseract.PSMRawLine {
		return nil, nil
	}
	return []tesseract.Word{{Text: "ASTROM", Box: image.Rect(20, 12, 120, 40), Confidence: 37}}, nil
}

func (e *lineEngine) Close() error { return nil }

// TestRawLineWhenNeitherViewReads: a field whose white-light and IR
// views give no word read as one line is read again as a raw line in
// each view, and both readings are returned.
func TestRawLineWhenNeitherViewReads(t *testing.T) {
	e := &lineEngine{}
	p := newPool("eng", "", 1)
	p.newEngine = func() (ocrEngine, error) { return e, nil }
	r := &Reader{pool: p}
	view := func() *image.Gray {
		im := image.NewGray(image.Rect(0, 0, 300, 40))
		for i := range im.Pix {
			im.Pix[i] = 230
		}
		for y := 12; y < 30; y++ {
			for x := 10; x < 90; x++ {
				im.Pix[y*im.Stride+x] = 20
			}
		}
		return im
	}
	rds, err := r.ReadFields(context.Background(), []Field{{Name: "surname", Image: view(), Alt: view()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rds) != 2 || rds[0].Text != "ASTROM" || rds[1].Text != "ASTROM" {
		t.Fatalf("readings %+v, want ASTROM from each view", rds)
	}
	// White, IR, the white view cut to its value (readCut: the value
	// is short beside its image), then the raw lines.
	want := []tesseract.PageSegMode{tesseract.PSMSingleLine, tesseract.PSMSingleLine, tesseract.PSMSingleLine, tesseract.PSMRawLine, tesseract.PSMRawLine}
	if len(e.psms) != len(want) {
		t.Fatalf("page segmentation modes %v, want %v", e.psms, want)
	}
	for i := range want {
		if e.psms[i] != want[i] {
			t.Fatalf("page segmentation modes %v, want %v", e.psms, want)
		}
	}
	// Without an IR view the second reading is already the raw line
	// (then the cut view).
	e.psms = nil
	rds, err = r.ReadFields(context.Background(), []Field{{Name: "surname", Image: view()}})
	if err != nil || len(rds) != 1 || len(e.psms) != 3 {
		t.Fatalf("one view: readings %+v, modes %v, err %v", rds, e.psms, err)
	}
}
