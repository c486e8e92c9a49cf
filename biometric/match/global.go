package match

import "math"

// Global consolidation: the relaxation's best pairs give an alignment; all
// minutiae are then paired under it and the score counts the pairs (a pair
// of different types counting less) against the minutiae that lie in the
// common area (each by its reliability).
const (
	seeds       = 2    // alignments tried at most
	minOverlap  = 8    // fewer minutiae in the common area count as this many (at most; see overlapFloor)
	pairRadius  = 14.0 // pixels: a transformed minutia this close to one of the other print pairs with it
	pairAngle   = 5461 // 30°, in 1/65536 turn
	inlierDist  = 16.0 // pairs this consistent with the seed refine the alignment
	overlapDist = 35.0 // a minutia is in the common area when the other print has one this close
	// A paired ending and fork count this much of a pair (measured on
	// FVC2002 DB1_B and DB2_B, whole and cropped to small-sensor size).
	typeMismatch = 0.5
)

func (m *Matcher) consolidate(a, b *Template, top []pair, lambda []float32) float64 {
	m.loadB(b)
	best := 0.0
	var bestAl alignment
	// The seeds: the pairs of highest relaxed similarity, skipping those
	// that an alignment already tried agrees with (for a genuine pair the
	// best pairs mostly agree: one alignment serves them all).
	var tried [8]alignment
	var used [maxRelax]bool
	nt := 0
	for s := 0; s < seeds && nt < len(tried); s++ {
		bi := -1
		for p := range top {
			if !used[p] && (bi < 0 || lambda[p] > lambda[bi]) {
				bi = p
			}
		}
		if bi < 0 {
			break
		}
		used[bi] = true
		m.seedA[s], m.seedB[s] = top[bi].a, top[bi].b
		m.nSeeds = s + 1
		pa, pb := &a.m[top[bi].a], &b.m[top[bi].b]
		covered := false
		for _, t := range tried[:nt] {
			if t.agrees(pa, pb) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		v, t := m.alignAndCountAbove(a, b, top, top[bi], best)
		v *= rotPrior(t.rot)
		tried[nt] = t
		nt++
		if v > best {
			best, bestAl = v, t
		}
	}
	m.bestAl = bestAl
	return best
}

// The rotation prior: an alignment that turns one print by more than
// rotFree against the other counts less, by exp(-((|rot| - rotFree) /
// rotScale)²) (0.78 at 60°, 0.37 at 70°, 0.02 at 90°; local pairs turned
// more than maxAngle apart are not compared at all). A finger laid on a
// scanner is seldom turned further, while the chance alignments of two
// different fingers take any rotation: on FVC2002 DB1_B and DB2_B,
// without the prior, 3 of the 549 genuine pairs that score above 0.002
// were aligned with more than 50° of rotation (none more than 70°),
// against 17 of the 47 impostor pairs above 0.0015 (DB1_B: 15 of 33,
// turned 50-90°). It applies to each alignment the consolidation tries,
// so that one turned less can win.
//
// Chosen on FVC2002 DB1_B and DB2_B, whole and cropped to 260x300 and
// 220x260 (templates of 413831c; EER + FNMR@1% + FNMR@0.1% summed over
// DB1_B and DB2_B whole, then over all six sets): none 8.56 / 167.20;
// rotFree 50° rotScale 20° 7.98 / 164.02 (DB1_B EER 0.35 -> 0.12, FNMR at
// 0.1% 1.07 -> 0.71; DB2_B unchanged); a plateau around it (35-55° with
// scales of 15-30°: 7.98 / 164.0-165.8), worse at its edges (60°/20°:
// 8.39 / 164.43; 65°/15°: 8.56 / 165.68; 45°/10°: 8.33 / 168.66).
const (
	rotFree  = 50.0 // degrees
	rotScale = 20.0 // degrees
)

// rotFactors[k] is the prior's factor for a rotation of k/1024 turn.
var rotFactors [513]float64

func init() {
	for k := range rotFactors {
		d := float64(k) * 360 / 1024
		if d > rotFree {
			z := (d - rotFree) / rotScale
			rotFactors[k] = math.Exp(-z * z)
		} else {
			rotFactors[k] = 1
		}
	}
}

// rotPrior is the rotation prior's factor for an alignment turned by rot
// (1/65536 turn).
func rotPrior(rot uint16) float64 { return rotFactors[absAngle(int16(rot))] }

// alignment maps a's frame onto b's: rotation (c, s), then translation.
type alignment struct {
	c, s, tx, ty float32
	rot          uint16
}

// agrees reports whether the alignment maps minutia p of a close to q of
// b, in position and direction.
func (t alignment) agrees(p, q *minutia) bool {
	x := t.c*float32(p.x) - t.s*float32(p.y) + t.tx
	y := t.s*float32(p.x) + t.c*float32(p.y) + t.ty
	dx, dy := x-float32(q.x), y-float32(q.y)
	return dx*dx+dy*dy <= float32(inlierDist*inlierDist) && absAngle(int16(p.a+t.rot-q.a)) <= pairAngle>>6
}

// alignAndCount aligns a onto b by the seed pair, refines the alignment by
// least squares over the selected pairs consistent with it, then pairs
// minutiae greedily by distance.
func (m *Matcher) alignAndCount(a, b *Template, top []pair, seed pair) (float64, alignment) {
	return m.alignAndCountAbove(a, b, top, seed, 0)
}

// alignAndCountAbove is alignAndCount that skips the refit when the seed's
// alignment scores below refitShare of floor (the best score of the
// seeds tried before): it is unlikely to win, and the refit is the
// costly part.
func (m *Matcher) alignAndCountAbove(a, b *Template, top []pair, seed pair, floor float64) (float64, alignment) {
	sa, sb := &a.m[seed.a], &b.m[seed.b]
	rot := float64(int16(sb.a-sa.a)) * (2 * math.Pi / 65536)
	c, s := math.Cos(rot), math.Sin(rot)
	tx := float64(sb.x) - (c*float64(sa.x) - s*float64(sa.y))
	ty := float64(sb.y) - (s*float64(sa.x) + c*float64(sa.y))
	// Refine on the inliers among the selected pairs (Procrustes in 2-D).
	var n, max1, may1, mbx, mby float64
	for _, p := range top {
		pa, pb := &a.m[p.a], &b.m[p.b]
		x := c*float64(pa.x) - s*float64(pa.y) + tx
		y := s*float64(pa.x) + c*float64(pa.y) + ty
		dx, dy := x-float64(pb.x), y-float64(pb.y)
		if dx*dx+dy*dy > inlierDist*inlierDist || absAngle(int16(pa.a+uint16(int16(rot*65536/(2*math.Pi)))-pb.a)) > pairAngle>>6 {
			continue
		}
		n++
		max1 += float64(pa.x)
		may1 += float64(pa.y)
		mbx += float64(pb.x)
		mby += float64(pb.y)
	}
	if n >= 3 {
		max1, may1, mbx, mby = max1/n, may1/n, mbx/n, mby/n
		var sdot, scross float64
		for _, p := range top {
			pa, pb := &a.m[p.a], &b.m[p.b]
			x := c*float64(pa.x) - s*float64(pa.y) + tx
			y := s*float64(pa.x) + c*float64(pa.y) + ty
			dx, dy := x-float64(pb.x), y-float64(pb.y)
			if dx*dx+dy*dy > inlierDist*inlierDist {
				continue
			}
			ax, ay := float64(pa.x)-max1, float64(pa.y)-may1
			bx, by := float64(pb.x)-mbx, float64(pb.y)-mby
			sdot += ax*bx + ay*by
			scross += ax*by - ay*bx
		}
		rot = math.Atan2(scross, sdot)
		c, s = math.Cos(rot), math.Sin(rot)
		tx = mbx - (c*max1 - s*may1)
		ty = mby - (s*max1 + c*may1)
	}
	al := makeAlignment(rot, tx, ty)
	v, matched := m.countUnder(a, b, al)
	// Refit on all the pairs the first alignment found: the seed and the
	// relaxation's pairs sit in one part of the print, and skin
	// distortion bends the rest, so a fit over the whole common area
	// pairs more of it.
	for it := 0; it < refits && matched >= minRefit && v >= refitShare*floor; it++ {
		var n, max1, may1, mbx, mby float64
		for k := 0; k < matched; k++ {
			pa, pb := &a.m[m.pairA[k]], &b.m[m.pairB[k]]
			max1 += float64(pa.x)
			may1 += float64(pa.y)
			mbx += float64(pb.x)
			mby += float64(pb.y)
			n++
		}
		max1, may1, mbx, mby = max1/n, may1/n, mbx/n, mby/n
		var sdot, scross float64
		for k := 0; k < matched; k++ {
			pa, pb := &a.m[m.pairA[k]], &b.m[m.pairB[k]]
			ax, ay := float64(pa.x)-max1, float64(pa.y)-may1
			bx, by := float64(pb.x)-mbx, float64(pb.y)-mby
			sdot += ax*bx + ay*by
			scross += ax*by - ay*bx
		}
		r := math.Atan2(scross, sdot)
		cr, sr := math.Cos(r), math.Sin(r)
		al2 := makeAlignment(r, mbx-(cr*max1-sr*may1), mby-(sr*max1+cr*may1))
		v2, matched2 := m.countUnder(a, b, al2)
		if v2 <= v {
			break
		}
		v, matched, al = v2, matched2, al2
	}
	return v, al
}

// refits is how many times the alignment is fitted again to the pairs it
// found, at least minRefit of them.
const (
	refits     = 2
	minRefit   = 6
	refitShare = 0.5
)

func makeAlignment(rot, tx, ty float64) alignment {
	drot := uint16(int16(math.Round(rot * 65536 / (2 * math.Pi))))
	return alignment{c: float32(math.Cos(rot)), s: float32(math.Sin(rot)), tx: float32(tx), ty: float32(ty), rot: drot}
}

// bView is b as countUnder reads it, made once per comparison by
// loadB: positions as float32 and a grid of square cells, each listing
// the minutiae of the 3 x 3 cells around it (the cells are wider than
// overlapDist, so a point's own cell lists every minutia near it).
type bView struct {
	x, y [MaxMinutiae]float32
	// The grid: cells of side g pixels from (x0, y0), cols x rows of
	// them, row by row; the minutiae around cell c are
	// idx[start[c]:start[c+1]], by index.
	x0, y0     float32
	inv        float32 // 1/g
	cols, rows int
	start      [(gridMax+2)*(gridMax+2) + 1]uint16
	idx        [9 * MaxMinutiae]uint8
}

// The grid's cells are at least gridCell pixels wide (more than
// overlapDist, with a pixel to spare for rounding) and at most gridMax a
// side.
const (
	gridCell = 37
	gridMax  = 32
)

// loadB fills m.bv from b.
func (m *Matcher) loadB(b *Template) {
	v := &m.bv
	nb := int(b.n)
	if nb == 0 {
		v.cols, v.rows = 0, 0
		return
	}
	minX, maxX, minY, maxY := int(b.m[0].x), int(b.m[0].x), int(b.m[0].y), int(b.m[0].y)
	for j := 0; j < nb; j++ {
		x, y := int(b.m[j].x), int(b.m[j].y)
		v.x[j], v.y[j] = float32(x), float32(y)
		minX, maxX = min(minX, x), max(maxX, x)
		minY, maxY = min(minY, y), max(maxY, y)
	}
	g := max(gridCell, (maxX-minX)/gridMax+1, (maxY-minY)/gridMax+1)
	// A border of one cell all round: every minutia's 3 x 3 cells are in
	// the grid, and a point up to a cell outside b's minutiae has a cell.
	v.x0, v.y0, v.inv = float32(minX-g), float32(minY-g), 1/float32(g)
	cols, rows := (maxX-minX)/g+3, (maxY-minY)/g+3
	v.cols, v.rows = cols, rows
	nc := cols * rows
	start := v.start[:nc+1]
	for c := range start {
		start[c] = 0
	}
	// Each minutia is listed by the cells around its own: count, sum,
	// place (each cell's start moves on), move the starts back. A
	// minutia's cell is found as near finds a point's (the same float32
	// arithmetic).
	var cell [MaxMinutiae]int
	for j := 0; j < nb; j++ {
		cx := min(max(int((v.x[j]-v.x0)*v.inv), 1), cols-2)
		cy := min(max(int((v.y[j]-v.y0)*v.inv), 1), rows-2)
		k := cy*cols + cx
		cell[j] = k
		for _, r := range [3]int{k - cols, k, k + cols} {
			start[r]++
			start[r+1]++
			start[r+2]++
		}
	}
	// start[c+1] counted cell c: sum into where each cell begins.
	for c := 1; c <= nc; c++ {
		start[c] += start[c-1]
	}
	for j := 0; j < nb; j++ {
		k := cell[j]
		for _, r := range [3]int{k - cols, k, k + cols} {
			// The row's three cells at once: their starts are read,
			// then written, rather than each waiting on the last
			// one's store (a tenth off loadB on DB4_B).
			s0, s1, s2 := start[r-1], start[r], start[r+1]
			v.idx[s0], v.idx[s1], v.idx[s2] = uint8(j), uint8(j), uint8(j)
			start[r-1], start[r], start[r+1] = s0+1, s1+1, s2+1
		}
	}
	for c := nc; c > 0; c-- {
		start[c] = start[c-1]
	}
	start[0] = 0
}

// near returns the minutiae of b listed by the cell of (x, y): every one
// within gridCell-1 pixels of it, and others; none when the point is
// further than that from the grid.
func (v *bView) near(x, y float32) []uint8 {
	qx, qy := (x-v.x0)*v.inv, (y-v.y0)*v.inv
	if !(qx >= 0 && qx < float32(v.cols) && qy >= 0 && qy < float32(v.rows)) {
		return nil
	}
	k := int(qy)*v.cols + int(qx)
	return v.idx[v.start[k]:v.start[k+1]]
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// countUnder pairs the minutiae of a carried into b's frame by al greedily
// by distance and scores the pairs against the common area; it leaves the
// pairs in m.pairA, m.pairB and returns their number. m.bv must hold b
// (loadB).
//
// Each minutia of a, in order, pairs with the nearest (the first by
// index among equally near) unpaired minutia of b within pairRadius and
// pairAngle; it is in the common area when some minutia of b is within
// overlapDist, as b's is when some of a's is, and counts there by its
// reliability. What counts as within
// overlapDist: the float32 squared distance at most overlapDist squared
// and b's x within overlapDist of a's (as float32 sums): the window of
// b's minutiae sorted by x that this code first scanned. The minutiae
// near a point are tested without a branch on the outcome.
func (m *Matcher) countUnder(a, b *Template, al alignment) (float64, int) {
	na, nb := int(a.n), int(b.n)
	cf, sf, txf, tyf, drot := al.c, al.s, al.tx, al.ty, al.rot
	for i := 0; i < na; i++ {
		pa := &a.m[i]
		m.tx[i] = cf*float32(pa.x) - sf*float32(pa.y) + txf
		m.ty[i] = sf*float32(pa.x) + cf*float32(pa.y) + tyf
		m.ta[i] = pa.a + drot
	}
	var used, overB [MaxMinutiae]uint64 // 0 or 1
	bv := &m.bv
	// Greedy pairing, nearest first per minutia of a; overlap counts.
	matched := 0
	var wmatched, overA float32
	const r2 = pairRadius * pairRadius
	const o2 = overlapDist * overlapDist
	// The best candidate is the least key: the squared distance's bits
	// (non-negative floats order as their bits) then the index. Keys
	// from pairRadius on never win.
	noKey := uint64(math.Float32bits(r2)) << 8
	for i := 0; i < na; i++ {
		tx, ty, ta := m.tx[i], m.ty[i], m.ta[i]
		xmin, xmax := tx-float32(overlapDist), tx+float32(overlapDist)
		best := noKey
		var inA uint64
		for _, j8 := range bv.near(tx, ty) {
			j := int(j8)
			x := bv.x[j]
			dx, dy := tx-x, ty-bv.y[j]
			d := dx*dx + dy*dy
			in := b2u(d <= o2) & b2u(x >= xmin) & b2u(x <= xmax)
			inA |= in
			overB[j] |= in
			ok := in &^ used[j] & b2u(absAngleBits(int16(ta-b.m[j].a)) <= pairAngle>>6)
			key := uint64(math.Float32bits(d))<<8 | uint64(j) | (ok - 1)
			best = min(best, key)
		}
		overA += float32(inA) * reliability[a.m[i].flags>>relShift]
		if best < noKey {
			bestJ := int(best & 0xff)
			used[bestJ] = 1
			m.pairA[matched], m.pairB[matched] = uint8(i), uint8(bestJ)
			matched++
			wmatched += typeAgreement(a.m[i].flags, b.m[bestJ].flags) * descWeight(a.descriptor(i), b.descriptor(bestJ))
		}
	}
	var overBn float32
	for j := 0; j < nb; j++ {
		overBn += float32(overB[j]) * reliability[b.m[j].flags>>relShift]
	}
	if matched == 0 {
		return 0, 0
	}
	w := float64(wmatched)
	mo := overlapFloor(na, nb)
	return w * w / (max(float64(overA), mo) * max(float64(overBn), mo)), matched
}

// The least count of minutiae in the common area is a third of the
// smaller template's minutiae, from minOverlapSmall to minOverlap: a
// small print (a small sensor, or a partial impression) has few minutiae
// in any overlap, and the fixed floor of 8 held its genuine pairs down
// while the few minutiae of a large print's chance overlap still count
// against the full floor. Chosen on FVC2002 DB1_B and DB2_B whole and
// cropped to 260x300 and 220x260 (EER/FNMR@1%/FNMR@0.1% sums over the
// six sets, templates of 4297257): fixed 8: 41.53/57.50/74.29; fixed 7:
// 41.09/56.79/73.93; fixed 6: 40.09/55.71/75.00 and fixed 5:
// 39.47/56.07/73.57, both with DB2_B's FNMR@1% 1.43 -> 2.14 and 2.86;
// a third from 4: 38.75/55.00/73.57 with DB1_B and DB2_B whole no worse
// (a half from 5 39.61/55.36/74.29, a third from 5 39.38/54.64/74.29,
// from 4.5 39.38/55.36/73.21, a fourth or fifth from 5 39.40/55.00/73.93
// and 39.40/55.36/73.57). Lowered from 4 to 3 with the rescue's
// second alignment and seeds (rescue.go, which gives the figures): with
// the rescue's alignments the few pairs of a small overlap are more
// often the right ones.
const (
	minOverlapSmall = 3
	overlapDivisor  = 3 // minutiae of the smaller template per minutia of the floor
)

func overlapFloor(na, nb int) float64 {
	return floorReliability * min(max(float64(min(na, nb))/overlapDivisor, minOverlapSmall), minOverlap)
}

// typeAgreement is what a pair of minutiae with these flags adds to the
// matched count: 1, or typeMismatch when both types are known and differ
// (pressure turns an ending into a fork now and then, so a mismatch is
// weak evidence, not none).
func typeAgreement(fa, fb uint8) float32 {
	ta, tb := fa&flagTypes, fb&flagTypes
	if ta != 0 && tb != 0 && ta != tb {
		return typeMismatch
	}
	return 1
}

// Reliability: the common area counts each of its minutiae by how
// reliable the extractor found it, so that an unpaired minutia of blurred
// or broken skin holds the score down less than a clear one. A minutia
// of quality q (biometric.Minutia.Quality, 1-100: for biometric/extract
// the flow's coherence and the ridges' clarity around it) counts
// relMin + (1-relMin)*min(q, relFull)/relFull: 0.5 at quality 1, 1 from
// quality 50 on; a template that states no quality (0) counts every
// minutia fully. The pairs count as before (their reliability as a pair
// weight gained nothing, README), and the common area's floor
// (overlapFloor) is floorReliability of the minutiae it stood for, about
// the reliability of a mean minutia.
//
// Why: of the minutiae of one print that lie well inside the other under
// a confident genuine alignment (FVC2002 DB1_B and DB2_B, score over
// ThresholdFMR1e3, 1,088 ordered pairs), 56% of those of quality under
// 20 are paired against 92% at 100; the ones left unpaired mostly have
// no minutia of the other print near them at all (of 6,160 unpaired,
// 239 have one within 8 px and 30° under a fit to the pairs, every one
// of those already paired with another minutia; 201 have one within 8
// px turned more than 30°, 115 of them turned 150-180°), so it is their
// count, not the pairing, that an unreliable extraction spoils.
//
// Chosen on FVC2002 DB1_B and DB2_B, whole and centre-cropped to 260x300
// and 220x260 (EER + FNMR@1% + FNMR@0.1% summed over DB1_B and DB2_B
// whole / over all six sets; templates of 9576fab): before 8.14 /
// 162.44; relMin 0.5, relFull 50, floorReliability 0.8: 6.41 / 159.61
// (DB1_B 0.12/0.00/0.71 -> 0.00/0.00/0.00, DB2_B 1.23/1.79/4.29 ->
// 1.06/1.07/4.29; 159.26 before the quality was kept in 26 levels).
// A plateau around it: relMin 0.4-0.6, relFull 30-100, floor 0.6-0.8
// gave 6.41-7.20 / 158.6-163.0; at its edges relMin 0.7 (7.21-7.54 /
// 159.3-161.1), floor 0.9 (7.18 / 159.34). The floor left at full
// count: 7.27-10.33 / 160.6-166.8; the floor lowered alone (0.7, 0.85,
// every minutia counting fully): 8.33-8.37 / 164.1-164.4; the pairs
// counting their minutiae's reliability too (each side's own, the
// pair's geometric mean or least): 8.30-10.33 / 163.5-167.9.
const (
	relMin           = 0.5
	relFull          = 50
	floorReliability = 0.8
	// Quality is kept in relLevels+1 levels (0 .. relLevels) in a
	// minutia's flags.
	relLevels = 25
)

// reliability[l] is what a minutia of reliability level l counts in the
// common area.
var reliability [256 >> relShift]float32

func init() {
	for l := range reliability {
		reliability[l] = float32(relMin + (1-relMin)*math.Min(float64(l), relLevels)/relLevels)
	}
}

// reliabilityLevel maps a minutia's quality to its level, 0 to
// relLevels: quality 0 (not stated) is the full level.
func reliabilityLevel(q uint8) uint8 {
	if q == 0 {
		return relLevels
	}
	return uint8(min(int(q), relFull) * relLevels / relFull)
}
