package sim

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// OCRBPath is where Debian's fonts-ocr-b installs the OCR-B font used for
// the MRZ; the environment variable CHECKPOST_OCRB_FONT overrides it.
const OCRBPath = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"

// ErrNoOCRB is returned when the OCR-B font cannot be found.
var ErrNoOCRB = errors.New("sim: OCR-B font not found (install the Debian package fonts-ocr-b, or set CHECKPOST_OCRB_FONT to an OCR-B .otf)")

type fontID uint8

const (
	fontOCRB fontID = iota
	fontSans        // labels and printed data (Go Regular)
	fontBold        // headings (Go Bold)
	numFonts
)

// fonts holds the parsed fonts; parsing happens once per process.
type fonts struct {
	f [numFonts]*opentype.Font
	// ocrb draws OCR-B's CFF outlines (see cffFont).
	ocrb *cffFont
}

var (
	loadFontsOnce sync.Once
	loadedFonts   *fonts
	loadFontsErr  error
)

func loadFonts() (*fonts, error) {
	loadFontsOnce.Do(func() {
		path := OCRBPath
		if p := os.Getenv("CHECKPOST_OCRB_FONT"); p != "" {
			path = p
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			loadFontsErr = fmt.Errorf("%w: %s", ErrNoOCRB, path)
			return
		} else if err != nil {
			loadFontsErr = fmt.Errorf("sim: OCR-B font: %w", err)
			return
		}
		var fs fonts
		if fs.f[fontOCRB], err = opentype.Parse(data); err != nil {
			loadFontsErr = fmt.Errorf("sim: OCR-B font %s: %w", path, err)
			return
		}
		if fs.ocrb, err = parseCFFFont(data); err != nil {
			loadFontsErr = fmt.Errorf("sim: OCR-B font %s: %w", path, err)
			return
		}
		if fs.f[fontSans], err = opentype.Parse(goregular.TTF); err != nil {
			loadFontsErr = fmt.Errorf("sim: Go Regular: %w", err)
			return
		}
		if fs.f[fontBold], err = opentype.Parse(gobold.TTF); err != nil {
			loadFontsErr = fmt.Errorf("sim: Go Bold: %w", err)
			return
		}
		loadedFonts = &fs
	})
	return loadedFonts, loadFontsErr
}

// glyph is a rasterised character: its coverage mask, the mask's offset
// from the pen position on the baseline, and the pen advance in pixels.
type glyph struct {
	mask    *image.Alpha
	off     image.Point
	advance float64
}

// typeface rasterises and caches the glyphs of one font at one pixel size.
// It is safe for concurrent use.
type typeface struct {
	face   font.Face
	cff    *cffFont // draws the glyphs when set
	ppem   float64
	mu     sync.Mutex
	glyphs map[rune]*glyph
	// ascent and capHeight in pixels, for placing text by its top.
	ascent, capHeight float64
}

// newTypeface makes a face of font f whose em is ppem pixels.
func newTypeface(f *opentype.Font, ppem float64) (*typeface, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: ppem, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, err
	}
	m := face.Metrics()
	tf := &typeface{face: face, ppem: ppem, glyphs: map[rune]*glyph{}, ascent: fix(m.Ascent), capHeight: fix(m.CapHeight)}
	if tf.capHeight <= 0 {
		if b, _, ok := face.GlyphBounds('H'); ok {
			tf.capHeight = -fix(b.Min.Y)
		}
	}
	return tf, nil
}

func fix(v fixed.Int26_6) float64 { return float64(v) / 64 }

// glyph returns r's glyph; characters the font lacks render as nothing
// with the advance of a space.
func (t *typeface) glyph(r rune) *glyph {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g, ok := t.glyphs[r]; ok {
		return g
	}
	g := &glyph{}
	if t.cff != nil {
		mask, off, adv, ok := t.cff.glyphMask(r, t.ppem)
		if !ok {
			mask, off, adv, _ = t.cff.glyphMask(' ', t.ppem)
		}
		g.mask, g.off, g.advance = mask, off, adv
		t.glyphs[r] = g
		return g
	}
	dr, mask, mp, adv, ok := t.face.Glyph(fixed.Point26_6{}, r)
	if !ok {
		adv, _ = t.face.GlyphAdvance(' ')
	} else if !dr.Empty() {
		// The face reuses its mask buffer: copy it.
		a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(a, a.Bounds(), mask, mp, draw.Src)
		g.mask, g.off = a, dr.Min
	}
	g.advance = fix(adv)
	t.glyphs[r] = g
	return g
}

// width returns the advance of s in pixels.
func (t *typeface) width(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += t.glyph(r).advance
	}
	return w
}
