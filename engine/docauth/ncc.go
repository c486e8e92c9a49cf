package docauth

import (
	"image"
	"math"
)

// TemplateMM is the cell size of the profile's templates and of the
// pattern comparisons (0.5 mm: the overprint's finest waves are 1.8 mm
// apart).
const TemplateMM = 0.5

// grid is a plane at TemplateMM with its size.
type grid struct {
	w, h int
	p    plane
	// bad marks cells not to compare (glare, a thumb); may be nil.
	bad []bool
}

// half reduces a sheet plane (CellMM) to the template grid.
func (a *analysis) half(p plane) grid {
	s := a.s
	q, w2, h2 := downsample2(p, s.w, s.h)
	bad := make([]bool, w2*h2)
	for j := 0; j < h2; j++ {
		for i := 0; i < w2; i++ {
			k := 2*j*s.w + 2*i
			bad[j*w2+i] = a.bad[k] || a.bad[k+1] || a.bad[k+s.w] || a.bad[k+s.w+1]
		}
	}
	return grid{w: w2, h: h2, p: q, bad: bad}
}

// ncc returns the normalised cross-correlation of g and template t (same
// grid) over the cells of r, g shifted by (dx, dy), skipping bad cells and
// cells where use is false (when use is not nil). n is the number of cells
// compared.
func ncc(g grid, t []float32, tw int, r image.Rectangle, dx, dy int, use []bool) (float64, int) {
	var sa, sb, saa, sbb, sab float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		yy := y + dy
		if yy < 0 || yy >= g.h {
			continue
		}
		for x := r.Min.X; x < r.Max.X; x++ {
			xx := x + dx
			if xx < 0 || xx >= g.w {
				continue
			}
			k := yy*g.w + xx
			if g.bad != nil && g.bad[k] {
				continue
			}
			if use != nil && !use[y*tw+x] {
				continue
			}
			a := float64(g.p[k])
			b := float64(t[y*tw+x])
			sa += a
			sb += b
			saa += a * a
			sbb += b * b
			sab += a * b
			n++
		}
	}
	if n < 16 {
		return 0, n
	}
	fn := float64(n)
	va := saa - sa*sa/fn
	vb := sbb - sb*sb/fn
	if va <= 1e-6*fn || vb <= 1e-6*fn {
		return 0, n
	}
	return (sab - sa*sb/fn) / math.Sqrt(va*vb), n
}

// bestNCC searches shifts up to ±s cells for the highest correlation.
func bestNCC(g grid, t []float32, tw int, r image.Rectangle, s int, use []bool) (best float64, bdx, bdy, n int) {
	best = -2
	for dy := -s; dy <= s; dy++ {
		for dx := -s; dx <= s; dx++ {
			v, m := ncc(g, t, tw, r, dx, dy, use)
			if v > best {
				best, bdx, bdy, n = v, dx, dy, m
			}
		}
	}
	return best, bdx, bdy, n
}

// tileNCC averages the correlation of g with t over tiles of size ts
// cells that hold enough usable, textured cells: a local comparison that
// uneven lighting does not disturb.
func tileNCC(g grid, t []float32, tw int, use []bool, ts int) (float64, int) {
	var sum float64
	n := 0
	for y0 := 0; y0+ts <= g.h; y0 += ts {
		for x0 := 0; x0+ts <= g.w; x0 += ts {
			r := image.Rect(x0, y0, x0+ts, y0+ts)
			v, _, _, m := bestNCC(g, t, tw, r, 1, use)
			if m < ts*ts/3 || v == 0 {
				continue
			}
			sum += v
			n++
		}
	}
	if n == 0 {
		return 0, 0
	}
	return sum / float64(n), n
}

// highPass subtracts from p its mean over a (2r+1)² box: what remains is
// the fine pattern, without the smooth swell of a glare spot or of uneven
// light, which would otherwise correlate with a pattern's overall shape.
func highPass(p plane, w, h, r int) plane {
	// Integral image with a zero row and column in front.
	iw := w + 1
	sum := make([]float64, iw*(h+1))
	for y := 0; y < h; y++ {
		row := 0.0
		for x := 0; x < w; x++ {
			row += float64(p[y*w+x])
			sum[(y+1)*iw+x+1] = sum[y*iw+x+1] + row
		}
	}
	out := make(plane, w*h)
	for y := 0; y < h; y++ {
		y0, y1 := max(0, y-r), min(h, y+r+1)
		for x := 0; x < w; x++ {
			x0, x1 := max(0, x-r), min(w, x+r+1)
			s := sum[y1*iw+x1] - sum[y0*iw+x1] - sum[y1*iw+x0] + sum[y0*iw+x0]
			out[y*w+x] = p[y*w+x] - float32(s/float64((y1-y0)*(x1-x0)))
		}
	}
	return out
}
