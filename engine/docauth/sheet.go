package docauth

import (
	"image"
	"math"
	"slices"

	"checkpost/devices"
)

// CellMM is the size of a cell of the rectified page: the checks measure
// on a grid of 0.25 mm, fine enough for security fibres (0.1 mm wide) and
// coarse enough to average sensor noise.
const CellMM = 0.25

// plane is one channel of a rectified page, cell values 0..255.
type plane []float32

// sheet is one side of a capture rectified onto its page: cell (i, j)
// covers page millimetres [i, i+1) x [j, j+1) times mm. Planes of lights
// the capture lacks are nil.
type sheet struct {
	w, h int
	mm   float64
	// white R, G, B; IR; UV R, G, B.
	wr, wg, wb plane
	ir         plane
	ur, ug, ub plane
	// toImage maps page millimetres to image pixels.
	toImage homography
	imgW    int
	imgH    int
	// pxPerMM is the image's mean resolution on the page.
	pxPerMM float64
}

func (s *sheet) hasWhite() bool { return s.wr != nil }
func (s *sheet) hasIR() bool    { return s.ir != nil }
func (s *sheet) hasUV() bool    { return s.ur != nil }

// lum returns the luminance of an RGB triple of planes at cell i.
func lum(r, g, b plane, i int) float32 { return 0.299*r[i] + 0.587*g[i] + 0.114*b[i] }

// pageHomography maps page millimetres (W x H) onto the quad's corners,
// the page's top-left going to corner rot.
func pageHomography(q [4]pt, rot int, W, H float64) (homography, bool) {
	var to [4]pt
	for i := 0; i < 4; i++ {
		to[i] = q[(i+rot)%4]
	}
	return solveHomography([4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}}, to)
}

// source holds one light's image box-filtered by an integer factor, so
// that bilinear sampling at the cell grid averages over a cell instead of
// picking one pixel (which keeps the noise and loses thin fibres).
type source struct {
	f    int // reduction factor
	w, h int
	ch   [3]plane // one channel for IR
	n    int
}

func reduce(im image.Image, f int) *source {
	if im == nil {
		return nil
	}
	b := im.Bounds()
	w, h := b.Dx()/f, b.Dy()/f
	s := &source{f: f, w: w, h: h}
	inv := 1 / float32(f*f)
	switch m := im.(type) {
	case *image.Gray:
		s.n = 1
		s.ch[0] = make(plane, w*h)
		acc := make([]float32, w)
		for y := 0; y < h; y++ {
			clear(acc)
			for yy := y * f; yy < y*f+f; yy++ {
				row := m.Pix[yy*m.Stride:]
				for x := 0; x < w; x++ {
					var sum uint32
					for _, v := range row[x*f : x*f+f] {
						sum += uint32(v)
					}
					acc[x] += float32(sum)
				}
			}
			out := s.ch[0][y*w : y*w+w]
			for x := range out {
				out[x] = acc[x] * inv
			}
		}
	case *image.RGBA:
		s.n = 3
		for c := 0; c < 3; c++ {
			s.ch[c] = make(plane, w*h)
		}
		acc := make([]uint32, 3*w)
		for y := 0; y < h; y++ {
			clear(acc)
			for yy := y * f; yy < y*f+f; yy++ {
				row := m.Pix[yy*m.Stride:]
				for x := 0; x < w; x++ {
					var r, g, bl uint32
					p := row[4*x*f : 4*(x*f+f)]
					for k := 0; k < len(p); k += 4 {
						r += uint32(p[k])
						g += uint32(p[k+1])
						bl += uint32(p[k+2])
					}
					acc[3*x] += r
					acc[3*x+1] += g
					acc[3*x+2] += bl
				}
			}
			o := y * w
			for x := 0; x < w; x++ {
				s.ch[0][o+x] = float32(acc[3*x]) * inv
				s.ch[1][o+x] = float32(acc[3*x+1]) * inv
				s.ch[2][o+x] = float32(acc[3*x+2]) * inv
			}
		}
	default:
		return reduce(devices.ToRGBA(im), f)
	}
	return s
}

// weights returns the indices of the four source pixels around image
// position (x, y) and the bilinear weights, as sample uses them.
func (s *source) weights(x, y float64) (a, b, c, d int, tx, ty float32) {
	fx, fy := x/float64(s.f)-0.5, y/float64(s.f)-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	tx, ty = float32(fx-float64(x0)), float32(fy-float64(y0))
	x1, y1 := x0+1, y0+1
	x0, x1 = clampi(x0, 0, s.w-1), clampi(x1, 0, s.w-1)
	y0, y1 = clampi(y0, 0, s.h-1), clampi(y1, 0, s.h-1)
	return y0*s.w + x0, y0*s.w + x1, y1*s.w + x0, y1*s.w + x1, tx, ty
}

// sample reads channel c bilinearly at image pixel position (x, y).
func (s *source) sample(c int, x, y float64) float32 {
	fx, fy := x/float64(s.f)-0.5, y/float64(s.f)-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	tx, ty := float32(fx-float64(x0)), float32(fy-float64(y0))
	x1, y1 := x0+1, y0+1
	x0, x1 = clampi(x0, 0, s.w-1), clampi(x1, 0, s.w-1)
	y0, y1 = clampi(y0, 0, s.h-1), clampi(y1, 0, s.h-1)
	p := s.ch[c]
	a := p[y0*s.w+x0]*(1-tx) + p[y0*s.w+x1]*tx
	b := p[y1*s.w+x0]*(1-tx) + p[y1*s.w+x1]*tx
	return a*(1-ty) + b*ty
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// sources is a side's images, reduced once for all rectifications.
type sources struct {
	white, ir, uv *source
	imgW, imgH    int
}

// reduceSide box-filters the side's images so that a pixel of the result
// is about as large as a cell of mm millimetres (never larger).
func reduceSide(side *devices.Side, pxPerMM, mm float64) *sources {
	b := side.Bounds()
	f := max(1, min(int(math.Floor(pxPerMM*mm)), min(b.Dx(), b.Dy())/8))
	s := &sources{imgW: b.Dx(), imgH: b.Dy()}
	if side.White != nil {
		s.white = reduce(side.White, f)
	}
	if side.IR != nil {
		s.ir = reduce(side.IR, f)
	}
	if side.UV != nil {
		s.uv = reduce(side.UV, f)
	}
	return s
}

// rectify samples the side's lights on the page grid of W x H millimetres
// with cells of mm millimetres, through toImage.
func (src *sources) rectify(toImage homography, W, H, mm float64) *sheet {
	w, h := int(math.Round(W/mm)), int(math.Round(H/mm))
	s := &sheet{w: w, h: h, mm: mm, toImage: toImage, imgW: src.imgW, imgH: src.imgH}
	n := w * h
	if src.white != nil {
		s.wr, s.wg, s.wb = make(plane, n), make(plane, n), make(plane, n)
	}
	if src.ir != nil {
		s.ir = make(plane, n)
	}
	if src.uv != nil {
		s.ur, s.ug, s.ub = make(plane, n), make(plane, n), make(plane, n)
	}
	// The three lights share the reduction factor, so one set of
	// bilinear weights serves every plane of a cell.
	var ref *source
	for _, sc := range []*source{src.white, src.ir, src.uv} {
		if sc != nil {
			ref = sc
			break
		}
	}
	type tap struct {
		src *source
		dst []plane
	}
	var taps []tap
	if src.white != nil {
		taps = append(taps, tap{src.white, []plane{s.wr, s.wg, s.wb}})
	}
	if src.ir != nil {
		taps = append(taps, tap{src.ir, []plane{s.ir}})
	}
	if src.uv != nil {
		taps = append(taps, tap{src.uv, []plane{s.ur, s.ug, s.ub}})
	}
	for j := 0; j < h; j++ {
		v := (float64(j) + 0.5) * mm
		for i := 0; i < w; i++ {
			x, y := toImage.apply((float64(i)+0.5)*mm, v)
			k := j*w + i
			a, b, c, d, tx, ty := ref.weights(x, y)
			for _, t := range taps {
				if t.src.w != ref.w || t.src.h != ref.h {
					for ch, dst := range t.dst {
						dst[k] = t.src.sample(ch, x, y)
					}
					continue
				}
				for ch, dst := range t.dst {
					p := t.src.ch[ch]
					top := p[a]*(1-tx) + p[b]*tx
					bot := p[c]*(1-tx) + p[d]*tx
					dst[k] = top*(1-ty) + bot*ty
				}
			}
		}
	}
	// Mean resolution from the page's edges.
	x0, y0 := toImage.apply(0, 0)
	x1, y1 := toImage.apply(W, 0)
	x2, y2 := toImage.apply(0, H)
	s.pxPerMM = (math.Hypot(x1-x0, y1-y0)/W + math.Hypot(x2-x0, y2-y0)/H) / 2
	return s
}

// lumPlane returns the luminance of the white (or UV) planes.
func lumOf(r, g, b plane) plane {
	out := make(plane, len(r))
	for i := range out {
		out[i] = 0.299*r[i] + 0.587*g[i] + 0.114*b[i]
	}
	return out
}

// downsample2 averages 2x2 cells.
func downsample2(p plane, w, h int) (plane, int, int) {
	w2, h2 := w/2, h/2
	out := make(plane, w2*h2)
	for j := 0; j < h2; j++ {
		for i := 0; i < w2; i++ {
			a := (2*j)*w + 2*i
			out[j*w2+i] = (p[a] + p[a+1] + p[a+w] + p[a+w+1]) / 4
		}
	}
	return out, w2, h2
}

// cellRect converts a normalised page box to a cell rectangle of the
// sheet, clipped.
func (s *sheet) cellRect(b [4]float64) image.Rectangle {
	r := image.Rect(int(math.Floor(b[0]*float64(s.w))), int(math.Floor(b[1]*float64(s.h))),
		int(math.Ceil(b[2]*float64(s.w))), int(math.Ceil(b[3]*float64(s.h))))
	return r.Intersect(image.Rect(0, 0, s.w, s.h))
}

// imageRegion returns the bounding box in image pixels of a normalised
// page box.
func (s *sheet) imageRegion(b [4]float64, l devices.Light) image.Rectangle {
	W, H := float64(s.w)*s.mm, float64(s.h)*s.mm
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, c := range [4][2]float64{{b[0], b[1]}, {b[2], b[1]}, {b[2], b[3]}, {b[0], b[3]}} {
		x, y := s.toImage.apply(c[0]*W, c[1]*H)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	r := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY)))
	return r.Intersect(image.Rect(0, 0, s.imgW, s.imgH))
}

func sortFloat32(v []float32) { slices.Sort(v) }

// pageBox maps an outline in image pixels to a normalised page box (its
// bounding box, grown by 1 mm), or false when it falls outside the page.
func (s *sheet) pageBox(q [4]devices.Point) ([4]float64, bool) {
	W, H := float64(s.w)*s.mm, float64(s.h)*s.mm
	var img [4]pt
	for i, c := range [4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}} {
		x, y := s.toImage.apply(c.X, c.Y)
		img[i] = pt{x, y}
	}
	toPage, ok := solveHomography(img, [4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}})
	if !ok {
		return [4]float64{}, false
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range q {
		x, y := toPage.apply(p.X, p.Y)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	b := [4]float64{(minX - 1) / W, (minY - 1) / H, (maxX + 1) / W, (maxY + 1) / H}
	for i := range b {
		b[i] = math.Max(0, math.Min(1, b[i]))
	}
	if b[2]-b[0] < 0.2 || b[3]-b[1] < 0.02 {
		return [4]float64{}, false
	}
	return b, true
}
