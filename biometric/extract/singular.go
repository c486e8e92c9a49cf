package extract

import (
	"math"

	"checkpost/biometric"
)

// Singular points: the cores and deltas of the ridge flow, found on the
// smoothed orientation field by the Poincaré index (the turn of the
// doubled ridge angle round a closed path of blocks: one full turn the
// same way round the path for a core, one the other way for a delta, none
// elsewhere).
//
// The field is smoothed once more than the minutiae's (a 3x3 box over the
// Gaussian-smoothed doubled-angle vectors), the index is taken round the 8
// blocks about each block whose ring lies in the print, the blocks of one
// sign that touch are merged into one point at their mean, and that point
// is kept only if the 16-block ring two blocks out, where it lies in the
// print, turns the same way: a crease or a smudge makes a core and a delta
// side by side, whose turns cancel on the larger ring. The confidence is
// the mean coherence of the larger ring's blocks (0-100), halved where
// only the small ring could be read.

// singularRing is the ring of blocks at chessboard distance r about a
// block, in order round it (clockwise on the image), as offsets.
func singularRing(r int) [][2]int {
	var ring [][2]int
	for x := -r; x < r; x++ {
		ring = append(ring, [2]int{x, -r})
	}
	for y := -r; y < r; y++ {
		ring = append(ring, [2]int{r, y})
	}
	for x := r; x > -r; x-- {
		ring = append(ring, [2]int{x, r})
	}
	for y := r; y > -r; y-- {
		ring = append(ring, [2]int{-r, y})
	}
	return ring
}

var singularRings = [3][][2]int{nil, singularRing(1), singularRing(2)}

// singularMaxPoints bounds the points kept per print: a print holds at
// most two cores and two deltas; more are noise, the weakest dropped.
const singularMaxPoints = 4

// singularIndex is the Poincaré index round ring r of block (x, y) on the
// doubled angles ang: +1, -1 or 0; ok is false where a block of the ring
// lies outside the print.
func (e *Extractor) singularIndex(ang []float32, x, y, r int) (idx int, ok bool) {
	ring := singularRings[r]
	bw, bh := e.bw, e.bh
	var sum float64
	prev := 0.0
	for k := 0; k <= len(ring); k++ {
		o := ring[k%len(ring)]
		xx, yy := x+o[0], y+o[1]
		if xx < 0 || yy < 0 || xx >= bw || yy >= bh || !e.mask[yy*bw+xx] {
			return 0, false
		}
		a := float64(ang[yy*bw+xx])
		if k > 0 {
			d := a - prev
			for d > math.Pi {
				d -= 2 * math.Pi
			}
			for d < -math.Pi {
				d += 2 * math.Pi
			}
			sum += d
		}
		prev = a
	}
	switch {
	case sum > math.Pi:
		return 1, true
	case sum < -math.Pi:
		return -1, true
	}
	return 0, true
}

// singularPoints finds the print's cores and deltas (see above) on the
// field orientation() left in tx, ty; ux is its scratch.
func (e *Extractor) singularPoints() []biometric.SingularPoint {
	bw, bh := e.bw, e.bh
	nb := bw * bh
	// The extra smoothing, then each block's doubled angle in ux.
	ang := e.ux[:nb]
	for y := 0; y < bh; y++ {
		for x := 0; x < bw; x++ {
			var sx, sy float32
			for yy := max(y-1, 0); yy <= min(y+1, bh-1); yy++ {
				for xx := max(x-1, 0); xx <= min(x+1, bw-1); xx++ {
					sx += e.tx[yy*bw+xx]
					sy += e.ty[yy*bw+xx]
				}
			}
			ang[y*bw+x] = float32(math.Atan2(float64(sy), float64(sx)))
		}
	}
	// Each block's index round the small ring, in label (0: none).
	idx := e.label[:nb]
	for b := range idx {
		idx[b] = 0
		x, y := b%bw, b/bw
		if !e.mask[b] {
			continue
		}
		if v, ok := e.singularIndex(ang, x, y, 1); ok {
			idx[b] = int32(v)
		}
	}
	var pts []biometric.SingularPoint
	stack := e.stack[:0]
	for b := range idx {
		v := idx[b]
		if v == 0 || v == 2 || v == -2 {
			continue
		}
		// The blocks of this sign that touch b, marked ±2 once seen.
		var sx, sy, n float64
		stack = append(stack[:0], int32(b))
		idx[b] = 2 * v
		for len(stack) > 0 {
			c := int(stack[len(stack)-1])
			stack = stack[:len(stack)-1]
			cx, cy := c%bw, c/bw
			sx += float64(cx)
			sy += float64(cy)
			n++
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					xx, yy := cx+dx, cy+dy
					if xx >= 0 && yy >= 0 && xx < bw && yy < bh && idx[yy*bw+xx] == v {
						idx[yy*bw+xx] = 2 * v
						stack = append(stack, int32(yy*bw+xx))
					}
				}
			}
		}
		mx, my := sx/n, sy/n
		bx, by := int(mx+0.5), int(my+0.5)
		conf := 0.5
		r := 1
		if v2, ok := e.singularIndex(ang, bx, by, 2); ok {
			if v2 != int(v) {
				continue
			}
			conf, r = 1, 2
		}
		var coh float64
		var dx, dy float64
		for _, o := range singularRings[r] {
			q := (by+o[1])*bw + bx + o[0]
			coh += float64(e.coh[q])
			// The ridges' doubled angle is the gradient's turned by π.
			a := float64(ang[q]) + math.Pi
			phi := math.Atan2(float64(o[1]), float64(o[0]))
			// A core's field is a ≈ φ + 2θ0 round it, a delta's
			// a ≈ -φ + 2θ0: 2θ0 from the ring's mean.
			if v > 0 {
				a -= phi
			} else {
				a += phi
			}
			dx += math.Cos(a)
			dy += math.Sin(a)
		}
		coh /= float64(len(singularRings[r]))
		// Where the ridges run along the way out of the point: a
		// core's one way (the loop's open side), a delta's one of
		// three (the first of them).
		dir := math.Atan2(dy, dx)
		typ := biometric.SingularCore
		if v < 0 {
			typ = biometric.SingularDelta
			dir /= 3
		}
		// Template angles are counter-clockwise as seen (y up).
		a := math.Mod(-dir+4*math.Pi, 2*math.Pi)
		pts = append(pts, biometric.SingularPoint{
			X:          min(int((mx+0.5)*blockSize+0.5), e.w-1),
			Y:          min(int((my+0.5)*blockSize+0.5), e.h-1),
			Angle:      a,
			Type:       typ,
			Confidence: uint8(math.Min(100, math.Round(100*conf*coh))),
		})
	}
	e.stack = stack
	// The most confident first, at most singularMaxPoints.
	for i := 1; i < len(pts); i++ {
		for j := i; j > 0 && pts[j].Confidence > pts[j-1].Confidence; j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
	if len(pts) > singularMaxPoints {
		pts = pts[:singularMaxPoints]
	}
	return pts
}
