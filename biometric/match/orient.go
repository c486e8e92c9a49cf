package match

import "math"

// Orientation consolidation: under the alignment the consolidation chose,
// how well the two prints' ridge flow agrees where they overlap. The flow
// is what the templates know of it: each minutia's direction (a ridge
// orientation at the minutia) and its orientation descriptor's points
// (biometric/extract: the smoothed field at 27 and 54 pixels around it),
// about nine samples a minutia. b's samples are averaged per cell of a
// grid of fieldCell pixels (doubled-angle vectors); each of a's samples
// carried into b's frame scores the cosine of twice its angle to its
// cell's mean; the agreement A is their mean (0 when none falls in b's
// cells), and Compare's score is multiplied by exp(orientK (max(A, 0) -
// 1)). Impostor pairs whose minutiae happen to line up under some
// alignment mostly disagree in flow: median A about 0.46 on FVC2002 DB2_B
// impostor pairs, 0.95 on genuine ones. Templates without descriptors
// (ISO/IEC 19794-2, ANSI INCITS 378, native version 1) have the minutiae's
// directions only. A comparison of two such templates counts
// orientUnknown more, which keeps the shipped thresholds (with the
// descriptors removed from the tuning templates the thresholds for FMR 1%
// and 0.1% of the 12,160 pooled impostor pairs of DB1_B and DB2_B came out
// 0.00129 and 0.00271, against 0.00120 and 0.00277 with them). A
// comparison of one template with descriptors and one without (a live
// print against an enrolled ISO or ANSI template, or a generated
// distractor) counts orientMixed, 1: with orientUnknown there too, such
// pairs scored low (impostor pairs within FVC2002 DB1_B and DB2_B, both
// ways round, 99th and 99.9th percentiles 0.00112 and 0.00238 against
// 0.00140 and 0.00332 with descriptors on both sides, and genuine pairs
// were missed more: FNMR at ThresholdFMR1e3 on DB1_B and DB2_B 3.04% and
// 5.71%, with 1 2.14% and 5.18%); with 1 the percentiles are 0.00144 and
// 0.00305, on the shipped scale. Only 0.78 and 1 were tried.
//
// A score below orientFloor before the factor cannot reach any shipped
// threshold whatever the factor, so Compare does not compute A for it and
// gives it the least factor (orientMinFactor): the order of all scores is
// kept, decisions at the thresholds are the same as with A computed, and
// most impostor comparisons skip the step. It lies below every shipped
// threshold by a margin, because the EER of a small sensor is met far
// below the shipped thresholds and A orders the scores there too: 0.0006
// -> 0.0004 moved only the EERs of the small
// crops (sum over the six tuning sets 46.14 -> 44.77: DB2_B cropped to
// 260x300 12.13 -> 11.83, to 220x260 20.35 -> 19.28; 0.0002, 0.0003 and
// 0.00035 gave 44.79, 0.0005 45.46), and A is computed for about 13% more
// of all pairs (DB1_B 1,027 -> 1,420 of 3,160, DB2_B 815 -> 1,214); no
// score at or above 0.0006 changes, so neither do the thresholds.
//
// Chosen on FVC2002 DB1_B and DB2_B whole and cropped to 260x300 and
// 220x260: k = 1, 2, 3, 4, 6, 8 (4: sum over the six sets of FNMR at FMR
// 1% 61.43 -> 58.93, at 0.1% 73.93 -> 73.93, of EER 46.78 -> 46.14; with
// A computed for every pair the EER gains more on the small crops, whose
// EER thresholds lie below orientFloor, at 45% more CPU time), cells of
// 14-32 pixels (alike within a pair or two), the 27-pixel points only
// (worse), the overlap's sample count as a further factor (worse), more
// alignments each judged with its A (no better).
const (
	orientK       = 4
	orientUnknown = 0.78
	orientMixed   = 1.0
	orientFloor   = 0.0004
	fieldCell     = 24 // pixels
	fieldMax      = 40 // cells a side at most (wider prints get wider cells)
)

// orientMinFactor is the least factor: A <= 0, no descriptors.
var orientMinFactor = math.Exp(-orientK) * orientUnknown

// The descriptor's points in the minutia's frame (biometric/extract's
// descRadius, descAngle), and the orientation of code q (1..15: steps of
// 12°) as a doubled angle in 1/65536 turn.
var (
	descOffX, descOffY [8]float32
	descDoubled        [16]uint16
	// cos and sin of 1/1024 turns; cosSinTab the two side by side
	// (cos of i at 2i, sin at 2i+1: shiftSums3x4 loads both at once).
	cosTab, sinTab [1024]float32
	cosSinTab      [2048]float32
)

func init() {
	radius := [8]float64{27, 27, 27, 27, 54, 54, 54, 54}
	angle := [8]float64{0, 90, 180, 270, 45, 135, 225, 315}
	for k := range 8 {
		descOffX[k] = float32(radius[k] * math.Cos(angle[k]*math.Pi/180))
		descOffY[k] = float32(radius[k] * math.Sin(angle[k]*math.Pi/180))
	}
	for q := 1; q < 16; q++ {
		descDoubled[q] = uint16(math.Round(float64(q-1)*65536/15)) & 0xffff
	}
	for i := range cosTab {
		cosTab[i] = float32(math.Cos(float64(i) * 2 * math.Pi / 1024))
		sinTab[i] = float32(math.Sin(float64(i) * 2 * math.Pi / 1024))
		cosSinTab[2*i], cosSinTab[2*i+1] = cosTab[i], sinTab[i]
	}
}

// orientField is b's flow as orientAgreement reads it.
type orientField struct {
	x0, y0, inv float32
	cols, rows  int
	c, s        [fieldMax * fieldMax]float32 // summed, then unit mean vectors
	touched     [fieldMax * fieldMax]bool
	list        [fieldMax * fieldMax]uint16
}

// cell returns the index of the grid cell holding (x, y), and whether it
// lies on the grid (fc, fr: the grid's columns and rows as float32).
func (g *orientField) cell(x, y, fc, fr float32) (int, bool) {
	qx, qy := (x-g.x0)*g.inv, (y-g.y0)*g.inv
	if !(qx >= 0 && qy >= 0 && qx < fc && qy < fr) {
		return 0, false
	}
	return int(qy)*g.cols + int(qx), true
}

// orientAgreement returns A (see above) of a carried into b's frame by
// al, and how many of the two templates have descriptors (0, 1 or 2).
func (m *Matcher) orientAgreement(a, b *Template, al alignment) (float64, int) {
	if a.n == 0 || b.n == 0 {
		return 0, 0
	}
	g := &m.field
	// The grid covers b's minutiae and their descriptor points.
	minX, maxX, minY, maxY := b.m[0].x, b.m[0].x, b.m[0].y, b.m[0].y
	for j := 1; j < int(b.n); j++ {
		minX, maxX = min(minX, b.m[j].x), max(maxX, b.m[j].x)
		minY, maxY = min(minY, b.m[j].y), max(maxY, b.m[j].y)
	}
	const reach = 55
	w, h := float32(maxX)-float32(minX)+2*reach, float32(maxY)-float32(minY)+2*reach
	cell := max(float32(fieldCell), w/(fieldMax-1), h/(fieldMax-1))
	g.x0, g.y0, g.inv = float32(minX)-reach, float32(minY)-reach, 1/cell
	g.cols, g.rows = min(int(w*g.inv)+1, fieldMax), min(int(h*g.inv)+1, fieldMax)
	// b's samples: each minutia's direction and its descriptor's points.
	// Gathered first (positions and doubled orientations), then added
	// to their cells in one loop.
	ns := 0
	descB := false
	for j := 0; j < int(b.n); j++ {
		mb := &b.m[j]
		x, y := float32(mb.x), float32(mb.y)
		m.sx[ns], m.sy[ns], m.sd[ns] = x, y, 2*mb.a
		ns++
		desc := b.descriptor(j)
		if desc == 0 {
			continue
		}
		descB = true
		c, s := cosTab[mb.a>>6], sinTab[mb.a>>6]
		for k := range 8 {
			if q := desc >> (4 * k) & 15; q != 0 {
				m.sx[ns], m.sy[ns] = x+c*descOffX[k]-s*descOffY[k], y+s*descOffX[k]+c*descOffY[k]
				m.sd[ns] = 2*mb.a + descDoubled[q]
				ns++
			}
		}
	}
	nt := 0
	fc, fr := float32(g.cols), float32(g.rows)
	for i := range ns {
		k, in := g.cell(m.sx[i], m.sy[i], fc, fr)
		if !in {
			continue
		}
		if !g.touched[k] {
			g.touched[k] = true
			g.c[k], g.s[k] = 0, 0
			g.list[nt] = uint16(k)
			nt++
		}
		d := m.sd[i] >> 6
		g.c[k] += cosTab[d]
		g.s[k] += sinTab[d]
	}
	for _, k := range g.list[:nt] {
		if l := float32(math.Sqrt(float64(g.c[k]*g.c[k] + g.s[k]*g.s[k]))); l > 0 {
			g.c[k], g.s[k] = g.c[k]/l, g.s[k]/l
		}
	}
	// a's samples carried into b's frame.
	var sum float32
	n := 0
	descA := false
	rot2 := 2 * al.rot
	ns = 0
	for i := 0; i < int(a.n); i++ {
		ma := &a.m[i]
		x, y := float32(ma.x), float32(ma.y)
		// The minutia in b's frame, its direction turned.
		tx, ty := al.c*x-al.s*y+al.tx, al.s*x+al.c*y+al.ty
		ta := ma.a + al.rot
		m.sx[ns], m.sy[ns], m.sd[ns] = tx, ty, 2*ma.a+rot2
		ns++
		desc := a.descriptor(i)
		if desc == 0 {
			continue
		}
		descA = true
		c, s := cosTab[ta>>6], sinTab[ta>>6]
		for k := range 8 {
			if q := desc >> (4 * k) & 15; q != 0 {
				m.sx[ns], m.sy[ns] = tx+c*descOffX[k]-s*descOffY[k], ty+s*descOffX[k]+c*descOffY[k]
				m.sd[ns] = 2*ma.a + descDoubled[q] + rot2
				ns++
			}
		}
	}
	for i := range ns {
		k, in := g.cell(m.sx[i], m.sy[i], fc, fr)
		if !in || !g.touched[k] {
			continue
		}
		d := m.sd[i] >> 6
		sum = sum + cosTab[d]*g.c[k] + sinTab[d]*g.s[k] // left to right
		n++
	}
	for _, k := range g.list[:nt] {
		g.touched[k] = false
	}
	sides := 0
	for _, d := range [2]bool{descA, descB} {
		if d {
			sides++
		}
	}
	if n == 0 {
		return 0, sides
	}
	return float64(sum) / float64(n), sides
}
