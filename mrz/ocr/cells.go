package ocr

import (
	"image"
	"math"

	"checkpost/mrz/ocr/ocrb"
)

// reading is one orientation's reading of a rectified zone.
type reading struct {
	flipped bool
	n       int // characters per line
	lineY   []float64
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
	for pp := 0.94 * P; pp <= 1.06*P+1e-9; pp += 0.05 {
		for xs := start - rectMargin*P - 4; xs <= start+rectMargin*P+4; xs += 0.5 {
			if xs-0.5*pp < 0 || xs+float64(n)*pp > float64(w)+0.5*pp {
				continue
			}
			if s := combScore(xs, pp); s > best {
				best, x0, p = s, xs, pp
			}
		}
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
	rd := &reading{flipped: flipped, n: n, lineY: lines, x0: x0, p: p, img: g}
	var cell ocrb.Cell
	var sum float64
	for _, y := range lines {
		row := make([]ocrb.Scores, n)
		for k := 0; k < n; k++ {
			ocrb.ExtractCell(g, x0+float64(k)*p, y, &cell)
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
