package ocr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // phone photos and web images
	_ "image/png"
	"io"
	"os"
	"strings"

	"checkpost/devices"

	"github.com/gen2brain/go-fitz"
	_ "golang.org/x/image/bmp" // document readers write BMP
	_ "golang.org/x/image/tiff"
)

// MaxFileSize bounds the bytes ReadFile reads from one file.
const MaxFileSize = devices.MaxFileSize

// MaxPDFPages bounds the pages of one PDF that ReadBytes renders.
const MaxPDFPages = 32

// ReadCapture reads the zone of a capture: the front first, then the back
// (a TD1 card carries its MRZ on the back), each under IR first, where
// the B900 ink stays dark and the background art vanishes, then under
// white light. The first valid reading wins; else the found reading with
// the best mean confidence; else a "no MRZ found" result whose Reason
// lists every image tried. Result.Light and Result.Side say which image
// was read.
func (r *Reader) ReadCapture(ctx context.Context, c *devices.Capture, opts ...ReadOption) (*Result, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: no capture", ErrEmptyInput)
	}
	type side struct {
		name string
		s    *devices.Side
	}
	sides := []side{{"front", &c.Side}}
	if c.Back != nil {
		sides = append(sides, side{"back", c.Back})
	}
	var best *Result
	var reasons []string
	for _, sd := range sides {
		for _, l := range []devices.Light{devices.IR, devices.White} {
			img := sd.s.Image(l)
			if img == nil {
				continue
			}
			res, err := r.ReadImage(ctx, img, opts...)
			if err != nil {
				return nil, err
			}
			res.Light, res.Side = l, sd.name
			if !res.Found {
				reasons = append(reasons, fmt.Sprintf("%s %s: %s", sd.name, l, strings.TrimPrefix(res.Reason, "no MRZ found: ")))
				continue
			}
			if res.Valid {
				return res, nil
			}
			if best == nil || res.MeanConfidence > best.MeanConfidence {
				best = res
			}
		}
	}
	if best != nil {
		return best, nil
	}
	if len(reasons) == 0 {
		return &Result{Reason: "no MRZ found: the capture has no white or IR image"}, nil
	}
	return &Result{Reason: "no MRZ found: " + strings.Join(reasons, "; ")}, nil
}

// ReadFile reads the image or PDF file at path (see ReadBytes).
func (r *Reader) ReadFile(ctx context.Context, path string, opts ...ReadOption) ([]*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("ocr: %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, path, MaxFileSize)
	}
	return r.ReadBytes(ctx, data, opts...)
}

// ReadBytes reads an image file (JPEG, PNG, BMP, TIFF; a JPEG's or TIFF's
// EXIF orientation applied, mirrored ones included, so that Quad is in
// the pixels of the image as displayed) or a PDF (each page rendered at
// Options.PDFPPI, one Result per page with Page set, at most MaxPDFPages).
// Errors wrap ErrEmptyInput, ErrUnsupported, ErrTooLarge, ErrBadImage,
// ErrPDFNoPages, ErrPDFLocked or ErrBadPDF.
func (r *Reader) ReadBytes(ctx context.Context, data []byte, opts ...ReadOption) ([]*Result, error) {
	if len(data) == 0 {
		return nil, ErrEmptyInput
	}
	if isPDF(data) {
		return r.readPDF(ctx, data, opts)
	}
	img, err := r.decodeImage(data)
	if err != nil {
		return nil, err
	}
	res, err := r.ReadImage(ctx, img, opts...)
	if err != nil {
		return nil, err
	}
	return []*Result{res}, nil
}

func isPDF(data []byte) bool {
	// The header may follow a little junk (the PDF standard allows 1024
	// bytes).
	return bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-"))
}

// decodeImage decodes data after checking its size from the header, and
// turns it as its EXIF orientation says.
func (r *Reader) decodeImage(data []byte) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ErrUnsupported
		}
		return nil, fmt.Errorf("%w: %v", ErrBadImage, err)
	}
	if err := r.checkSize(image.Rect(0, 0, cfg.Width, cfg.Height)); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadImage, format, err)
	}
	if o := exifOrientation(data); o > 1 {
		img = orient(valueGray(img), o)
	}
	return img, nil
}

func (r *Reader) readPDF(ctx context.Context, data []byte, opts []ReadOption) ([]*Result, error) {
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		if errors.Is(err, fitz.ErrNeedsPassword) {
			return nil, ErrPDFLocked
		}
		return nil, fmt.Errorf("%w: %v", ErrBadPDF, err)
	}
	defer doc.Close()
	n := doc.NumPage()
	if n <= 0 {
		return nil, ErrPDFNoPages
	}
	ppi := r.opts.PDFPPI
	var out []*Result
	for i := 0; i < min(n, MaxPDFPages); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// Bound is in points (1/72 inch): refuse a page too large to
		// render before MuPDF allocates for it.
		b, err := doc.Bound(i)
		if err != nil {
			return nil, fmt.Errorf("%w: page %d: %v", ErrBadPDF, i+1, err)
		}
		w, h := int(float64(b.Dx())*ppi/72+0.5), int(float64(b.Dy())*ppi/72+0.5)
		if err := r.checkSize(image.Rect(0, 0, w, h)); err != nil {
			return nil, fmt.Errorf("page %d at %g ppi: %w", i+1, ppi, err)
		}
		img, err := doc.ImageDPI(i, ppi)
		if err != nil {
			return nil, fmt.Errorf("%w: page %d: %v", ErrBadPDF, i+1, err)
		}
		res, err := r.ReadImage(ctx, img, opts...)
		if err != nil {
			return nil, fmt.Errorf("page %d: %w", i+1, err)
		}
		res.Page = i + 1
		out = append(out, res)
	}
	return out, nil
}
