package sim

import (
	"crypto/sha256"
	"fmt"
	"image"
	"math"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/vector"
)

// OCRB draws single OCR-B glyphs at the MRZ's scale with sub-pixel
// placement, through the simulator's own CFF reader (x/image's rejects
// '<' and '8'). The MRZ reader (mrz/ocr) trains its character classifier
// on these glyphs, so that training and the simulated documents share one
// rendering of the font. It is safe for concurrent use.
type OCRB struct {
	f *cffFont
	// advPerEm is the advance of '<' (every OCR-B glyph has the same) in
	// ems; capPerEm the height of 'H' in ems.
	advPerEm, capPerEm float64
}

// LoadOCRB loads the OCR-B font (see OCRBPath).
func LoadOCRB() (*OCRB, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	f := fs.ocrb
	var buf sfnt.Buffer
	const ref = 1000.0
	o := &OCRB{f: f}
	for _, m := range []struct {
		r   rune
		dst *float64
		adv bool
	}{{'<', &o.advPerEm, true}, {'H', &o.capPerEm, false}} {
		gid, err := f.sf.GlyphIndex(&buf, m.r)
		if err != nil || gid == 0 {
			return nil, fmt.Errorf("sim: OCR-B has no %q", m.r)
		}
		if m.adv {
			a, err := f.sf.GlyphAdvance(&buf, gid, fixedI(ref), 0)
			if err != nil {
				return nil, fmt.Errorf("sim: OCR-B advance of %q: %w", m.r, err)
			}
			*m.dst = float64(a) / 64 / ref
			continue
		}
		b, _, err := f.sf.GlyphBounds(&buf, gid, fixedI(ref), 0)
		if err != nil {
			return nil, fmt.Errorf("sim: OCR-B bounds of %q: %w", m.r, err)
		}
		*m.dst = -float64(b.Min.Y) / 64 / ref
	}
	if o.advPerEm <= 0 || o.capPerEm <= 0 {
		return nil, fmt.Errorf("sim: OCR-B metrics out of range")
	}
	return o, nil
}

// CapHeight returns the height of the capitals in pixels when the MRZ's
// pitch (one character's advance) is pitch pixels.
func (o *OCRB) CapHeight(pitch float64) float64 { return pitch / o.advPerEm * o.capPerEm }

// Draw adds the glyph of c to dst (coverage composed over what is there),
// sized so that the advance is pitch pixels, with the pen at (x, baseline)
// in dst's coordinates (sub-pixel). A character the font lacks is an
// error.
func (o *OCRB) Draw(dst *image.Alpha, c rune, pitch, x, baseline float64) error {
	var buf sfnt.Buffer
	gid, err := o.f.sf.GlyphIndex(&buf, c)
	if err != nil || gid == 0 {
		return fmt.Errorf("sim: OCR-B has no glyph for %q", c)
	}
	if pitch <= 0 || math.IsNaN(x) || math.IsNaN(baseline) || math.IsInf(x, 0) || math.IsInf(baseline, 0) {
		return nil
	}
	// Every MRZ glyph lies within its advance box and between the
	// capitals' top and a little below the baseline: rasterise only there
	// (a rasteriser costs its area), in a contiguous buffer (x/image's
	// vector ignores the stride of a sub-image's whole-bounds fast path).
	box := image.Rect(int(math.Floor(x-0.2*pitch)), int(math.Floor(baseline-1.4*pitch)),
		int(math.Ceil(x+1.2*pitch)), int(math.Ceil(baseline+0.5*pitch))).Intersect(dst.Bounds())
	if box.Empty() {
		return nil
	}
	z := vector.NewRasterizer(box.Dx(), box.Dy())
	s := pitch / o.advPerEm / o.f.unitsPerEm
	if err := o.f.outline(int(gid), s, x-float64(box.Min.X), baseline-float64(box.Min.Y), z); err != nil {
		return err
	}
	tmp := image.NewAlpha(image.Rect(0, 0, box.Dx(), box.Dy()))
	z.Draw(tmp, tmp.Bounds(), image.Opaque, image.Point{})
	for y := 0; y < box.Dy(); y++ {
		row := dst.Pix[dst.PixOffset(box.Min.X, box.Min.Y+y):]
		for x, a := range tmp.Pix[y*tmp.Stride : (y+1)*tmp.Stride] {
			if a != 0 {
				row[x] = uint8(uint32(a) + uint32(row[x])*(255-uint32(a))/255)
			}
		}
	}
	return nil
}

// Digest identifies the font's outlines (a hash of its charstrings and
// subroutines), so that a cache of anything derived from the glyphs can
// tell when the installed font changed.
func (o *OCRB) Digest() [32]byte {
	h := sha256.New()
	for _, set := range [][][]byte{o.f.charStrings, o.f.gsubrs, o.f.subrs} {
		fmt.Fprintf(h, "%d;", len(set))
		for _, cs := range set {
			fmt.Fprintf(h, "%d;", len(cs))
			h.Write(cs)
		}
	}
	var d [32]byte
	h.Sum(d[:0])
	return d
}
