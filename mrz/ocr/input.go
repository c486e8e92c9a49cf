package ocr

import (
	"errors"
	"fmt"
	"image"
)

// Errors about the input, for callers that branch (an upload answers 400
// or 413 on them). Each is wrapped with what was wrong.
var (
	ErrEmptyInput  = errors.New("ocr: empty input")
	ErrUnsupported = errors.New("ocr: not an image or PDF this reader knows (JPEG, PNG, BMP, TIFF, PDF)")
	ErrTooLarge    = errors.New("ocr: image too large")
	ErrBadImage    = errors.New("ocr: damaged image")
	ErrPDFNoPages  = errors.New("ocr: PDF has no pages")
	ErrPDFLocked   = errors.New("ocr: PDF is encrypted")
	ErrBadPDF      = errors.New("ocr: damaged PDF")
)

func (r *Reader) checkSize(b image.Rectangle) error {
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w: the image has no pixels", ErrEmptyInput)
	}
	if w > 1<<16 || h > 1<<16 || w*h > r.opts.MaxPixels {
		return fmt.Errorf("%w: %dx%d pixels, more than the limit of %d", ErrTooLarge, w, h, r.opts.MaxPixels)
	}
	return nil
}
