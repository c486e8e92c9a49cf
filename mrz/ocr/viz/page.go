package viz

import (
	"context"
	"image"

	"checkpost/internal/tesseract"
)

// Page is a page of unknown layout, upright.
type Page struct {
	Image image.Image
	// Bottom, when above 0, is where to stop reading, in pixels from the
	// top (the MRZ's top: the printed fields lie above it).
	Bottom int
	// Hint holds values the page is expected to print (from the MRZ): a
	// field whose label is not found is taken where its value is printed.
	// Keys are field names; values as the MRZ gives them ("MUSTERMANN",
	// "C01X00T47"), dates as YYMMDD.
	Hint map[string]string
}

// ReadPage reads a whole page (Tesseract's automatic page segmentation,
// about a second for a 125 x 88 mm page at 8 px/mm on one core: bound it
// with ctx) and finds the fields by their labels, by the form of their
// values (dates) and by the hints.
func (r *Reader) ReadPage(ctx context.Context, pg Page) ([]Reading, error) {
	if pg.Image == nil {
		return nil, nil
	}
	im := toGray(pg.Image)
	if pg.Bottom > 0 && pg.Bottom < im.Bounds().Dy() {
		im = im.SubImage(image.Rect(0, 0, im.Bounds().Dx(), pg.Bottom)).(*image.Gray)
	}
	words, err := r.runCtx(ctx, call{psm: tesseract.PSMSparseText}, im)
	if err != nil {
		return nil, err
	}
	return findFields(layoutWords(words), pg.Hint), nil
}

// runCtx runs Tesseract and returns when it is done or ctx ends (the run
// itself cannot be stopped: it finishes on its own and gives its engine
// back).
func (r *Reader) runCtx(ctx context.Context, c call, im image.Image) ([]tesseract.Word, error) {
	type out struct {
		w   []tesseract.Word
		err error
	}
	done := make(chan out, 1)
	go func() {
		w, err := r.pool.run(ctx, c, im)
		done <- out{w, err}
	}()
	select {
	case o := <-done:
		return o.w, o.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}
