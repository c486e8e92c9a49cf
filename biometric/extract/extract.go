package extract

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"sync"

	"checkpost/biometric"
)

// Errors that callers branch on.
var (
	// ErrNoFingerprint means the image shows no ridge pattern: blank, flat,
	// pure noise, or too small a print to hold any minutia.
	ErrNoFingerprint = errors.New("extract: no fingerprint found in the image")
	// ErrImageSize means the image is too small or too large to process.
	ErrImageSize = errors.New("extract: image size out of range")
)

// Image size limits at 500 ppi: a print smaller than a few ridges holds no
// usable minutiae; the upper limit bounds memory (about 40 bytes a pixel).
const (
	MinSide   = 64
	MaxPixels = 4096 * 4096
)

// minForeground is the smallest print area, in blocks, worth extracting
// (about 5 x 5 mm).
const minForeground = 96

// Extractor holds the working buffers of the pipeline, reused from one image
// to the next. It is not safe for concurrent use; Extract uses a pool.
type Extractor struct {
	w, h, W, H int
	bw, bh     int
	bank       *filterBank

	// canvases (W*H)
	img, norm, tmp, enh []float32
	obin, pbin, bin     []uint8
	nodeOf              []int32

	// blocks (bw*bh)
	bxx, bxy, bmag, bsum, bsum2 []float32
	vx, vy, coh, energy         []float32
	mean, std                   []float32
	tx, ty, ux, uy, theta       []float32
	period, clar                []float32
	clarEN, clarEE, clarNN      []float32
	mask, mask2                 []bool
	rowHasMask                  []bool
	dist                        []uint8
	label                       []int32

	scratchF         []float32
	stack            []int32
	pixList, delList []int32
	nodes            []node
	nodePix          []int32
	joins            []gapJoin
	line             []int32
	ridgeCodes       []uint8

	quality QualityReport
}

// NewExtractor returns an Extractor with no buffers yet.
func NewExtractor() *Extractor { return &Extractor{} }

var pool = sync.Pool{New: func() any { return NewExtractor() }}

// Extract finds the minutiae of a 500 ppi grey fingerprint image (ridges
// dark) and scores its quality. It is safe for concurrent use.
func Extract(img *image.Gray) (biometric.Template, error) {
	e := pool.Get().(*Extractor)
	defer pool.Put(e)
	return e.Extract(img)
}

// Extract is the method form of the package function Extract, reusing e's
// buffers.
func (e *Extractor) Extract(img *image.Gray) (biometric.Template, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < MinSide || h < MinSide || w*h > MaxPixels {
		return biometric.Template{}, fmt.Errorf("%w: %dx%d pixels (want at least %dx%d and at most %d pixels)",
			ErrImageSize, w, h, MinSide, MinSide, MaxPixels)
	}
	e.alloc(w, h)
	e.loadCanvas(img.Pix[img.PixOffset(b.Min.X, b.Min.Y):], img.Stride)
	e.blockMoments()
	e.blockFeatures()
	e.segment()
	fg := 0
	for by := 0; by < e.bh; by++ {
		e.rowHasMask[by] = false
		for bx := 0; bx < e.bw; bx++ {
			if e.mask[by*e.bw+bx] {
				e.rowHasMask[by] = true
				fg++
			}
		}
	}
	if fg < minForeground {
		e.quality = QualityReport{}
		return biometric.Template{}, fmt.Errorf("%w (%d foreground blocks of 8x8 pixels, need %d)", ErrNoFingerprint, fg, minForeground)
	}
	e.orientation()
	e.ridgePeriod()
	e.pixelFields()
	e.enhance()
	e.thin()
	e.findMinutiae()
	t := biometric.Template{Width: w, Height: h, ResolutionPPI: 500}
	for i := range e.nodes {
		n := &e.nodes[i]
		if n.removed {
			continue
		}
		typ := biometric.MinutiaEnding
		if n.kind == nodeJunction {
			typ = biometric.MinutiaBifurcation
		}
		// Image coordinates have y down; the template's angles are
		// counter-clockwise as seen, so the y component flips.
		a := math.Atan2(float64(-n.dy), float64(n.dx))
		if a < 0 {
			a += 2 * math.Pi
		}
		t.Minutiae = append(t.Minutiae, biometric.Minutia{
			X: int(n.x + 0.5), Y: int(n.y + 0.5), Angle: a, Type: typ, Quality: e.minutiaQuality(n),
			Orientation: e.orientationCode(float32(int(n.x+0.5)), float32(int(n.y+0.5)), a),
		})
	}
	sort.Slice(t.Minutiae, func(i, j int) bool {
		a, b := t.Minutiae[i], t.Minutiae[j]
		if a.Y != b.Y {
			return a.Y < b.Y
		}
		return a.X < b.X
	})
	t.Ridges = e.ridgeMap(t.Minutiae)
	t.Singular = e.singularPoints()
	reliable := 0
	for _, m := range t.Minutiae {
		if m.Quality >= 40 {
			reliable++
		}
	}
	e.quality = e.assessQuality(fg, reliable)
	t.Quality = e.quality.Score
	if len(t.Minutiae) == 0 {
		return t, fmt.Errorf("%w (a print area was found but no minutia in it)", ErrNoFingerprint)
	}
	return t, nil
}

// alloc sizes the buffers for a w x h image.
func (e *Extractor) alloc(w, h int) {
	W, H := w+2*pad, h+2*pad
	bw, bh := (w+blockSize-1)/blockSize, (h+blockSize-1)/blockSize
	if e.bank == nil || e.bank.W != W {
		e.bank = newFilterBank(W)
	}
	e.w, e.h, e.W, e.H, e.bw, e.bh = w, h, W, H, bw, bh
	n := W * H
	f := func(s *[]float32, n int) {
		if cap(*s) < n {
			*s = make([]float32, n)
		}
		*s = (*s)[:n]
	}
	u := func(s *[]uint8, n int) {
		if cap(*s) < n {
			*s = make([]uint8, n)
		}
		*s = (*s)[:n]
	}
	bo := func(s *[]bool, n int) {
		if cap(*s) < n {
			*s = make([]bool, n)
		}
		*s = (*s)[:n]
	}
	for _, s := range []*[]float32{&e.img, &e.norm, &e.tmp, &e.enh} {
		f(s, n)
	}
	// The margins of the filter inputs and of the binary image stay zero.
	clear(e.norm)
	clear(e.tmp)
	u(&e.obin, n)
	u(&e.pbin, n)
	u(&e.bin, n)
	clear(e.bin)
	if cap(e.nodeOf) < n {
		e.nodeOf = make([]int32, n)
	}
	e.nodeOf = e.nodeOf[:n]
	nb := bw * bh
	for _, s := range []*[]float32{&e.bxx, &e.bxy, &e.bmag, &e.bsum, &e.bsum2, &e.vx, &e.vy, &e.coh,
		&e.energy, &e.mean, &e.std, &e.tx, &e.ty, &e.ux, &e.uy, &e.theta, &e.period, &e.clar, &e.clarEN, &e.clarEE, &e.clarNN} {
		f(s, nb)
	}
	if cap(e.scratchF) < nb {
		e.scratchF = make([]float32, 0, nb)
	}
	bo(&e.mask, nb)
	bo(&e.mask2, nb)
	bo(&e.rowHasMask, bh)
	u(&e.dist, nb)
	if cap(e.label) < nb {
		e.label = make([]int32, nb)
	}
	e.label = e.label[:nb]
}
