package ocr

import (
	"image"
	"math"
	"sort"

	"checkpost/mrz/ocr/ocrb"
)

// reading is one orientation's reading of a rectified zone.
type reading struct {
	flipped bool
	n       int // characters per line
	lineY   []float64
	sy      float64 // vertical sampling step (fitHeights)
	x0, p   float64 // first cell centre and pitch, rectified pixels
	scores  [][]ocrb.Scores
	// logLik is the mean log-probability of the best class per cell: how
	// much the cells look like OCR-B characters this way up.
	logLik float64
	img    *image.Gray
}

// rotate180 returns g turned upside down.
func rotate180(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		src := g.Pix[y*g.Stride : y*g.Stride+w]
		dst := out.Pix[(h-1-y)*out.Stride : (h-1-y)*out.Stride+w]
		for x, v := range src {
			dst[w-1-x] = v
		}
	}
	return out
}

// bandPaper returns the paper grey level of the rows around y (90th
// percentile), for measuring ink as darkness below it.
func bandPaper(g *image.Gray, y0, y1 int) float64 {
	var hist [256]int
	n := 0
	for y := max(0, y0); y < min(g.Rect.Dy(), y1); y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+g.Rect.Dx()] {
			hist[v]++
			n++
		}
	}
	if n == 0 {
		return 255
	}
	k := 0
	for v, c := range hist {
		k += c
		if k > n*9/10 {
			return float64(v)
		}
	}
	return 255
}

// refineLine moves a line's centre to the middle of its capitals: the
// window of one cap height (about a pitch) that holds the most ink.
func refineLine(g *image.Gray, yc float64) float64 {
	const half = ocrb.Pitch // search ± a pitch
	y0, y1 := int(yc)-half-ocrb.Pitch/2, int(yc)+half+ocrb.Pitch/2+1
	paper := bandPaper(g, y0, y1)
	w := g.Rect.Dx()
	prof := make([]float64, y1-y0)
	for y := y0; y < y1; y++ {
		if y < 0 || y >= g.Rect.Dy() {
			continue
		}
		var s float64
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			if d := paper - float64(v); d > 0 {
				s += d
			}
		}
		prof[y-y0] = s
	}
	const capH = 15 // rows of capitals at ocrb.Pitch (0.99 pitch)
	best, bestY := -1.0, yc
	var win float64
	for i := 0; i < len(prof); i++ {
		win += prof[i]
		if i >= capH {
			win -= prof[i-capH]
		}
		if i >= capH-1 && win > best {
			best = win
			bestY = float64(y0+i-capH+1) + float64(capH-1)/2
		}
	}
	// Only a modest correction: a large one means the window caught a
	// neighbouring line.
	if math.Abs(bestY-yc) > 0.6*ocrb.Pitch {
		return yc
	}
	return bestY
}

// columnInk returns, for every column of the band of a line, how dark
// its darkest pixel is, from 0 (paper) to 1 (the line's ink). It measures
// where the characters' extents lie, not their ink mass: the mass of '<',
// the commonest character, lies right of its centre.
func columnInk(g *image.Gray, yc float64, out []float64) []float64 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	y0, y1 := max(0, int(yc)-7), min(h, int(yc)+8)
	out = out[:0]
	if y1 <= y0 {
		return append(out, make([]float64, w)...)
	}
	paper := bandPaper(g, y0, y1)
	var hist [256]int
	for y := y0; y < y1; y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
		}
	}
	ink, k, n := 0.0, 0, (y1-y0)*w
	for v, c := range hist {
		k += c
		if k > n*3/100 {
			ink = float64(v)
			break
		}
	}
	span := math.Max(paper-ink, 24)
	for x := 0; x < w; x++ {
		m := 255
		for y := y0; y < y1; y++ {
			m = min(m, int(g.Pix[y*g.Stride+x]))
		}
		out = append(out, math.Max(0, math.Min(1, (paper-float64(m))/span)))
	}
	return out
}

// fitComb finds the first cell centre x0 and the pitch p that put n cells
// on the characters of every line and their gaps between characters: the
// fixed-pitch grid of the zone.
func fitComb(cols [][]float64, n int, start float64) (x0, p float64) {
	w := len(cols[0])
	pre := make([]float64, w+1)
	for _, c := range cols {
		for x, v := range c {
			pre[x+1] += v
		}
	}
	for x := 0; x < w; x++ {
		pre[x+1] += pre[x]
	}
	mean := func(c, r float64) float64 {
		a, b := int(math.Round(c-r)), int(math.Round(c+r))+1
		a, b = max(0, min(a, w)), max(0, min(b, w))
		if b <= a {
			return 0
		}
		return (pre[b] - pre[a]) / float64(b-a)
	}
	combScore := func(xs, pp float64) float64 {
		var s float64
		for k := 0; k < n; k++ {
			c := xs + float64(k)*pp
			s += mean(c, 3)
			s -= 1.5 * mean(c-0.5*pp, 1)
		}
		s -= 1.5 * mean(xs+(float64(n)-0.5)*pp, 1)
		s -= mean(xs-pp, 3) + mean(xs+float64(n)*pp, 3)
		return s
	}
	P := float64(ocrb.Pitch)
	best := math.Inf(-1)
	x0, p = start, P
	search := func(p0, p1, dp, xa, xb, dx float64) {
		for pp := p0; pp <= p1+1e-9; pp += dp {
			for xs := xa; xs <= xb+1e-9; xs += dx {
				if xs-0.5*pp < 0 || xs+float64(n)*pp > float64(w)+0.5*pp {
					continue
				}
				if s := combScore(xs, pp); s > best {
					best, x0, p = s, xs, pp
				}
			}
		}
	}
	// Coarse to fine: the score's windows are several pixels wide, so a
	// grid of a pixel and 0.1 pixel of pitch finds the peak's
	// neighbourhood, which the fine grid then searches.
	search(0.94*P, 1.06*P, 0.1, start-rectMargin*P-4, start+rectMargin*P+4, 1)
	if !math.IsInf(best, -1) {
		cx, cp := x0, p
		search(math.Max(0.94*P, cp-0.1), math.Min(1.06*P, cp+0.1), 0.05, cx-1, cx+1, 0.5)
	}
	return x0, p
}

// fitExtents refines the grid by least squares on the centres of the
// characters' extents (the columns where each cell's character has ink):
// the comb finds the grid to within a pixel or two, and the extents of
// many characters pin it to a fraction of a pixel. OCR-B centres every
// character in its advance, as the classifier's cells are.
func fitExtents(cols [][]float64, n int, x0, p float64) (float64, float64) {
	type pt struct{ k, x float64 }
	pts := make([]pt, 0, n*len(cols))
	for iter := 0; iter < 3; iter++ {
		pts = pts[:0]
		for _, col := range cols {
			w := len(col)
			for k := 0; k < n; k++ {
				c := x0 + float64(k)*p
				a, b := max(0, int(math.Ceil(c-0.55*p))), min(w, int(math.Floor(c+0.55*p))+1)
				// The run of ink columns through (or nearest to) the centre.
				first, last := -1, -1
				for x := a; x < b; x++ {
					if col[x] > 0.4 {
						if first < 0 {
							first = x
						}
						last = x
					}
				}
				if first < 0 || first == a || last == b-1 {
					continue // empty, or running into a neighbour
				}
				pts = append(pts, pt{float64(k), float64(first+last) / 2})
			}
		}
		var sk, sx, skk, skx, m float64
		for _, q := range pts {
			sk += q.k
			sx += q.x
			skk += q.k * q.k
			skx += q.k * q.x
			m++
		}
		den := m*skk - sk*sk
		if m < 8 || den == 0 {
			return x0, p
		}
		nb := (m*skx - sk*sx) / den
		na := (sx - nb*sk) / m
		if math.Abs(nb-p) > 0.05*p || math.Abs(na-x0) > 0.4*p {
			return x0, p
		}
		x0, p = na, nb
	}
	return x0, p
}

// What cellExtents measures on an upright, undistorted zone rectified to
// ocrb.Pitch (half-ink crossings of a slightly blurred glyph): OCR-B's
// digits stand taller than its capitals, and '<' is shorter still.
const (
	measuredDigitHeight  = 17.0
	measuredLetterHeight = 15.2
)

// extent is the vertical run of one cell's ink, in rectified pixels.
type extent struct{ top, bot float64 }

// cellExtents measures, for each cell of the line near yc (between ya and
// yb), the run of ink rows through the line's middle, with its edges at
// the half-ink crossings. Cells without ink there, or whose run touches
// the band's edge, are left out.
func cellExtents(g *image.Gray, yc, ya, yb, x0, p float64, n int, out []extent) []extent {
	h, w := g.Rect.Dy(), g.Rect.Dx()
	r0, r1 := max(0, int(math.Ceil(ya))), min(h, int(yb)+1)
	if r1-r0 < 8 {
		return out
	}
	paper := bandPaper(g, int(yc)-7, int(yc)+8)
	var hist [256]int
	cnt := 0
	for y := max(0, int(yc)-7); y < min(h, int(yc)+8); y++ {
		for _, v := range g.Pix[y*g.Stride : y*g.Stride+w] {
			hist[v]++
			cnt++
		}
	}
	ink, k := 0.0, 0
	for v, c := range hist {
		k += c
		if k > cnt*3/100 {
			ink = float64(v)
			break
		}
	}
	span := math.Max(paper-ink, 24)
	prof := make([]float64, r1-r0)
	mid := int(math.Round(yc)) - r0
	for c := 0; c < n; c++ {
		cx := x0 + float64(c)*p
		xa, xb := max(0, int(math.Ceil(cx-0.4*p))), min(w, int(cx+0.4*p)+1)
		if xb-xa < 3 {
			continue
		}
		for y := r0; y < r1; y++ {
			m := 255
			for _, v := range g.Pix[y*g.Stride+xa : y*g.Stride+xb] {
				m = min(m, int(v))
			}
			prof[y-r0] = (paper - float64(m)) / span
		}
		// The inked row nearest the middle.
		start := -1
		for d := 0; d <= 4 && start < 0; d++ {
			for _, y := range []int{mid - d, mid + d} {
				if y >= 0 && y < len(prof) && prof[y] > 0.5 {
					start = y
					break
				}
			}
		}
		if start < 0 {
			continue
		}
		t, b := start, start
		for t > 0 && prof[t-1] > 0.5 {
			t--
		}
		for b+1 < len(prof) && prof[b+1] > 0.5 {
			b++
		}
		if t == 0 || b == len(prof)-1 {
			continue // runs into the band's edge: touching something
		}
		top := float64(t) - (prof[t]-0.5)/math.Max(prof[t]-prof[t-1], 1e-6)
		bot := float64(b) + (prof[b]-0.5)/math.Max(prof[b]-prof[b+1], 1e-6)
		out = append(out, extent{top + float64(r0), bot + float64(r0)})
	}
	return out
}

// fitHeights finds the zone's vertical scale and each line's centre from
// the cells' ink extents. A zone seen in perspective is rectified by its
// character centres, which fix the pitch but not the characters' height:
// they can come out a third taller or shorter than the classifier was
// trained on. The digits (every zone has a dozen or more: dates, check
// digits) are the tallest cells; their height over measuredDigitHeight
// is the vertical sampling step sy. A line's centre is its letters' and
// digits' common baseline less half a capital's height. When too few
// cells are measured the lines are left as they are, with sy 1.
func fitHeights(exts [][]extent, lines []float64) (sy float64) {
	var hs []float64
	for _, es := range exts {
		for _, e := range es {
			hs = append(hs, e.bot-e.top)
		}
	}
	if len(hs) < 10 {
		return 1
	}
	sort.Float64s(hs)
	p95 := hs[len(hs)*95/100]
	var tall []float64
	for _, v := range hs {
		if v >= 0.95*p95 {
			tall = append(tall, v)
		}
	}
	H := tall[len(tall)/2]
	sy = H / measuredDigitHeight
	if sy < 0.6 || sy > 1.8 {
		return 1
	}
	for i, es := range exts {
		var bots []float64
		for _, e := range es {
			if e.bot-e.top >= 0.85*measuredLetterHeight/measuredDigitHeight*H {
				bots = append(bots, e.bot)
			}
		}
		if len(bots) < 3 {
			continue
		}
		sort.Float64s(bots)
		c := bots[len(bots)/2] - sy*measuredLetterHeight/2
		if math.Abs(c-lines[i]) < 0.6*ocrb.Pitch {
			lines[i] = c
		}
	}
	return sy
}

// read classifies every cell of the rectified zone one way up.
func (rz *rectZone) read(model *ocrb.Model, flipped bool, n int) *reading {
	g := rz.img
	lines := append([]float64(nil), rz.lineY...)
	start := rz.startX
	if flipped {
		g = rotate180(g)
		h := float64(g.Rect.Dy())
		for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
			lines[i], lines[j] = lines[j], lines[i]
		}
		for i := range lines {
			lines[i] = h - 1 - lines[i]
		}
		// The located span ends where a flipped line starts.
		start = float64(g.Rect.Dx()) - 1 - (rz.startX + rz.span*ocrb.Pitch)
	}
	for i, y := range lines {
		lines[i] = refineLine(g, y)
	}
	cols := make([][]float64, len(lines))
	for i, y := range lines {
		cols[i] = columnInk(g, y, nil)
	}
	x0, p := fitComb(cols, n, start)
	x0, p = fitExtents(cols, n, x0, p)
	exts := make([][]extent, len(lines))
	for i, y := range lines {
		ya, yb := y-2*ocrb.Pitch, y+2*ocrb.Pitch
		if i > 0 {
			ya = math.Max(ya, (lines[i-1]+y)/2)
		}
		if i+1 < len(lines) {
			yb = math.Min(yb, (lines[i+1]+y)/2)
		}
		exts[i] = cellExtents(g, y, ya, yb, x0, p, n, nil)
	}
	sy := fitHeights(exts, lines)
	rd := &reading{flipped: flipped, n: n, lineY: lines, sy: sy, x0: x0, p: p, img: g}
	var cell ocrb.Cell
	var sum float64
	for _, y := range lines {
		row := make([]ocrb.Scores, n)
		for k := 0; k < n; k++ {
			ocrb.ExtractCellScaled(g, x0+float64(k)*p, y, sy, &cell)
			model.Classify(&cell, &row[k])
			best := float32(0)
			for _, v := range row[k] {
				best = max(best, v)
			}
			sum += math.Log(math.Max(float64(best), 1e-9))
		}
		rd.scores = append(rd.scores, row)
	}
	rd.logLik = sum / float64(n*len(lines))
	return rd
}

// text returns the best reading of every line.
func (rd *reading) text() []string {
	out := make([]string, len(rd.scores))
	for i, row := range rd.scores {
		b := make([]byte, len(row))
		for k := range row {
			best := 0
			for c, v := range row[k] {
				if v > row[k][best] {
					best = c
				}
			}
			b[k] = ocrb.Charset[best]
		}
		out[i] = string(b)
	}
	return out
}
