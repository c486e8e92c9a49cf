package ocr

import (
	"image"
	"math"
	"slices"
	"sort"
	"unsafe"

	"gocv.io/x/gocv"
)

// The locator finds the MRZ as a few parallel rows of equally spaced,
// equally sized dark components: OCR-B at a fixed 10 characters per inch
// makes a pattern that printed text in proportional fonts, guilloches and
// photos do not. It works on connected components, so it sees the zone at
// any rotation, and follows each row step by step, so that the pitch may
// change along it (perspective).

// workMaxSide is the longer side of the image the locator works on: large
// enough that the characters of a zone filling a fifth of a phone photo
// keep 8 pixels, small enough to threshold and label a page in a few
// milliseconds.
const workMaxSide = 1280

// blob is one connected component of the binarised work image.
type blob struct {
	x, y   float64 // centroid
	box    image.Rectangle
	size   float64 // the longer side of the box
	area   int
	inLine bool
}

// row is a chain of blobs at a regular pitch: one line of a zone (or a
// piece of one).
type row struct {
	members []int
	// u is the unit direction along the row, n its normal; the row's
	// centre line is {p : p·n = off}.
	ux, uy, nx, ny float64
	off            float64
	// t0, t1 are the first and last character centres along u.
	t0, t1 float64
	pitch  float64
	size   float64 // median blob size
	cells  int
}

// zoneGeom is a located zone in work-image pixels.
type zoneGeom struct {
	rows  []*row // top to bottom in the frame u, n
	pitch float64
	score float64
}

type locator struct {
	blobs []blob
	// grid buckets blob indices by centroid for neighbour searches.
	grid    [][]int32
	gw, gh  int
	cell    float64
	labels  []int32
	lw, lh  int
	scratch []int
}

// binarise thresholds the work image: ink (darker than its neighbourhood)
// is 255. blockFor is the side of the neighbourhood.
func binarise(work gocv.Mat, block int, c float32) gocv.Mat {
	bin := gocv.NewMat()
	gocv.AdaptiveThreshold(work, &bin, 255, gocv.AdaptiveThresholdMean, gocv.ThresholdBinaryInv, block, c)
	return bin
}

// components labels bin and fills l.blobs with the plausible character
// components.
func (l *locator) components(bin gocv.Mat) error {
	labels, stats, cents := gocv.NewMat(), gocv.NewMat(), gocv.NewMat()
	defer labels.Close()
	defer stats.Close()
	defer cents.Close()
	n := gocv.ConnectedComponentsWithStats(bin, &labels, &stats, &cents)
	sb, err := stats.DataPtrUint8()
	if err != nil {
		return err
	}
	cb, err := cents.DataPtrFloat64()
	if err != nil {
		return err
	}
	lb, err := labels.DataPtrUint8()
	if err != nil {
		return err
	}
	st := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(sb))), len(sb)/4)
	lab := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(lb))), len(lb)/4)
	l.lw, l.lh = labels.Cols(), labels.Rows()
	l.labels = append(l.labels[:0], lab...)
	l.blobs = l.blobs[:0]
	// labelToBlob maps a label to its blob index (-1 when filtered out):
	// stored back into labels so that lookups by pixel find blobs.
	remap := make([]int32, n)
	for i := 1; i < n; i++ {
		x, y, w, h, a := int(st[i*5]), int(st[i*5+1]), int(st[i*5+2]), int(st[i*5+3]), int(st[i*5+4])
		remap[i] = -1
		size := float64(max(w, h))
		if size < 5 || size > 400 || a < 6 {
			continue
		}
		// Characters fill a fair part of their box; long lines, frames and
		// speckle do not.
		if float64(a) < 0.08*float64(w*h) && size > 12 {
			continue
		}
		remap[i] = int32(len(l.blobs))
		l.blobs = append(l.blobs, blob{x: cb[i*2], y: cb[i*2+1], box: image.Rect(x, y, x+w, y+h), size: size, area: a})
	}
	for i, v := range l.labels {
		if v > 0 {
			l.labels[i] = remap[v]
		} else {
			l.labels[i] = -1
		}
	}
	return nil
}

func (l *locator) buildGrid() {
	l.cell = 24
	l.gw = l.lw/int(l.cell) + 1
	l.gh = l.lh/int(l.cell) + 1
	if cap(l.grid) >= l.gw*l.gh {
		l.grid = l.grid[:l.gw*l.gh]
		for i := range l.grid {
			l.grid[i] = l.grid[i][:0]
		}
	} else {
		l.grid = make([][]int32, l.gw*l.gh)
	}
	for i, b := range l.blobs {
		gx, gy := int(b.x/l.cell), int(b.y/l.cell)
		gx, gy = min(max(gx, 0), l.gw-1), min(max(gy, 0), l.gh-1)
		l.grid[gy*l.gw+gx] = append(l.grid[gy*l.gw+gx], int32(i))
	}
}

// near calls f for every blob within r of (x, y).
func (l *locator) near(x, y, r float64, f func(j int)) {
	x0, x1 := int((x-r)/l.cell), int((x+r)/l.cell)
	y0, y1 := int((y-r)/l.cell), int((y+r)/l.cell)
	x0, y0 = max(x0, 0), max(y0, 0)
	x1, y1 = min(x1, l.gw-1), min(y1, l.gh-1)
	r2 := r * r
	for gy := y0; gy <= y1; gy++ {
		for gx := x0; gx <= x1; gx++ {
			for _, j := range l.grid[gy*l.gw+gx] {
				b := &l.blobs[j]
				if dx, dy := b.x-x, b.y-y; dx*dx+dy*dy <= r2 {
					f(int(j))
				}
			}
		}
	}
}

func similar(a, b float64) bool { return a < 1.7*b && b < 1.7*a }

// minRowCells is the fewest characters a chain must span to be a line of
// a zone (the shortest line has 30; stamps and overprints break some).
const minRowCells = 16

// rows finds the chains of regularly spaced blobs.
func (l *locator) rows() []*row {
	var out []*row
	var members []int
	for i := range l.blobs {
		bi := &l.blobs[i]
		if bi.inLine || bi.size > 120 {
			continue
		}
		best := (*row)(nil)
		// The pitch of OCR-B is about the height of its capitals (the
		// blob's longer side at any rotation): neighbours farther than
		// 1.5 sizes would make a chain that skips characters.
		l.near(bi.x, bi.y, 1.5*bi.size, func(j int) {
			if j == i || best != nil && len(best.members) >= 44 {
				return
			}
			bj := &l.blobs[j]
			if bj.inLine || !similar(bi.size, bj.size) {
				return
			}
			dx, dy := bj.x-bi.x, bj.y-bi.y
			d := math.Hypot(dx, dy)
			if d < 0.5*bi.size {
				return
			}
			// Only grow each pair one way: from the left (or top) member.
			if dx < 0 || (dx == 0 && dy < 0) {
				return
			}
			members = l.grow(i, j, members[:0])
			if r := l.fit(members); r != nil && r.cells >= minRowCells && (best == nil || len(r.members) > len(best.members)) && !l.skipsCharacters(r) {
				best = r
			}
		})
		if best != nil {
			for _, m := range best.members {
				l.blobs[m].inLine = true
			}
			out = append(out, best)
		}
	}
	return out
}

// skipsCharacters tells whether a row steps over every other character:
// most midpoints between its consecutive members hold a blob of the
// members' size (the characters between), where a row at the true
// pitch has the gaps between characters. Under strong perspective the
// characters' height no longer tells the pitch, and a chain at twice
// the pitch passes fit's size checks.
func (l *locator) skipsCharacters(r *row) bool {
	ms := l.scratch[:0]
	ms = append(ms, r.members...)
	sort.Slice(ms, func(a, b int) bool {
		ba, bb := &l.blobs[ms[a]], &l.blobs[ms[b]]
		return ba.x*r.ux+ba.y*r.uy < bb.x*r.ux+bb.y*r.uy
	})
	l.scratch = ms
	pairs, between := 0, 0
	for k := 1; k < len(ms); k++ {
		a, b := &l.blobs[ms[k-1]], &l.blobs[ms[k]]
		d := math.Hypot(b.x-a.x, b.y-a.y)
		if d > 1.5*r.pitch {
			continue // a missed character: no midpoint to test
		}
		pairs++
		mx, my := (a.x+b.x)/2, (a.y+b.y)/2
		found := false
		l.near(mx, my, 0.2*d, func(j int) {
			if !found && similar(l.blobs[j].size, r.size) {
				found = true
			}
		})
		if found {
			between++
		}
	}
	return pairs > 0 && 2*between > pairs
}

// stepWindow is how many steps back grow measures a row's step over.
const stepWindow = 4

// grow follows the chain through blobs i and j in both directions.
func (l *locator) grow(i, j int, members []int) []int {
	members = append(members, i, j)
	bi, bj := &l.blobs[i], &l.blobs[j]
	size := (bi.size + bj.size) / 2
	for dir := 0; dir < 2; dir++ {
		cur := j
		sx, sy := bj.x-bi.x, bj.y-bi.y
		if dir == 1 {
			cur = i
			sx, sy = -sx, -sy
		}
		cx, cy := l.blobs[cur].x, l.blobs[cur].y
		// The members found so far this way, by step number: the step is
		// re-estimated over up to stepWindow steps back, so that the
		// centroids' scatter across glyph shapes (a 7's is high, a U's
		// low) does not steer the chain off the line, while the pitch may
		// still change along it (perspective).
		var trail [stepWindow + 1]struct{ x, y, k float64 }
		nt := 0
		push := func(x, y, k float64) {
			if nt == len(trail) {
				copy(trail[:], trail[1:])
				nt--
			}
			trail[nt] = struct{ x, y, k float64 }{x, y, k}
			nt++
		}
		push(l.blobs[i+j-cur].x, l.blobs[i+j-cur].y, -1)
		push(cx, cy, 0)
		misses := 0
		for steps := 0; steps < 60; steps++ {
			px, py := cx+sx, cy+sy
			step := math.Hypot(sx, sy)
			k := -1
			bestD := 0.3 * step
			if nt == 2 {
				// The first step rests on one pair's centroids alone.
				bestD = 0.45 * step
			}
			l.near(px, py, bestD, func(m int) {
				bm := &l.blobs[m]
				if !similar(bm.size, size) || bm.inLine {
					return
				}
				if d := math.Hypot(bm.x-px, bm.y-py); d < bestD {
					k, bestD = m, d
				}
			})
			if k >= 0 {
				bk := &l.blobs[k]
				push(bk.x, bk.y, float64(steps+1))
				o := trail[0]
				sx, sy = (bk.x-o.x)/(float64(steps+1)-o.k), (bk.y-o.y)/(float64(steps+1)-o.k)
				cx, cy = bk.x, bk.y
				members = append(members, k)
				misses = 0
				continue
			}
			// A character merged with its neighbours (fillers at low
			// resolution) or broken: step over it.
			misses++
			if misses > 2 {
				break
			}
			cx, cy = px, py
		}
	}
	return members
}

// fit makes a row of the members: a least-squares line, the pitch from
// the spacing of the centres along it, and the span in characters.
func (l *locator) fit(members []int) *row {
	if len(members) < minRowCells/2 {
		return nil
	}
	var mx, my float64
	for _, m := range members {
		mx += l.blobs[m].x
		my += l.blobs[m].y
	}
	n := float64(len(members))
	mx, my = mx/n, my/n
	var sxx, sxy, syy float64
	for _, m := range members {
		dx, dy := l.blobs[m].x-mx, l.blobs[m].y-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	ang := 0.5 * math.Atan2(2*sxy, sxx-syy)
	r := &row{ux: math.Cos(ang), uy: math.Sin(ang)}
	if r.ux < 0 || (r.ux == 0 && r.uy < 0) {
		r.ux, r.uy = -r.ux, -r.uy
	}
	r.nx, r.ny = -r.uy, r.ux
	ts := make([]float64, 0, len(members))
	sizes := make([]float64, 0, len(members))
	var resid float64
	for _, m := range members {
		b := &l.blobs[m]
		ts = append(ts, b.x*r.ux+b.y*r.uy)
		sizes = append(sizes, b.size)
		d := (b.x-mx)*r.nx + (b.y-my)*r.ny
		resid += d * d
	}
	sort.Float64s(ts)
	slices.Sort(sizes)
	r.size = sizes[len(sizes)/2]
	// Pitch: the median gap between consecutive centres, gaps of two or
	// three pitches (merged or missed characters) divided down.
	gaps := make([]float64, 0, len(ts))
	for k := 1; k < len(ts); k++ {
		gaps = append(gaps, ts[k]-ts[k-1])
	}
	slices.Sort(gaps)
	p := gaps[len(gaps)/2]
	if p < 0.4*r.size {
		return nil
	}
	var sum, cnt float64
	for _, g := range gaps {
		k := math.Round(g / p)
		if k >= 1 && k <= 3 && math.Abs(g/k-p) < 0.2*p {
			sum += g
			cnt += k
		}
	}
	r.pitch = sum / cnt
	// OCR-B's pitch is about its capitals' height (the blobs' longer
	// side; '<' is a little smaller, rotation makes boxes larger): a
	// chain stepping over every other character, or through a row of
	// small print, is not a line of the zone.
	if r.pitch > 1.7*r.size || r.pitch < 0.35*r.size {
		return nil
	}
	// The row must be straight: centres within a fifth of a character of
	// the line.
	if math.Sqrt(resid/n) > 0.25*r.size {
		return nil
	}
	r.t0, r.t1 = ts[0], ts[len(ts)-1]
	// Regularity: most members sit on a comb. Under perspective the pitch
	// changes along the row, so each member gets its index from the gap
	// to the previous one, and the comb is a quadratic in the index
	// (close to the projective spacing of a tilted line).
	ks := make([]float64, len(ts))
	for k := 1; k < len(ts); k++ {
		ks[k] = ks[k-1] + max(1, math.Round((ts[k]-ts[k-1])/p))
	}
	c0, c1, c2 := quadFit(ks, ts)
	on := 0
	for k, t := range ts {
		local := c1 + 2*c2*ks[k]
		if local > 0 && math.Abs(t-(c0+c1*ks[k]+c2*ks[k]*ks[k])) < 0.25*local {
			on++
		}
	}
	r.cells = int(ks[len(ks)-1]) + 1
	if r.cells > 1 {
		r.pitch = (r.t1 - r.t0) / float64(r.cells-1)
	}
	if float64(on) < 0.8*n || n < 0.5*float64(r.cells) {
		return nil
	}
	r.off = mx*r.nx + my*r.ny
	r.members = append([]int(nil), members...)
	return r
}

// zones groups rows into candidate zones: two or three parallel rows at
// the pitch of each other, one to three pitches apart, overlapping along
// their length. Pieces of one line (split by a stamp) are joined first.
func zones(rows []*row) []zoneGeom {
	// Join collinear pieces.
	sort.Slice(rows, func(a, b int) bool { return rows[a].cells > rows[b].cells })
	var lines []*row
	for _, r := range rows {
		joined := false
		for _, q := range lines {
			if !parallel(q, r) {
				continue
			}
			r := r.alignedTo(q)
			if math.Abs(r.off-q.off) < 0.4*q.pitch && (r.t0 > q.t1 || r.t1 < q.t0) {
				gap := math.Max(r.t0-q.t1, q.t0-r.t1)
				if gap > 6*q.pitch {
					continue
				}
				q.members = append(q.members, r.members...)
				q.t0, q.t1 = math.Min(q.t0, r.t0), math.Max(q.t1, r.t1)
				q.cells = int(math.Round((q.t1-q.t0)/q.pitch)) + 1
				joined = true
				break
			}
		}
		if !joined {
			lines = append(lines, r)
		}
	}
	var out []zoneGeom
	for a, ra := range lines {
		var group []*row
		group = append(group, ra)
		for b, rb := range lines {
			if a == b || !parallel(ra, rb) {
				continue
			}
			rb := rb.alignedTo(ra)
			d := rb.off - ra.off
			if d <= 0 {
				continue
			}
			ov := math.Min(ra.t1, rb.t1) - math.Max(ra.t0, rb.t0)
			if ov < 0.5*math.Min(ra.t1-ra.t0, rb.t1-rb.t0) {
				continue
			}
			// The next line lies 1.2 to 3.2 pitches below; a third one
			// twice as far.
			if d > 1.2*ra.pitch && d < 6.4*ra.pitch {
				group = append(group, rb)
			}
		}
		if len(group) < 2 {
			continue
		}
		sort.Slice(group, func(i, j int) bool { return group[i].off < group[j].off })
		// Keep the nearest rows at a consistent spacing.
		sel := []*row{group[0], group[1]}
		sp := group[1].off - group[0].off
		if sp >= 4*ra.pitch {
			continue
		}
		for _, g := range group[2:] {
			if math.Abs(g.off-sel[len(sel)-1].off-sp) < 0.3*sp && len(sel) < 3 {
				sel = append(sel, g)
			}
		}
		z := zoneGeom{rows: sel}
		for _, r := range sel {
			z.pitch += r.pitch
			z.score += float64(r.cells)
		}
		z.pitch /= float64(len(sel))
		out = append(out, z)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// parallel tells whether two rows run the same way (either sense) at
// about the same pitch.
func parallel(a, b *row) bool {
	cos := math.Abs(a.ux*b.ux + a.uy*b.uy)
	return cos > math.Cos(4*math.Pi/180) && a.pitch < 1.2*b.pitch && b.pitch < 1.2*a.pitch
}

// alignedTo returns r, or a copy of r described in the opposite sense, so
// that its direction agrees with ref's (near-vertical rows otherwise get
// either sense from the fit).
func (r *row) alignedTo(ref *row) *row {
	if r.ux*ref.ux+r.uy*ref.uy >= 0 {
		return r
	}
	c := *r
	c.ux, c.uy, c.nx, c.ny = -r.ux, -r.uy, -r.nx, -r.ny
	c.off = -r.off
	c.t0, c.t1 = -r.t1, -r.t0
	return &c
}

// quadFit fits t = c0 + c1 k + c2 k² by least squares (a line when the
// system is degenerate).
func quadFit(ks, ts []float64) (c0, c1, c2 float64) {
	var s [5]float64
	var b [3]float64
	for i, k := range ks {
		kp := 1.0
		for j := 0; j < 5; j++ {
			s[j] += kp
			if j < 3 {
				b[j] += kp * ts[i]
			}
			kp *= k
		}
	}
	m := [3][4]float64{{s[0], s[1], s[2], b[0]}, {s[1], s[2], s[3], b[1]}, {s[2], s[3], s[4], b[2]}}
	for c := 0; c < 3; c++ {
		piv := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[piv][c]) {
				piv = r
			}
		}
		m[c], m[piv] = m[piv], m[c]
		if math.Abs(m[c][c]) < 1e-9 {
			// Too few distinct indices: a straight line through the ends.
			if n := len(ks); n > 1 && ks[n-1] > ks[0] {
				c1 = (ts[n-1] - ts[0]) / (ks[n-1] - ks[0])
				return ts[0] - c1*ks[0], c1, 0
			}
			return 0, 0, 0
		}
		for r := 0; r < 3; r++ {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k < 4; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	return m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]
}
