package docauth

import (
	"image"
	"math"

	"checkpost/devices"
)

// pageQuad is where the page lies in one side's images.
type pageQuad struct {
	// corners in pixels, clockwise on screen (y down), starting with the
	// corner that is the page's top-left when the top edge is one of the
	// long edges; orient picks among the rotations.
	corners [4]pt
	// cropped says the images show the page only (a document reader that
	// crops to the page): no background was seen around it.
	cropped bool
	// inView says every corner lies inside the image (with a small margin).
	inView bool
	// cell is the size in pixels of the cells the mask was built on.
	cell int
}

// lumImage gives the luminance of the side's white image (or the IR image
// when there is no white one) at full resolution.
type lumImage struct {
	rgba *image.RGBA
	gray *image.Gray
	w, h int
}

func newLumImage(s *devices.Side) (lumImage, bool) {
	switch {
	case s.White != nil:
		b := s.White.Bounds()
		return lumImage{rgba: s.White, w: b.Dx(), h: b.Dy()}, true
	case s.IR != nil:
		b := s.IR.Bounds()
		return lumImage{gray: s.IR, w: b.Dx(), h: b.Dy()}, true
	case s.UV != nil:
		b := s.UV.Bounds()
		return lumImage{rgba: s.UV, w: b.Dx(), h: b.Dy()}, true
	}
	return lumImage{}, false
}

func (l *lumImage) at(x, y int) float64 {
	if x < 0 {
		x = 0
	} else if x >= l.w {
		x = l.w - 1
	}
	if y < 0 {
		y = 0
	} else if y >= l.h {
		y = l.h - 1
	}
	if l.gray != nil {
		return float64(l.gray.Pix[y*l.gray.Stride+x])
	}
	p := l.rgba.Pix[y*l.rgba.Stride+4*x:]
	return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
}

// bilinear samples the luminance at a sub-pixel position (pixel centres at
// integer + 0.5).
func (l *lumImage) bilinear(x, y float64) float64 {
	fx, fy := x-0.5, y-0.5
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	tx, ty := fx-float64(x0), fy-float64(y0)
	return (l.at(x0, y0)*(1-tx)+l.at(x0+1, y0)*tx)*(1-ty) + (l.at(x0, y0+1)*(1-tx)+l.at(x0+1, y0+1)*tx)*ty
}

// pageCells is the number of mask cells along the image's longer side.
const pageCells = 320

// findPage locates the page in a side's images: a mask of bright,
// unsaturated cells (paper under white light, whatever the uneven
// illumination; skin, wood and the scanner's dark lid are not), its
// largest component with holes filled, the four strongest straight lines
// of its boundary (a Hough transform, peak by peak), each refitted by
// trimmed least squares and then on the strongest luminance step across
// it at full resolution. A thumb over an edge or a corner costs some
// boundary points, never a line.
func findPage(s *devices.Side) (pageQuad, bool) {
	li, ok := newLumImage(s)
	if !ok || li.w < 16 || li.h < 16 {
		return pageQuad{}, false
	}
	k := max(1, int(math.Ceil(float64(max(li.w, li.h))/pageCells)))
	gw, gh := li.w/k, li.h/k
	if gw < 8 || gh < 8 {
		return pageQuad{}, false
	}
	lum := make([]float32, gw*gh)
	lowSat := make([]bool, gw*gh)
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			var r, g, b float64
			for y := gy * k; y < gy*k+k; y++ {
				if li.gray != nil {
					row := li.gray.Pix[y*li.gray.Stride+gx*k:]
					for x := 0; x < k; x++ {
						v := float64(row[x])
						r += v
					}
					continue
				}
				row := li.rgba.Pix[y*li.rgba.Stride+4*gx*k:]
				for x := 0; x < k; x++ {
					r += float64(row[4*x])
					g += float64(row[4*x+1])
					b += float64(row[4*x+2])
				}
			}
			n := float64(k * k)
			i := gy*gw + gx
			if li.gray != nil {
				lum[i] = float32(r / n)
				lowSat[i] = true
				continue
			}
			r, g, b = r/n, g/n, b/n
			lum[i] = float32(0.299*r + 0.587*g + 0.114*b)
			mx := math.Max(r, math.Max(g, b))
			mn := math.Min(r, math.Min(g, b))
			lowSat[i] = mx > 0 && (mx-mn)/mx < 0.16
		}
	}
	// The scanner's lid is near black and paper, however unevenly lit,
	// stays well above it: Otsu's threshold, capped so that a dim corner
	// of the page (or a page with no background around it at all, whose
	// two classes are ink and paper) stays paper.
	thr := math.Min(otsu(lum, lowSat), 80)
	mask := make([]bool, gw*gh)
	for i := range mask {
		mask[i] = lowSat[i] && float64(lum[i]) >= thr
	}
	// A reader that crops to the page shows paper along the borders.
	border, paper := 0, 0
	for gx := 0; gx < gw; gx++ {
		for _, gy := range []int{0, gh - 1} {
			border++
			if mask[gy*gw+gx] {
				paper++
			}
		}
	}
	for gy := 1; gy < gh-1; gy++ {
		for _, gx := range []int{0, gw - 1} {
			border++
			if mask[gy*gw+gx] {
				paper++
			}
		}
	}
	W, H := float64(li.w), float64(li.h)
	if float64(paper) > 0.6*float64(border) || thr < 0 {
		return pageQuad{corners: [4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}}, cropped: true, inView: true, cell: k}, true
	}
	comp := largestComponent(mask, gw, gh)
	if comp == nil {
		return pageQuad{}, false
	}
	var bnd []pt
	for gy := 0; gy < gh; gy++ {
		for gx := 0; gx < gw; gx++ {
			i := gy*gw + gx
			if !comp[i] {
				continue
			}
			if gx == 0 || gy == 0 || gx == gw-1 || gy == gh-1 || !comp[i-1] || !comp[i+1] || !comp[i-gw] || !comp[i+gw] {
				bnd = append(bnd, pt{(float64(gx) + 0.5) * float64(k), (float64(gy) + 0.5) * float64(k)})
			}
		}
	}
	if len(bnd) < 16 {
		return pageQuad{}, false
	}
	cell := float64(k)
	// Cells for judging candidate quads: page (the component), dark
	// background (scanner lid), or neither (a desk, a thumb).
	class := make([]int8, gw*gh)
	for i := range class {
		switch {
		case comp[i]:
			class[i] = 1
		case float64(lum[i]) < thr:
			class[i] = -2
		default:
			class[i] = -1
		}
	}
	q, lines, ok := houghQuad(bnd, cell, li.w, li.h, class, gw, gh)
	if !ok {
		return pageQuad{}, false
	}
	for e := 0; e < 4; e++ {
		// Boundary cells lie inside the page: move the line half a cell out.
		l := outward(lines[e], q, 0.5*cell)
		lines[e] = refineEdge(&li, l, q, e, cell)
	}
	var corners [4]pt
	for i := 0; i < 4; i++ {
		c, ok := intersect(lines[(i+3)%4], lines[i])
		if !ok {
			return pageQuad{}, false
		}
		corners[i] = c
	}
	// Reject shapes far from a page: tiny or wildly non-convex.
	if math.Abs(shoelace(corners)) < 0.05*W*H {
		return pageQuad{}, false
	}
	// Corners far outside the image come from edges that are not the
	// page's (two nearly parallel lines meeting far away).
	for _, c := range corners {
		if c.X < -0.25*W || c.Y < -0.25*H || c.X > 1.25*W || c.Y > 1.25*H {
			return pageQuad{}, false
		}
	}
	pq := pageQuad{corners: corners, inView: true, cell: k}
	margin := -0.5 * cell
	for _, c := range corners {
		if c.X < margin || c.Y < margin || c.X > W-margin || c.Y > H-margin {
			pq.inView = false
		}
	}
	return pq, true
}

// houghQuad finds the page's four edges among the boundary points and
// returns the corners (clockwise on screen) and the edge lines (edge i
// runs from corner i to corner i+1).
func houghQuad(bnd []pt, cell float64, w, h int, class []int8, gw, gh int) ([4]pt, [4]line, bool) {
	const nTheta = 180
	diag := math.Hypot(float64(w), float64(h))
	nRho := int(2*diag/cell) + 2
	acc := make([]int32, nTheta*nRho)
	var cs, sn [nTheta]float64
	for t := 0; t < nTheta; t++ {
		cs[t], sn[t] = math.Cos(float64(t)*math.Pi/nTheta), math.Sin(float64(t)*math.Pi/nTheta)
	}
	pts := append([]pt(nil), bnd...)
	// Up to six candidate lines, strongest first; a thumb over a corner
	// hides part of two edges and its outline adds lines of its own, so
	// the page's four are chosen among them below.
	var found []line
	var votes []int
	for round := 0; round < 6; round++ {
		clear(acc)
		for _, p := range pts {
			for t := 0; t < nTheta; t++ {
				r := int((p.X*cs[t]+p.Y*sn[t]+diag)/cell + 0.5)
				acc[t*nRho+r]++
			}
		}
		best, bi := int32(0), 0
		for i, v := range acc {
			if v > best {
				best, bi = v, i
			}
		}
		if best < 8 {
			break
		}
		t, r := bi/nRho, bi%nRho
		l := line{cs[t], sn[t], float64(r)*cell - diag}
		l = trimmedFit(pts, l, 1.5*cell)
		kept := pts[:0]
		n := 0
		for _, p := range pts {
			if math.Abs(l.dist(p)) >= 2*cell {
				kept = append(kept, p)
			} else {
				n++
			}
		}
		pts = kept
		found = append(found, l)
		votes = append(votes, n)
	}
	if len(found) < 4 {
		return [4]pt{}, [4]line{}, false
	}
	angle := func(l line) float64 { return math.Mod(math.Atan2(l.b, l.a)+2*math.Pi, math.Pi) }
	diff := func(a, b float64) float64 {
		d := math.Abs(a - b)
		return math.Min(d, math.Pi-d)
	}
	// The page's edges: two families of near-parallel lines (a phone's
	// perspective tilts opposite edges by up to 40 degrees) across each
	// other. Among the sets of four that qualify, the quad that best
	// covers the page's cells wins: each page cell inside counts 1, each
	// cell of dark background inside -1, anything else inside (a thumb
	// over the edge, a desk) -1/10; so a thumb's outline, which cuts off
	// page, loses to the true edge beyond the thumb.
	bestScore := math.Inf(-1)
	var a1, a2, b1, b2 line
	n := len(found)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			for k := 0; k < n; k++ {
				for m := k + 1; m < n; m++ {
					if k == i || k == j || m == i || m == j || k < i {
						continue
					}
					wa, wb := diff(angle(found[i]), angle(found[j])), diff(angle(found[k]), angle(found[m]))
					if wa > 2*math.Pi/9 || wb > 2*math.Pi/9 {
						continue
					}
					if across := diff(angle(found[i]), angle(found[k])); across < 2*math.Pi/9 || across < math.Max(wa, wb) {
						continue
					}
					q, ok := quadOf(found[i], found[j], found[k], found[m])
					if !ok {
						continue
					}
					if sc := coverScore(q, class, gw, gh, cell); sc > bestScore {
						bestScore = sc
						a1, a2, b1, b2 = found[i], found[j], found[k], found[m]
					}
				}
			}
		}
	}
	if math.IsInf(bestScore, -1) {
		return [4]pt{}, [4]line{}, false
	}
	cs4, ok := quadOf(a1, a2, b1, b2)
	if !ok {
		return [4]pt{}, [4]line{}, false
	}
	var lines [4]line
	for e := 0; e < 4; e++ {
		l, ok := lineThrough(cs4[e], cs4[(e+1)%4])
		if !ok {
			return [4]pt{}, [4]line{}, false
		}
		// Take the fitted line of this edge (the one closest to both ends).
		bestL, bestE := l, math.Inf(1)
		for _, f := range [4]line{a1, a2, b1, b2} {
			if e := math.Abs(f.dist(cs4[e])) + math.Abs(f.dist(cs4[(e+1)%4])); e < bestE {
				bestL, bestE = f, e
			}
		}
		lines[e] = bestL
	}
	return cs4, lines, true
}

// quadOf intersects two pairs of lines into a quad, clockwise on screen.
func quadOf(a1, a2, b1, b2 line) ([4]pt, bool) {
	var q [4]pt
	for i, ab := range [4][2]line{{a1, b1}, {a1, b2}, {a2, b2}, {a2, b1}} {
		c, ok := intersect(ab[0], ab[1])
		if !ok {
			return q, false
		}
		q[i] = c
	}
	if shoelace(q) < 0 {
		q[1], q[3] = q[3], q[1]
	}
	return q, true
}

// coverScore scores a candidate page quad on every other mask cell (see
// houghQuad).
func coverScore(q [4]pt, class []int8, gw, gh int, cell float64) float64 {
	var e [4][3]float64 // edge half-planes: a x + b y + c >= 0 inside
	for i := 0; i < 4; i++ {
		p, r := q[i], q[(i+1)%4]
		// Clockwise on screen (y down): inside is to the right of p->r.
		e[i] = [3]float64{-(r.Y - p.Y), r.X - p.X, (r.Y-p.Y)*p.X - (r.X-p.X)*p.Y}
	}
	score := 0.0
	for gy := 0; gy < gh; gy += 2 {
		y := (float64(gy) + 0.5) * cell
		for gx := 0; gx < gw; gx += 2 {
			x := (float64(gx) + 0.5) * cell
			in := true
			for _, h := range e {
				if h[0]*x+h[1]*y+h[2] < 0 {
					in = false
					break
				}
			}
			if !in {
				continue
			}
			switch class[gy*gw+gx] {
			case 1:
				score++
			case -2:
				score--
			default:
				score -= 0.1
			}
		}
	}
	return score
}

func shoelace(q [4]pt) float64 {
	s := 0.0
	for i := 0; i < 4; i++ {
		a, b := q[i], q[(i+1)%4]
		s += a.X*b.Y - b.X*a.Y
	}
	return s / 2
}

func lineThrough(a, b pt) (line, bool) {
	dx, dy := b.X-a.X, b.Y-a.Y
	n := math.Hypot(dx, dy)
	if n == 0 {
		return line{}, false
	}
	nx, ny := -dy/n, dx/n
	return line{nx, ny, nx*a.X + ny*a.Y}, true
}

// between reports whether p projects onto segment ab away from its ends by
// at least frac of its length.
func between(p, a, b pt, frac float64) bool {
	dx, dy := b.X-a.X, b.Y-a.Y
	t := ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / (dx*dx + dy*dy)
	return t > frac && t < 1-frac
}

// trimmedFit refits l on the points within tol of it, twice.
func trimmedFit(ps []pt, l line, tol float64) line {
	for it := 0; it < 3; it++ {
		var in []pt
		for _, p := range ps {
			if math.Abs(l.dist(p)) < tol*(1+float64(2-it)) {
				in = append(in, p)
			}
		}
		if nl, ok := fitLine(in); ok && len(in) >= 8 {
			l = nl
		}
	}
	return l
}

// outward moves l by d away from the quad's centre.
func outward(l line, q [4]pt, d float64) line {
	cx := (q[0].X + q[1].X + q[2].X + q[3].X) / 4
	cy := (q[0].Y + q[1].Y + q[2].Y + q[3].Y) / 4
	if l.dist(pt{cx, cy}) > 0 {
		l = line{-l.a, -l.b, -l.c}
	}
	// The centre is now on the negative side.
	return line{l.a, l.b, l.c + d}
}

// refineEdge moves each of a few dozen points of the edge to the
// strongest luminance step along the normal (paper brighter inside), and
// refits the line on them.
func refineEdge(li *lumImage, l line, q [4]pt, e int, cell float64) line {
	a, b := q[e], q[(e+1)%4]
	// Endpoints of the edge on the refitted line.
	pa := project(l, a)
	pb := project(l, b)
	const samples = 48
	r := int(math.Ceil(1.5 * cell))
	var ps []pt
	for s := 1; s < samples; s++ {
		t := float64(s) / samples
		if t < 0.06 || t > 0.94 {
			continue
		}
		px, py := pa.X+(pb.X-pa.X)*t, pa.Y+(pb.Y-pa.Y)*t
		// l's normal points out of the page.
		best, bestT := 0.0, 0.0
		prev := li.bilinear(px+float64(-r-1)*l.a, py+float64(-r-1)*l.b)
		for d := -r; d <= r; d++ {
			v := li.bilinear(px+float64(d)*l.a, py+float64(d)*l.b)
			step := prev - v // inside (smaller d) brighter than outside
			if step > best {
				best, bestT = step, float64(d)-0.5
			}
			prev = v
		}
		if best > 12 {
			ps = append(ps, pt{px + bestT*l.a, py + bestT*l.b})
		}
	}
	if len(ps) < samples/4 {
		return l
	}
	return trimmedFit(ps, l, 1.0)
}

func project(l line, p pt) pt {
	d := l.dist(p)
	return pt{p.X - d*l.a, p.Y - d*l.b}
}

// otsu returns the threshold separating the luminances of the cells where
// use is true into two classes, or -1 when there is no dark class (every
// cell is bright paper or ink on it).
func otsu(lum []float32, use []bool) float64 {
	var hist [256]float64
	n := 0.0
	for i, v := range lum {
		if use[i] {
			hist[min(255, max(0, int(v)))]++
			n++
		}
	}
	if n == 0 {
		return -1
	}
	sum := 0.0
	for i, c := range hist {
		sum += float64(i) * c
	}
	var wB, sumB, best float64
	thr := 0
	for t := 0; t < 256; t++ {
		wB += hist[t]
		if wB == 0 {
			continue
		}
		wF := n - wB
		if wF == 0 {
			break
		}
		sumB += float64(t) * hist[t]
		mB, mF := sumB/wB, (sum-sumB)/wF
		if v := wB * wF * (mB - mF) * (mB - mF); v > best {
			best, thr = v, t
		}
	}
	return float64(thr) + 0.5
}

// largestComponent returns the largest 4-connected component of mask with
// its holes filled, or nil when the mask is empty.
func largestComponent(mask []bool, w, h int) []bool {
	label := make([]int32, w*h)
	queue := make([]int32, 0, 1024)
	bestLabel, bestSize := int32(0), 0
	next := int32(0)
	for i := range mask {
		if !mask[i] || label[i] != 0 {
			continue
		}
		next++
		label[i] = next
		queue = append(queue[:0], int32(i))
		size := 0
		for len(queue) > 0 {
			j := int(queue[len(queue)-1])
			queue = queue[:len(queue)-1]
			size++
			x, y := j%w, j/w
			for _, nb := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if nb[0] < 0 || nb[1] < 0 || nb[0] >= w || nb[1] >= h {
					continue
				}
				k := nb[1]*w + nb[0]
				if mask[k] && label[k] == 0 {
					label[k] = next
					queue = append(queue, int32(k))
				}
			}
		}
		if size > bestSize {
			bestSize, bestLabel = size, next
		}
	}
	if bestSize == 0 {
		return nil
	}
	// Fill holes: flood the outside from the border through cells not in
	// the component; what it does not reach is inside.
	outside := make([]bool, w*h)
	queue = queue[:0]
	push := func(k int) {
		if label[k] != bestLabel && !outside[k] {
			outside[k] = true
			queue = append(queue, int32(k))
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
	for len(queue) > 0 {
		j := int(queue[len(queue)-1])
		queue = queue[:len(queue)-1]
		x, y := j%w, j/w
		if x > 0 {
			push(j - 1)
		}
		if x < w-1 {
			push(j + 1)
		}
		if y > 0 {
			push(j - w)
		}
		if y < h-1 {
			push(j + w)
		}
	}
	comp := make([]bool, w*h)
	for i := range comp {
		comp[i] = !outside[i]
	}
	return comp
}
