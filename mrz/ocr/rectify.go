package ocr

import (
	"errors"
	"image"
	"image/color"
	"math"
	"sort"

	"checkpost/mrz/ocr/ocrb"

	"gocv.io/x/gocv"
)

// rectMargin is the room, in pitches, left on each side of a line in the
// rectified zone: the located rows may miss characters at their ends
// (overprints, characters merged at low resolution), so the cells are
// searched in a wider strip.
const rectMargin = 3

// rectMarginY is the room above the first and below the last line, in
// rectified pixels.
const rectMarginY = 24

// rectZone is a zone rectified so that its lines are horizontal and its
// pitch is ocrb.Pitch pixels.
type rectZone struct {
	img *image.Gray
	// lineY are the centre lines as located (before refinement).
	lineY []float64
	// n is the number of characters the located span suggests.
	span float64
	// toImage maps rectified pixels to input-image pixels.
	toImage hmat
	// pitch is the zone's pitch in input-image pixels (10 per inch).
	pitch float64
	// startX is where the located first character's centre lies.
	startX float64
	// spacing is the distance between the lines' centres.
	spacing float64
}

// hmat is a 3x3 homography, row-major.
type hmat [9]float64

func (h hmat) apply(x, y float64) (float64, float64) {
	w := h[6]*x + h[7]*y + h[8]
	return (h[0]*x + h[1]*y + h[2]) / w, (h[3]*x + h[4]*y + h[5]) / w
}

// correspondence is a character centroid in the work image and the cell
// it belongs to (column k of line i).
type correspondence struct {
	x, y float64
	k, i int
}

// cellsOf labels the members of the zone's rows with their cells: walking
// along each row, a gap of about m local pitches advances m cells (the
// pitch may change along a row seen in perspective). Columns are counted
// from the leftmost first character of any row.
func (z *zoneGeom) cellsOf(blobs []blob) (cs []correspondence, kmax int) {
	var ux, uy float64
	for _, r := range z.rows {
		ux += r.ux * float64(r.cells)
		uy += r.uy * float64(r.cells)
	}
	l := math.Hypot(ux, uy)
	ux, uy = ux/l, uy/l
	type mt struct {
		t float64
		b int
	}
	rows := make([][]mt, len(z.rows))
	t0 := math.Inf(1)
	for i, r := range z.rows {
		for _, m := range r.members {
			b := &blobs[m]
			rows[i] = append(rows[i], mt{b.x*ux + b.y*uy, m})
		}
		sort.Slice(rows[i], func(a, b int) bool { return rows[i][a].t < rows[i][b].t })
		t0 = math.Min(t0, rows[i][0].t)
	}
	for i, ms := range rows {
		k := int(math.Round((ms[0].t - t0) / z.pitch))
		p := z.pitch
		prev := ms[0].t
		cs = append(cs, correspondence{blobs[ms[0].b].x, blobs[ms[0].b].y, k, i})
		for _, m := range ms[1:] {
			steps := math.Round((m.t - prev) / p)
			if steps < 1 {
				continue // two blobs of one character (a broken stroke)
			}
			p = 0.8*p + 0.2*(m.t-prev)/steps
			k += int(steps)
			prev = m.t
			cs = append(cs, correspondence{blobs[m.b].x, blobs[m.b].y, k, i})
		}
		kmax = max(kmax, k)
	}
	return cs, kmax
}

// rectify warps the zone out of the full-resolution image src (the work
// image was scaled by scale): a homography fitted by least squares to
// every located character, so that no single character's position
// (a centroid is a pixel or two off its cell's centre) tilts the result.
func rectify(src gocv.Mat, z *zoneGeom, blobs []blob, scale float64) (*rectZone, error) {
	cs, kmax := z.cellsOf(blobs)
	rz, err := rectifyCells(src, z, cs, kmax, scale)
	if err != nil {
		return nil, err
	}
	// Under strong perspective the lines' first characters need not lie
	// one above the other in the image, and a line's cells can be counted
	// from the wrong column: the rectified zone then leans (its
	// characters sheared by a pitch over the line spacing). Measure the
	// lean, renumber the lines' cells to undo it, rectify again, and keep
	// whichever leans less.
	s := rz.shear()
	if len(rz.lineY) < 2 || math.IsNaN(s) {
		return rz, nil
	}
	last := rz.lineY[len(rz.lineY)-1]
	shift := make([]int, len(rz.lineY))
	moved := false
	for i, y := range rz.lineY {
		shift[i] = int(math.Round(s * (last - y) / ocrb.Pitch))
		moved = moved || shift[i] != 0
	}
	if !moved {
		return rz, nil
	}
	kmin := math.MaxInt
	for i := range cs {
		cs[i].k -= shift[cs[i].i]
		kmin = min(kmin, cs[i].k)
	}
	kmax = 0
	for i := range cs {
		cs[i].k -= kmin
		kmax = max(kmax, cs[i].k)
	}
	rz2, err := rectifyCells(src, z, cs, kmax, scale)
	if err != nil {
		return rz, nil
	}
	if s2 := rz2.shear(); !math.IsNaN(s2) && math.Abs(s2) < math.Abs(s) {
		return rz2, nil
	}
	return rz, nil
}

// shear measures how far the rectified zone's characters lean: the
// horizontal shift of the ink of the lines' upper halves against their
// lower halves (columns' darkness, cross-correlated), over the height
// between the halves, positive leaning right. NaN when there is too
// little ink to tell.
func (rz *rectZone) shear() float64 {
	g := rz.img
	w, h := g.Rect.Dx(), g.Rect.Dy()
	const maxShift = 12
	var corr [2*maxShift + 1]float64
	top := make([]float64, w)
	bot := make([]float64, w)
	any := false
	for _, yc := range rz.lineY {
		paper := bandPaper(g, int(yc)-7, int(yc)+8)
		clear(top)
		clear(bot)
		for dy := 2; dy <= 7; dy++ {
			for sgn, prof := range [2][]float64{top, bot} {
				y := int(math.Round(yc)) - dy
				if sgn == 1 {
					y = int(math.Round(yc)) + dy
				}
				if y < 0 || y >= h {
					continue
				}
				for x, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
					if d := paper - float64(v); d > 0 {
						prof[x] += d
					}
				}
			}
		}
		for _, prof := range [2][]float64{top, bot} {
			var m float64
			for _, v := range prof {
				m += v
			}
			m /= float64(w)
			for x := range prof {
				prof[x] -= m
			}
		}
		for d := -maxShift; d <= maxShift; d++ {
			var c float64
			for x := max(0, -d); x < min(w, w-d); x++ {
				c += top[x+d] * bot[x]
			}
			corr[d+maxShift] += c
		}
		any = true
	}
	if !any {
		return math.NaN()
	}
	best := 0
	for d := range corr {
		if corr[d] > corr[best] {
			best = d
		}
	}
	if corr[best] <= 0 {
		return math.NaN()
	}
	// Sub-pixel peak.
	dx := float64(best - maxShift)
	if best > 0 && best < len(corr)-1 {
		a, b, c := corr[best-1], corr[best], corr[best+1]
		if den := a - 2*b + c; den < 0 {
			dx += 0.5 * (a - c) / den
		}
	}
	return dx / 9 // the halves' centres lie 4.5 rows above and below
}

// rectifyCells warps the zone by the homography fitted to the cells cs
// (columns 0..kmax).
func rectifyCells(src gocv.Mat, z *zoneGeom, cs []correspondence, kmax int, scale float64) (*rectZone, error) {
	nl := len(z.rows)
	P := float64(ocrb.Pitch)
	spacing := (z.rows[nl-1].off - z.rows[0].off) / float64(max(1, nl-1)) / z.pitch
	sp := spacing * P
	x0 := (rectMargin + 0.5) * P
	// A zone of two located lines may be a TD1 whose third line the
	// locator missed (characters merged at low resolution): keep room
	// for a line above and below.
	marginY := rectMarginY
	if nl == 2 {
		marginY = max(marginY, int(math.Ceil(sp))+rectMarginY*3/4)
	}
	y0 := float64(marginY)
	from := make([][2]float64, 0, len(cs))
	to := make([][2]float64, 0, len(cs))
	for _, c := range cs {
		from = append(from, [2]float64{c.x / scale, c.y / scale})
		to = append(to, [2]float64{x0 + float64(c.k)*P, y0 + float64(c.i)*sp})
	}
	h, ok := fitHomography(from, to)
	if !ok {
		return nil, errors.New("zone geometry degenerate")
	}
	span := float64(kmax)
	pitch := z.pitch / scale
	w := int(math.Ceil((span + 1 + 2*rectMargin) * P))
	ht := int(math.Ceil(float64(nl-1)*sp)) + 2*marginY
	if w <= 0 || ht <= 0 || w > 200*ocrb.Pitch || ht > 40*ocrb.Pitch {
		return nil, errors.New("zone out of proportion")
	}
	inv, ok := h.inverse()
	if !ok {
		return nil, errors.New("zone geometry degenerate")
	}
	// The input region the rectified zone comes from.
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [][2]float64{{0, 0}, {float64(w), 0}, {float64(w), float64(ht)}, {0, float64(ht)}} {
		x, y := inv.apply(p[0], p[1])
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	roi := image.Rect(int(minX)-2, int(minY)-2, int(maxX)+3, int(maxY)+3).
		Intersect(image.Rect(0, 0, src.Cols(), src.Rows()))
	if roi.Empty() {
		return nil, errors.New("zone outside the image")
	}
	region := src.Region(roi)
	defer region.Close()
	work := region
	f := 1.0
	// Reduce a large zone first (area averaging), so that the warp
	// interpolates between samples of about the rectified pitch instead
	// of skipping pixels.
	if pitch > 1.5*P {
		f = 1.25 * P / pitch
		small := gocv.NewMat()
		defer small.Close()
		gocv.Resize(region, &small, image.Pt(max(1, int(float64(roi.Dx())*f)), max(1, int(float64(roi.Dy())*f))), 0, 0, gocv.InterpolationArea)
		f = float64(small.Cols()) / float64(roi.Dx())
		work = small
	}
	// The map from the (reduced) region to the rectified zone.
	hr := h.mul(hmat{1 / f, 0, float64(roi.Min.X), 0, 1 / f, float64(roi.Min.Y), 0, 0, 1})
	m := gocv.NewMatWithSize(3, 3, gocv.MatTypeCV64F)
	defer m.Close()
	for i := 0; i < 9; i++ {
		m.SetDoubleAt(i/3, i%3, hr[i])
	}
	out := gocv.NewMat()
	defer out.Close()
	gocv.WarpPerspectiveWithParams(work, &out, m, image.Pt(w, ht), gocv.InterpolationLinear, gocv.BorderReplicate, color.RGBA{})
	g, err := grayFromMat(out)
	if err != nil {
		return nil, err
	}
	rz := &rectZone{img: g, toImage: inv, pitch: pitch, span: span, startX: x0, spacing: sp}
	for i := 0; i < nl; i++ {
		rz.lineY = append(rz.lineY, y0+float64(i)*sp)
	}
	return rz, nil
}

// fitHomography fits the homography taking from to to by least squares
// (coordinates normalised, h33 = 1), drops the points more than a third
// of a pitch off and fits again. With too few points, or when the
// perspective it finds is implausible for a zone, it falls back to an
// affine map.
func fitHomography(from, to [][2]float64) (hmat, bool) {
	if len(from) < 6 {
		return hmat{}, false
	}
	keep := make([]bool, len(from))
	for i := range keep {
		keep[i] = true
	}
	var h hmat
	for iter := 0; iter < 3; iter++ {
		var ok bool
		h, ok = lsHomography(from, to, keep, iter < 2 || len(from) >= 12)
		if !ok {
			return h, false
		}
		changed := false
		for i := range from {
			x, y := h.apply(from[i][0], from[i][1])
			good := math.Hypot(x-to[i][0], y-to[i][1]) < 0.35*ocrb.Pitch
			if good != keep[i] {
				changed = true
			}
			keep[i] = good
		}
		if !changed {
			break
		}
	}
	return h, true
}

// lsHomography solves the least-squares homography (projective when
// projective is set, else affine) over the kept points.
func lsHomography(from, to [][2]float64, keep []bool, projective bool) (hmat, bool) {
	// Normalise both point sets: centred, mean distance sqrt(2).
	norm := func(ps [][2]float64) hmat {
		var cx, cy, n float64
		for i, p := range ps {
			if keep[i] {
				cx += p[0]
				cy += p[1]
				n++
			}
		}
		if n == 0 {
			return hmat{1, 0, 0, 0, 1, 0, 0, 0, 1}
		}
		cx, cy = cx/n, cy/n
		var d float64
		for i, p := range ps {
			if keep[i] {
				d += math.Hypot(p[0]-cx, p[1]-cy)
			}
		}
		s := math.Sqrt2 / math.Max(d/n, 1e-9)
		return hmat{s, 0, -s * cx, 0, s, -s * cy, 0, 0, 1}
	}
	tf, tt := norm(from), norm(to)
	np := 8
	if !projective {
		np = 6
	}
	var ata [8][8]float64
	var atb [8]float64
	cnt := 0
	for i := range from {
		if !keep[i] {
			continue
		}
		cnt++
		x, y := tf.apply(from[i][0], from[i][1])
		u, v := tt.apply(to[i][0], to[i][1])
		rows := [2][9]float64{
			{x, y, 1, 0, 0, 0, -u * x, -u * y, u},
			{0, 0, 0, x, y, 1, -v * x, -v * y, v},
		}
		for _, r := range rows {
			for a := 0; a < np; a++ {
				for b := 0; b < np; b++ {
					ata[a][b] += r[a] * r[b]
				}
				atb[a] += r[a] * r[8]
			}
		}
	}
	if cnt < 5 {
		return hmat{}, false
	}
	sol, ok := solve(ata, atb, np)
	if !ok {
		return hmat{}, false
	}
	hn := hmat{sol[0], sol[1], sol[2], sol[3], sol[4], sol[5], 0, 0, 1}
	if projective {
		hn[6], hn[7] = sol[6], sol[7]
	}
	ti, ok := tt.inverse()
	if !ok {
		return hmat{}, false
	}
	h := ti.mul(hn).mul(tf)
	if h[8] == 0 {
		return hmat{}, false
	}
	for i := range h {
		h[i] /= h[8]
	}
	return h, true
}

// solve solves the n x n system a x = b by Gaussian elimination with
// partial pivoting.
func solve(a [8][8]float64, b [8]float64, n int) ([8]float64, bool) {
	var x [8]float64
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		if math.Abs(a[c][c]) < 1e-12 {
			return x, false
		}
		for r := c + 1; r < n; r++ {
			k := a[r][c] / a[c][c]
			for j := c; j < n; j++ {
				a[r][j] -= k * a[c][j]
			}
			b[r] -= k * b[c]
		}
	}
	for c := n - 1; c >= 0; c-- {
		s := b[c]
		for j := c + 1; j < n; j++ {
			s -= a[c][j] * x[j]
		}
		x[c] = s / a[c][c]
	}
	return x, true
}

func (h hmat) mul(o hmat) hmat {
	var r hmat
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				r[i*3+j] += h[i*3+k] * o[k*3+j]
			}
		}
	}
	return r
}

func (h hmat) inverse() (hmat, bool) {
	a, b, c, d, e, f, g, hh, i := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
	det := a*(e*i-f*hh) - b*(d*i-f*g) + c*(d*hh-e*g)
	if math.Abs(det) < 1e-15 {
		return hmat{}, false
	}
	return hmat{
		(e*i - f*hh) / det, (c*hh - b*i) / det, (b*f - c*e) / det,
		(f*g - d*i) / det, (a*i - c*g) / det, (c*d - a*f) / det,
		(d*hh - e*g) / det, (b*g - a*hh) / det, (a*e - b*d) / det,
	}, true
}

// grayFromMat copies an 8-bit single-channel Mat into Go memory.
func grayFromMat(m gocv.Mat) (*image.Gray, error) {
	if m.Type() != gocv.MatTypeCV8U || m.Channels() != 1 {
		return nil, errors.New("ocr: internal: not an 8-bit grey Mat")
	}
	b, err := m.DataPtrUint8()
	if err != nil {
		return nil, err
	}
	g := image.NewGray(image.Rect(0, 0, m.Cols(), m.Rows()))
	copy(g.Pix, b)
	return g, nil
}
