package docauth

import (
	"cmp"
	"math"
	"slices"
)

// pt is a point in image pixels or page millimetres.
type pt struct{ X, Y float64 }

// homography is a 3x3 projective map, row-major, normalised so that h[8]
// is 1.
type homography [9]float64

func (h *homography) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// solveHomography returns the map taking the four points from onto the
// four points to, and false when the points are degenerate (three on a
// line).
func solveHomography(from, to [4]pt) (homography, bool) {
	var a [8][9]float64
	for i := 0; i < 4; i++ {
		x, y, u, v := from[i].X, from[i].Y, to[i].X, to[i].Y
		a[2*i] = [9]float64{x, y, 1, 0, 0, 0, -u * x, -u * y, u}
		a[2*i+1] = [9]float64{0, 0, 0, x, y, 1, -v * x, -v * y, v}
	}
	for col := 0; col < 8; col++ {
		p := col
		for r := col + 1; r < 8; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		if math.Abs(a[p][col]) < 1e-12 {
			return homography{}, false
		}
		a[col], a[p] = a[p], a[col]
		for r := 0; r < 8; r++ {
			if r == col {
				continue
			}
			f := a[r][col] / a[col][col]
			if f == 0 {
				continue
			}
			for k := col; k < 9; k++ {
				a[r][k] -= f * a[col][k]
			}
		}
	}
	var h homography
	for i := 0; i < 8; i++ {
		h[i] = a[i][8] / a[i][i]
	}
	h[8] = 1
	for _, v := range h {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return homography{}, false
		}
	}
	return h, true
}

// line is a x + b y = c with (a, b) a unit normal.
type line struct{ a, b, c float64 }

// fitLine fits a line to points by total least squares.
func fitLine(ps []pt) (line, bool) {
	if len(ps) < 2 {
		return line{}, false
	}
	var mx, my float64
	for _, p := range ps {
		mx += p.X
		my += p.Y
	}
	n := float64(len(ps))
	mx /= n
	my /= n
	var sxx, sxy, syy float64
	for _, p := range ps {
		dx, dy := p.X-mx, p.Y-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	// The normal is the eigenvector of the smaller eigenvalue of the
	// scatter matrix.
	theta := 0.5 * math.Atan2(2*sxy, sxx-syy) // direction of the line
	a, b := -math.Sin(theta), math.Cos(theta)
	return line{a, b, a*mx + b*my}, true
}

func (l line) dist(p pt) float64 { return l.a*p.X + l.b*p.Y - l.c }

func intersect(l, m line) (pt, bool) {
	det := l.a*m.b - l.b*m.a
	if math.Abs(det) < 1e-9 {
		return pt{}, false
	}
	return pt{(l.c*m.b - l.b*m.c) / det, (l.a*m.c - l.c*m.a) / det}, true
}

// convexHull returns the hull of ps counter-clockwise in image coordinates
// (Andrew's monotone chain); ps is sorted in place.
func convexHull(ps []pt) []pt {
	if len(ps) < 3 {
		return append([]pt(nil), ps...)
	}
	sortPts(ps)
	cross := func(o, a, b pt) float64 { return (a.X-o.X)*(b.Y-o.Y) - (a.Y-o.Y)*(b.X-o.X) }
	hull := make([]pt, 0, 2*len(ps))
	for _, p := range ps {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

func sortPts(ps []pt) {
	slices.SortFunc(ps, func(a, b pt) int {
		if c := cmp.Compare(a.X, b.X); c != 0 {
			return c
		}
		return cmp.Compare(a.Y, b.Y)
	})
}

func triArea(a, b, c pt) float64 {
	return math.Abs((b.X-a.X)*(c.Y-a.Y)-(b.Y-a.Y)*(c.X-a.X)) / 2
}

// maxQuad returns the four hull vertices spanning the largest
// quadrilateral, in hull order. For each diagonal (i, j) the best third
// and fourth vertices on either side move monotonically with j, so the
// search is quadratic.
func maxQuad(h []pt) ([4]pt, bool) {
	n := len(h)
	if n < 4 {
		return [4]pt{}, false
	}
	best := -1.0
	var out [4]pt
	for i := 0; i < n; i++ {
		k := i + 1 // between i and j
		l := i + 2 // between j and i (wrapping)
		for j := i + 2; j < n && j < i+n-1; j++ {
			if k <= i || k >= j {
				k = i + 1
			}
			for k+1 < j && triArea(h[i], h[(k+1)%n], h[j%n]) >= triArea(h[i], h[k%n], h[j%n]) {
				k++
			}
			if l <= j {
				l = j + 1
			}
			for l+1 < i+n && triArea(h[i], h[j%n], h[(l+1)%n]) >= triArea(h[i], h[j%n], h[l%n]) {
				l++
			}
			if l >= i+n {
				continue
			}
			a := triArea(h[i], h[k%n], h[j%n]) + triArea(h[i], h[j%n], h[l%n])
			if a > best {
				best = a
				out = [4]pt{h[i], h[k%n], h[j%n], h[l%n]}
			}
		}
	}
	return out, best > 0
}
