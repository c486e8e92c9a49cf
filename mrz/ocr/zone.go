package ocr

import (
	"image"
	"math"
	"time"

	"checkpost/devices"
	"checkpost/mrz"
	"checkpost/mrz/ocr/ocrb"

	"gocv.io/x/gocv"
)

// candidateReading is one located zone read the more plausible way up.
type candidateReading struct {
	rz       *rectZone
	rd       *reading
	lines    []string
	valid    bool
	meanConf float64
	minConf  float64
}

// better ranks readings: a valid zone first, then the more confident.
func (c *candidateReading) better(o *candidateReading) bool {
	if c.valid != o.valid {
		return c.valid
	}
	return c.rd.logLik > o.rd.logLik
}

// minMeanConfidence is the mean classifier probability below which what
// was located is not taken for a zone: printed text in another font, a
// barcode or a guilloche read as OCR-B cells gets far less.
const minMeanConfidence = 0.5

func (c *candidateReading) plausible() bool { return c.meanConf >= minMeanConfidence }

// lineLength chooses the characters per line from the number of lines and
// the located span (in pitches between the first and last centres).
func lineLength(lines int, span float64) int {
	if lines >= 3 {
		return 30
	}
	if math.Abs(span+1-36) < math.Abs(span+1-44) {
		return 36
	}
	return 44
}

func (r *Reader) readZone(src gocv.Mat, z *zoneGeom, blobs []blob, scale float64, tm *Timings) (*candidateReading, error) {
	t := time.Now()
	rz, err := rectify(src, z, blobs, scale)
	tm.Rectify += time.Since(t)
	if err != nil {
		return nil, err
	}
	t = time.Now()
	defer func() { tm.Classify += time.Since(t) }()
	n := lineLength(len(z.rows), rz.span)
	cr := r.readRect(rz, n)
	if len(z.rows) == 2 && !cr.valid {
		// Perhaps a TD1 whose third line was not located: read three
		// lines of 30, with a line added above or below, and take that
		// when it is valid, or reads more like OCR-B while neither is.
		for _, add := range []float64{-rz.spacing, rz.spacing} {
			y := rz.lineY[0] + add
			if add > 0 {
				y = rz.lineY[1] + add
			}
			if y < ocrb.Pitch/2 || y > float64(rz.img.Rect.Dy())-ocrb.Pitch/2 {
				continue
			}
			rz3 := *rz
			rz3.lineY = append([]float64{y}, rz.lineY...)
			if add > 0 {
				rz3.lineY = append(append([]float64(nil), rz.lineY...), y)
			}
			c3 := r.readRect(&rz3, 30)
			if c3.valid || c3.rd.logLik > cr.rd.logLik {
				cr = c3
			}
			if cr.valid {
				break
			}
		}
	}
	return cr, nil
}

// readRect reads a rectified zone both ways up, n characters a line, and
// keeps the way that reads more like OCR-B.
func (r *Reader) readRect(rz *rectZone, n int) *candidateReading {
	up := rz.read(r.model, false, n)
	down := rz.read(r.model, true, n)
	rd := up
	if down.logLik > up.logLik {
		rd = down
	}
	cr := &candidateReading{rz: rz, rd: rd, lines: rd.text(), minConf: 1}
	var sum float64
	cells := 0
	for _, row := range rd.scores {
		for k := range row {
			best := float64(0)
			for _, v := range row[k] {
				best = math.Max(best, float64(v))
			}
			sum += best
			cr.minConf = math.Min(cr.minConf, best)
			cells++
		}
	}
	cr.meanConf = sum / float64(max(1, cells))
	if p, err := mrz.NewParser(r.opts.Parse...).ParseLines(cr.lines); err == nil {
		cr.valid = p.Valid
	}
	return cr
}

// fill writes the located and classified zone into res.
func (c *candidateReading) fill(res *Result, rc readConfig) {
	rd, rz := c.rd, c.rz
	res.Found = true
	res.Read = append([]string(nil), c.lines...)
	res.MeanConfidence, res.MinConfidence = c.meanConf, c.minConf
	res.Chars = make([][]Char, len(rd.scores))
	var top []ocrb.Candidate
	for i, row := range rd.scores {
		res.Chars[i] = make([]Char, len(row))
		for k := range row {
			top = row[k].Top(4, top)
			ch := Char{Char: top[0].Char, Confidence: float64(top[0].P)}
			for _, a := range top[1:] {
				if a.P >= 0.005 {
					ch.Alternatives = append(ch.Alternatives, mrz.Candidate{Char: a.Char, Score: float64(a.P)})
				}
			}
			res.Chars[i][k] = ch
		}
	}
	// The outline of the characters, in the rectified zone read upright,
	// then back through the flip and the homography.
	half := 0.55 * float64(ocrb.Pitch)
	xa, xb := rd.x0-rd.p/2, rd.x0+(float64(rd.n)-0.5)*rd.p
	ya, yb := rd.lineY[0]-half, rd.lineY[len(rd.lineY)-1]+half
	corners := [4][2]float64{{xa, ya}, {xb, ya}, {xb, yb}, {xa, yb}}
	W, H := float64(rd.img.Rect.Dx()), float64(rd.img.Rect.Dy())
	for i, p := range corners {
		x, y := p[0], p[1]
		if rd.flipped {
			x, y = W-1-x, H-1-y
		}
		ix, iy := rz.toImage.apply(x, y)
		res.Quad[i] = devices.Point{X: ix, Y: iy}
	}
	dx, dy := res.Quad[1].X-res.Quad[0].X, res.Quad[1].Y-res.Quad[0].Y
	res.Angle = math.Round(math.Atan2(dy, dx)*180/math.Pi*10) / 10
	if w := math.Hypot(dx, dy); w > 0 {
		res.PPI = math.Round(w / float64(rd.n) * 10)
	}
	if rc.evidence {
		ev := &Evidence{Rectified: rd.img}
		var cell ocrb.Cell
		for _, y := range rd.lineY {
			var row []*image.Gray
			for k := 0; k < rd.n; k++ {
				ocrb.ExtractCellScaled(rd.img, rd.x0+float64(k)*rd.p, y, rd.sy, &cell)
				g := image.NewGray(image.Rect(0, 0, ocrb.CellW, ocrb.CellH))
				for j, v := range cell {
					g.Pix[j] = uint8(255 - v*255)
				}
				row = append(row, g)
			}
			ev.Cells = append(ev.Cells, row)
		}
		res.Evidence = ev
	}
}
