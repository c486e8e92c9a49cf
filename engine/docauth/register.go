package docauth

import (
	"errors"
	"math"

	"checkpost/devices"
)

// ErrNoPage is returned when no page can be found in a side's images.
var ErrNoPage = errors.New("docauth: no page found in the image")

// registered is one side of a capture found, oriented and rectified.
type registered struct {
	quad  pageQuad
	rot   int
	score float64 // how well the orientation was told apart (NCC or band contrast)
	src   *sources
	a     *analysis
	img   *devices.Side
}

// orientations returns the rotations of the quad's corners that put a
// long edge on top for a landscape page (both when the page is nearly
// square or the quad too distorted to tell).
func orientations(q [4]pt, W, H float64) []int {
	d := func(i int) float64 { a, b := q[i%4], q[(i+1)%4]; return math.Hypot(a.X-b.X, a.Y-b.Y) }
	ratio := (d(0) + d(2)) / (d(1) + d(3)) // edges 0-1 and 2-3 over 1-2 and 3-0
	want := W / H
	if math.Abs(math.Log(want)) < 0.1 {
		return []int{0, 1, 2, 3}
	}
	// Rotation 0 keeps corner 0 as top-left: edge 0-1 on top.
	if math.Abs(math.Log(ratio/want)) < math.Abs(math.Log(ratio*want)) {
		return []int{0, 2}
	}
	return []int{1, 3}
}

// lumCoarse samples a light's luminance on the page at 1 mm cells.
func (src *sources) lumCoarse(l devices.Light, toImage homography, W, H float64) (plane, int, int) {
	var s *source
	switch l {
	case devices.White:
		s = src.white
	case devices.IR:
		s = src.ir
	case devices.UV:
		s = src.uv
	}
	if s == nil {
		return nil, 0, 0
	}
	w, h := int(W), int(H)
	out := make(plane, w*h)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			x, y := toImage.apply(float64(i)+0.5, float64(j)+0.5)
			if s.n == 1 {
				out[j*w+i] = s.sample(0, x, y)
			} else {
				out[j*w+i] = 0.299*s.sample(0, x, y) + 0.587*s.sample(1, x, y) + 0.114*s.sample(2, x, y)
			}
		}
	}
	return out, w, h
}

// orientFunc scores a candidate orientation from the page's coarse
// luminance (1 mm cells); the highest score wins.
type orientFunc func(src *sources, toImage homography, W, H float64) float64

// mrzAtBottom scores an orientation by how much darker under IR (white
// when there is no IR image) the darkest row of the band where MRZs are
// printed (5 to 19 mm above the bottom edge) is, across the page's width,
// than the darkest row of the same band at the top: the MRZ's lines of
// B900 ink run across the whole page, headings and portraits do not.
func mrzAtBottom(src *sources, toImage homography, W, H float64) float64 {
	l := devices.IR
	if src.ir == nil {
		l = devices.White
	}
	p, w, h := src.lumCoarse(l, toImage, W, H)
	if p == nil || h < 24 {
		return 0
	}
	paper := percentile(p, 0.9)
	if paper <= 0 {
		return 0
	}
	darkest := func(y0, y1 int) float64 {
		best := 0.0
		for y := y0; y < y1; y++ {
			sum := 0.0
			for x := w / 20; x < w*19/20; x++ {
				sum += float64(contrast(p[y*w+x], paper))
			}
			best = math.Max(best, sum/float64(w*9/10))
		}
		return best
	}
	return darkest(h-19, h-5) - darkest(5, 19)
}

func percentile(v []float32, q float64) float32 {
	c := append([]float32(nil), v...)
	if len(c) == 0 {
		return 0
	}
	k := int(q * float64(len(c)-1))
	// Partial selection would do; pages are small at 1 mm.
	sortFloat32(c)
	return c[k]
}

// register finds the page of side, orients it (by score when several
// orientations fit the page's shape) and rectifies it onto a W x H mm
// page.
func register(side *devices.Side, W, H float64, score orientFunc) (*registered, error) {
	pq, ok := findPage(side)
	if !ok {
		return nil, ErrNoPage
	}
	rots := orientations(pq.corners, W, H)
	// Resolution on the page, from the quad's size.
	q := pq.corners
	d := func(i int) float64 { a, b := q[i%4], q[(i+1)%4]; return math.Hypot(a.X-b.X, a.Y-b.Y) }
	var pxPerMM float64
	if rots[0]%2 == 0 {
		pxPerMM = ((d(0)+d(2))/W + (d(1)+d(3))/H) / 4
	} else {
		pxPerMM = ((d(1)+d(3))/W + (d(0)+d(2))/H) / 4
	}
	src := reduceSide(side, pxPerMM, CellMM)
	best, bestScore, second := -1, math.Inf(-1), math.Inf(-1)
	var bestH homography
	for _, r := range rots {
		hm, ok := pageHomography(q, r, W, H)
		if !ok {
			continue
		}
		sc := 0.0
		if score != nil && len(rots) > 1 {
			sc = score(src, hm, W, H)
		}
		if sc > bestScore {
			second = bestScore
			best, bestScore, bestH = r, sc, hm
		} else if sc > second {
			second = sc
		}
	}
	if best < 0 {
		return nil, ErrNoPage
	}
	sh := src.rectify(bestH, W, H, CellMM)
	margin := bestScore - second
	if math.IsInf(second, -1) {
		margin = math.Inf(1)
	}
	return &registered{quad: pq, rot: best, score: margin, src: src, a: analyse(sh), img: side}, nil
}
