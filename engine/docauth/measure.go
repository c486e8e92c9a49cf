package docauth

import (
	"image"
	"math"

	"checkpost/devices"
)

// analysis is one side rectified, with what every check needs: luminance
// planes, the local paper level under white and IR light (so that uneven
// illumination cancels out of every relative measure), and the cells no
// check may trust (glare, a thumb).
type analysis struct {
	s      *sheet
	wl, ul plane // white and UV luminance (nil without the light)
	bgW    plane // local paper level, white
	bgIR   plane // local paper level, IR
	bgUV   plane // local paper level, UV
	bad    []bool
	// core is bad without the thumb's grown rim: glare, and the skin
	// itself (nil without the white light).
	core []bool
	// badFrac is the fraction of the page's cells that are bad.
	badFrac float64
	glare   float64 // fraction of cells in glare
}

// bgBlock is the block size, in cells, of the paper level estimate (4 mm).
const bgBlock = 16

func analyse(s *sheet) *analysis {
	a := &analysis{s: s}
	n := s.w * s.h
	if s.hasWhite() {
		a.wl = lumOf(s.wr, s.wg, s.wb)
		a.bgW = paperLevel(a.wl, s.w, s.h)
	}
	if s.hasIR() {
		a.bgIR = paperLevel(s.ir, s.w, s.h)
	}
	if s.hasUV() {
		a.ul = lumOf(s.ur, s.ug, s.ub)
		a.bgUV = paperLevel(a.ul, s.w, s.h)
	}
	a.bad = make([]bool, n)
	skin := make([]bool, n)
	if a.wl != nil {
		nb, ng := 0, 0
		for i := 0; i < n; i++ {
			r, g, b := s.wr[i], s.wg[i], s.wb[i]
			l := a.wl[i]
			if l >= 253 {
				a.bad[i] = true // glare: washed out
				ng++
			}
			// Skin over the page: a warm tone (r > g > b) that neither
			// paper nor the dark inks have; where the tone is less
			// marked (a nail, a dim corner), darker under UV than the
			// dull paper around it as well.
			mx := max(r, g, b)
			if mx > 40 && l < 242 && r >= g && g >= b {
				strict := (r-b) > 0.25*mx && (g-b) > 0.05*mx
				relaxed := (r-b) > 0.15*mx && (g-b) > 0.03*mx && a.ul != nil && a.ul[i] < 0.75*a.bgUV[i]
				skin[i] = strict || relaxed
			}
			if a.bad[i] {
				nb++
			}
		}
		// A thumb enters from the page's edge; the portrait's skin does
		// not reach it. The thumb's rim and shadow blend with the page:
		// grow its mask by 1 mm.
		skinned := fillHoles(touchingBorder(skin, s.w, s.h, int(2/s.mm)), s.w, s.h)
		thumb := dilate(skinned, s.w, s.h, 4)
		a.core = make([]bool, n)
		for i, t := range thumb {
			a.core[i] = a.bad[i] || skinned[i]
			a.bad[i] = a.bad[i] || t
		}
		nb = 0
		for _, b := range a.bad {
			if b {
				nb++
			}
		}
		a.badFrac = float64(nb) / float64(n)
		a.glare = float64(ng) / float64(n)
	}
	return a
}

// paperLevel estimates the local paper level of a plane: the 90th
// percentile of each 4 mm block (a block far darker than its brightest
// neighbour takes that neighbour's), interpolated back to cells.
func paperLevel(p plane, w, h int) plane {
	bw, bh := (w+bgBlock-1)/bgBlock, (h+bgBlock-1)/bgBlock
	lev := make([]float32, bw*bh)
	var hist [256]int32
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			clear(hist[:])
			cnt := 0
			for y := by * bgBlock; y < min(h, by*bgBlock+bgBlock); y++ {
				for x := bx * bgBlock; x < min(w, bx*bgBlock+bgBlock); x++ {
					v := int(p[y*w+x])
					hist[min(255, max(0, v))]++
					cnt++
				}
			}
			target := int32(cnt * 9 / 10)
			acc := int32(0)
			v := 0
			for ; v < 255; v++ {
				acc += hist[v]
				if acc > target {
					break
				}
			}
			lev[by*bw+bx] = float32(v)
		}
	}
	// A block without paper (inside the portrait, under a thumb) takes
	// its brightest neighbour's level; elsewhere the block's own level
	// stands, so that a smooth gradient of light is followed, not
	// overestimated.
	mx := make([]float32, len(lev))
	for by := 0; by < bh; by++ {
		for bx := 0; bx < bw; bx++ {
			m := float32(0)
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := bx+dx, by+dy
					if x >= 0 && y >= 0 && x < bw && y < bh {
						m = max(m, lev[y*bw+x])
					}
				}
			}
			own := lev[by*bw+bx]
			if own < 0.8*m {
				own = m
			}
			mx[by*bw+bx] = own
		}
	}
	out := make(plane, w*h)
	for y := 0; y < h; y++ {
		fy := (float32(y)+0.5)/bgBlock - 0.5
		y0 := int(math.Floor(float64(fy)))
		ty := fy - float32(y0)
		y0c, y1c := clampi(y0, 0, bh-1), clampi(y0+1, 0, bh-1)
		for x := 0; x < w; x++ {
			fx := (float32(x)+0.5)/bgBlock - 0.5
			x0 := int(math.Floor(float64(fx)))
			tx := fx - float32(x0)
			x0c, x1c := clampi(x0, 0, bw-1), clampi(x0+1, 0, bw-1)
			a := mx[y0c*bw+x0c]*(1-tx) + mx[y0c*bw+x1c]*tx
			b := mx[y1c*bw+x0c]*(1-tx) + mx[y1c*bw+x1c]*tx
			v := a*(1-ty) + b*ty
			out[y*w+x] = max(v, 1)
		}
	}
	return out
}

// contrast returns 1 - v/bg: 0 on paper, near 1 on black ink.
func contrast(v, bg float32) float32 {
	c := 1 - v/bg
	if c < 0 {
		return 0
	}
	return c
}

// paperRatio is the paper's UV response relative to its white response:
// the median of UV/white luminance over cells bright in white (no ink),
// where neither glare nor a thumb is.
func (a *analysis) paperRatio(r image.Rectangle) (float64, int) {
	if a.wl == nil || a.ul == nil {
		return 0, 0
	}
	s := a.s
	vals := make([]float32, 0, r.Dx()*r.Dy()/2)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*s.w + x
			if a.bad[i] || a.wl[i] < 0.88*a.bgW[i] || a.wl[i] < 20 {
				continue
			}
			vals = append(vals, a.ul[i]/a.wl[i])
		}
	}
	if len(vals) < 50 {
		return 0, len(vals)
	}
	return float64(median(vals)), len(vals)
}

// median returns the upper median of v (reordering v).
func median(v []float32) float32 { return nth(v, len(v)/2) }

// nth returns the k-th smallest value of v, reordering v (Hoare's
// selection: linear time, where sorting a page of cells was the hot spot).
func nth(v []float32, k int) float32 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		p := v[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// absorption compares the IR contrast of ink with its white contrast over
// cells of r whose white contrast exceeds minC: about 1 for B900 inks
// (dark in both), about 0 for inks that vanish under IR. It returns the
// ratio and the number of ink cells (0 when there is too little ink to
// judge).
func (a *analysis) absorption(r image.Rectangle, mask func(i int) bool) (float64, int) {
	if a.wl == nil || a.s.ir == nil {
		return 0, 0
	}
	s := a.s
	var sumIR, sumW float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*s.w + x
			if a.bad[i] || (mask != nil && !mask(i)) {
				continue
			}
			cw := contrast(a.wl[i], a.bgW[i])
			if cw < 0.3 {
				continue
			}
			sumW += float64(cw)
			sumIR += float64(contrast(s.ir[i], a.bgIR[i]))
			n++
		}
	}
	if n < 20 || sumW == 0 {
		return 0, n
	}
	return sumIR / sumW, n
}

// fibres counts the cells of r where a fibre glows under UV: a saturated
// colour well above the local paper level. It returns fibre cells per
// square centimetre of usable area.
func (a *analysis) fibres(r image.Rectangle, skip []image.Rectangle) (float64, int) {
	s := a.s
	if a.ul == nil {
		return 0, 0
	}
	fib, area := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
	cells:
		for x := r.Min.X; x < r.Max.X; x++ {
			for _, k := range skip {
				if (image.Point{x, y}).In(k) {
					continue cells
				}
			}
			i := y*s.w + x
			if a.bad[i] {
				continue
			}
			area++
			rr, gg, bb := s.ur[i], s.ug[i], s.ub[i]
			mx, mn := max(rr, gg, bb), min(rr, gg, bb)
			if mx-mn > 35 && mx > a.bgUV[i]+35 {
				fib++
			}
		}
	}
	cm2 := float64(area) * s.mm * s.mm / 100
	if cm2 < 1 {
		return 0, area
	}
	return float64(fib) / cm2, area
}

// sharpness is the mean of the strongest 5% of white-light gradients in
// r, relative to the local paper level: sharp print has steps near 1 per
// cell, blur spreads them.
func (a *analysis) sharpness(r image.Rectangle) float64 {
	if a.wl == nil {
		return 0
	}
	s := a.s
	var g []float32
	for y := max(r.Min.Y, 1); y < min(r.Max.Y, s.h-1); y++ {
		for x := max(r.Min.X, 1); x < min(r.Max.X, s.w-1); x++ {
			i := y*s.w + x
			if a.bad[i] {
				continue
			}
			gx := a.wl[i+1] - a.wl[i-1]
			gy := a.wl[i+s.w] - a.wl[i-s.w]
			g = append(g, float32(math.Sqrt(float64(gx*gx+gy*gy)))/(2*a.bgW[i]))
		}
	}
	if len(g) < 100 {
		return 0
	}
	k := len(g) * 95 / 100
	nth(g, k)
	top := g[k:]
	sum := float32(0)
	for _, v := range top {
		sum += v
	}
	return float64(sum) / float64(len(top))
}

// blockiness detects JPEG compression: the mean step between pixel
// columns 8k-1 and 8k (the borders of JPEG's 8x8 blocks) over the mean step
// elsewhere, on every fourth row of the white (else any) image. About 1
// for an uncompressed image; well above it when coarse quantisation made
// the blocks visible (and erased fine detail such as fibres).
func blockiness(side *devices.Side) float64 {
	var im image.Image
	for _, l := range []devices.Light{devices.White, devices.UV, devices.IR} {
		if m := side.Image(l); m != nil {
			im = m
			break
		}
	}
	if im == nil {
		return 1
	}
	b := im.Bounds()
	var on, off float64
	var nOn, nOff int
	switch m := im.(type) {
	case *image.RGBA:
		for y := b.Min.Y; y < b.Max.Y; y += 4 {
			p := m.Pix[(y-b.Min.Y)*m.Stride:]
			for x := 1; x < b.Dx(); x++ {
				d := math.Abs(float64(p[4*x+1]) - float64(p[4*x-3]))
				if x%8 == 0 {
					on += d
					nOn++
				} else {
					off += d
					nOff++
				}
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y += 4 {
			p := m.Pix[(y-b.Min.Y)*m.Stride:]
			for x := 1; x < b.Dx(); x++ {
				d := math.Abs(float64(p[x]) - float64(p[x-1]))
				if x%8 == 0 {
					on += d
					nOn++
				} else {
					off += d
					nOff++
				}
			}
		}
	default:
		return 1
	}
	if nOn == 0 || off == 0 {
		return 1
	}
	return (on / float64(nOn)) / (off / float64(nOff))
}

// dilate grows a mask by r cells (a square), in two separable passes.
func dilate(m []bool, w, h, r int) []bool {
	tmp := make([]bool, len(m))
	for y := 0; y < h; y++ {
		last := -1 << 30 // last set cell at or left of x+r
		row := m[y*w : y*w+w]
		for k := 0; k < min(r, w); k++ {
			if row[k] {
				last = k
			}
		}
		for x := 0; x < w; x++ {
			if x+r < w && row[x+r] {
				last = x + r
			}
			if last >= x-r && last >= 0 {
				tmp[y*w+x] = true
			}
		}
	}
	out := make([]bool, len(m))
	for x := 0; x < w; x++ {
		last := -1 << 30
		for k := 0; k < min(r, h); k++ {
			if tmp[k*w+x] {
				last = k
			}
		}
		for y := 0; y < h; y++ {
			if y+r < h && tmp[(y+r)*w+x] {
				last = y + r
			}
			if last >= y-r && last >= 0 {
				out[y*w+x] = true
			}
		}
	}
	return out
}

// touchingBorder keeps the 4-connected components of m that come within
// margin cells of the grid's border.
func touchingBorder(m []bool, w, h, margin int) []bool {
	out := make([]bool, len(m))
	var stack []int
	for i, v := range m {
		x, y := i%w, i/w
		if !v || out[i] || (x >= margin && y >= margin && x < w-margin && y < h-margin) {
			continue
		}
		out[i] = true
		stack = append(stack[:0], i)
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			jx := j % w
			for _, k := range [4]int{j - 1, j + 1, j - w, j + w} {
				if k < 0 || k >= len(m) || (k == j-1 && jx == 0) || (k == j+1 && jx == w-1) {
					continue
				}
				if m[k] && !out[k] {
					out[k] = true
					stack = append(stack, k)
				}
			}
		}
	}
	return out
}

// portraitEdge looks for the cut edge of a photo pasted over the portrait:
// a thin straight line (the shadow under the photo's edge, or its light
// rim) running along a side of the portrait zone, just outside it. For
// each side and each offset up to 2 mm out, the white contrast averaged
// along the side's middle 80% is compared with the lines 0.5 mm either
// side: a ridge stands above (or below) both. The largest ridge over the
// four sides is returned; a genuine portrait fades into the page without
// one.
func (a *analysis) portraitEdge(r image.Rectangle) (float64, bool) {
	s := a.s
	if a.wl == nil || r.Dx() < 20 || r.Dy() < 20 {
		return 0, false
	}
	cellsPerMM := 1 / s.mm
	in, out := 0, int(2*cellsPerMM)
	gap := max(1, int(0.5*cellsPerMM))
	best := 0.0
	// line returns the mean contrast along the side at offset d (positive
	// outwards), or false when it leaves the page or crosses bad cells.
	for side := 0; side < 4; side++ {
		line := func(d int) (float64, bool) {
			var sum float64
			n, bad := 0, 0
			var x0, y0, dx, dy, length int
			switch side {
			case 0: // top
				x0, y0, dx, dy, length = r.Min.X, r.Min.Y-d, 1, 0, r.Dx()
			case 1: // right
				x0, y0, dx, dy, length = r.Max.X-1+d, r.Min.Y, 0, 1, r.Dy()
			case 2: // bottom
				x0, y0, dx, dy, length = r.Min.X, r.Max.Y-1+d, 1, 0, r.Dx()
			default: // left
				x0, y0, dx, dy, length = r.Min.X-d, r.Min.Y, 0, 1, r.Dy()
			}
			for t := length / 10; t < length*9/10; t++ {
				x, y := x0+dx*t, y0+dy*t
				if x < 0 || y < 0 || x >= s.w || y >= s.h {
					return 0, false
				}
				i := y*s.w + x
				if a.bad[i] {
					bad++
					continue
				}
				sum += float64(1 - a.wl[i]/a.bgW[i])
				n++
			}
			if n < 20 || bad > n/3 {
				return 0, false
			}
			return sum / float64(n), true
		}
		for d := -in; d <= out; d++ {
			c, ok1 := line(d)
			p, ok2 := line(d - gap)
			q, ok3 := line(d + gap)
			if !ok1 || !ok2 || !ok3 {
				continue
			}
			// A ridge stands above (or below) both neighbours; a step
			// (the portrait's own border) does not.
			best = math.Max(best, math.Max(math.Min(c-p, c-q), math.Min(p-c, q-c)))
		}
	}
	return best, true
}

// fillHoles adds to m the cells it encloses (not reachable from the grid's
// border without crossing m).
func fillHoles(m []bool, w, h int) []bool {
	outside := make([]bool, len(m))
	var stack []int
	push := func(k int) {
		if !m[k] && !outside[k] {
			outside[k] = true
			stack = append(stack, k)
		}
	}
	for x := 0; x < w; x++ {
		push(x)
		push((h-1)*w + x)
	}
	for y := 0; y < h; y++ {
		push(y * w)
		push(y*w + w - 1)
	}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		x := j % w
		if x > 0 {
			push(j - 1)
		}
		if x < w-1 {
			push(j + 1)
		}
		if j >= w {
			push(j - w)
		}
		if j+w < len(m) {
			push(j + w)
		}
	}
	out := make([]bool, len(m))
	for i := range m {
		out[i] = !outside[i]
	}
	return out
}
