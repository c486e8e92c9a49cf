package match

import "math"

// Ridge rescue: alignments that the minutiae cannot find, judged by the
// ridges alone. When the smaller of the two prints' ridge maps has at most
// rescueMaxCells cells with a sample (a small sensor's image or a partial
// impression), each of the rescueCandidates pairs of minutiae (one of a,
// one of b, turned at most rescueTurn apart) whose orientation descriptors
// agree best (rescueKey) aligns the two prints by itself, the smaller
// print's minutia onto the other's and direction onto direction. Each
// such alignment is looked at roughly (R' over a quarter of the smaller
// print's cells, the coarse shifts only); the best of them,
// when it reaches rescueScreen, is read in full (ridgeAgreement, R' = R n
// / (n + ridgeN0) over at least rescueMinCells cells), and what it has
// above rescueFloor, times rescueWeight, is added to the score before the
// squash. Below the floor it adds nothing, so most impostor pairs score as
// before.
//
// Why: on FVC2002 DB1_B and DB2_B cropped to small-sensor size (centred
// 260x300 and 220x260, 200x200 and 240x240 around the minutiae's
// centroid), most genuine pairs that fail at FMR 1% are aligned wrongly,
// and not by a little: under the whole images' alignment carried into the
// crops they lie 50-400 pixels and often 20-90 degrees away from the
// consolidation's. Where the crops overlap under that alignment the ridges
// agree (R 0.4-0.96 over 15-100 cells), but the two crops mostly hold
// 1-4 minutiae that pair there (in the crops' extraction as in the whole
// images', so it is the overlap, not the extractor, that is short of
// minutiae): no consolidation of local pairs finds that alignment. More
// seeds (3-8), more local pairs for small templates (14-24) or a search
// of +-3-6 degrees and +-3-6 pixels around the chosen alignment by its R
// changed the sum of EER + FNMR@1% + FNMR@0.1% over the ten tuning sets
// below by -2.1 to +4.8 (245.71 without) and mostly made the whole sets
// worse (up to 6.56 against 5.74): they raised impostor scores with the
// genuine ones. A single pair of minutiae of the few the overlap holds
// does align the prints, roughly; its descriptors (the flow around it)
// pick it out of the pairs, and the ridges then tell it from the chance
// alignments of two fingers: the best R' of the alignments of every pair
// turned at most 22.5 degrees has a median of 0.16-0.17 and a 99th
// percentile of 0.24-0.26 over the impostor pairs of DB2_B and of DB1_B's
// and DB2_B's 220x260 crops, and 20 of the crops' 87 genuine pairs that
// fail at FMR 1% lie above that.
//
// The gate keeps the cost where it pays: on DB1_B and DB2_B whole the
// rescue changed no figure even where it was read for every pair (the
// minutiae align large prints), and it costs about as much again as the
// rest of a comparison. Pairs with a print of at most rescueMaxCells
// cells pay it: of the tuning prints, every crop of 220x260 pixels and
// smaller, 57 and 28 of the 80 of 260x300 (DB1_B, DB2_B), 25 and 5 of
// the 80 whole images.
//
// Chosen on FVC2002 DB1_B and DB2_B whole and cropped (the eight crops
// above, each set's every genuine and impostor pair; sum of EER + FNMR@1%
// + FNMR@0.1% over DB1_B and DB2_B whole / over all ten sets; 5.74 /
// 245.71 without): 3 candidates, 22.5 degrees, floor 0.25, weight 0.1,
// screen 0.2, gate 260 cells: 5.74 / 221.59 (DB1_B 220x260 5.70/8.21/
// 10.00 -> 5.00/7.14/9.29, DB2_B 220x260 16.78/22.86/25.71 ->
// 15.16/20.00/22.14, DB1_B 200x200 11.78/13.21/14.29 -> 10.00/11.43/12.86,
// DB2_B 200x200 7.85/9.29/11.43 -> 5.70/8.21/10.36, DB2_B 240x240
// 5.00/6.79/8.57 -> 3.93/5.71/7.86; both whole sets and DB1_B 260x300
// unchanged). Over the eight crops' 23,040 impostor pairs, 154 reach
// ThresholdFMR1e3 against 152 without and 37 ThresholdFMR1e4 as
// without, while 218 of their 2,240 genuine pairs stay under
// ThresholdFMR1e3 against 244. Around it: floor 0.22 219.99, 0.28
// 227.97; weight 0.05 226.95, 0.2 220.90; 15 and 30 degrees 221.38 and
// 221.59; gates of 240 and 300 cells 221.95 and 220.51; screen 0.15
// 221.59, 0.25 225.50; 2 candidates 226.07, 4 219.27 (but DB4_B's pairs
// 6-8% slower in BenchmarkCompareFVC); 4 candidates ranked by descWeight,
// which clamps at 1, 226.13, and reading the larger print's cells
// instead, 227.50 (and slower). Without the gate and the screen: pairs
// turned up to 90 degrees 238.1 (impostors find a chance alignment among
// the many); the candidates read only within 64-96 pixels of their
// minutia 229.1-239.3 with DB1_B whole worse; read to the end on half or
// a quarter of the cells 228.6 and 260.7-325.6.
//
// The recount: the rescue's alignment, when it was read in full and its
// R' is at least recountMinR, is also judged by the minutiae
// (rescueRecount): countUnder's score under it, times the local pairs'
// lss, the rotation prior and the ridge factor of its R', as the
// consolidation's own alignment is judged; Compare keeps the larger of
// the two (the rescue's own term is added as before). Why: the
// rescue's term reaches ThresholdFMR1e3 by itself only from an R' of
// about 0.28 on (0.1 x 0.033), and a right alignment of a small overlap often
// falls short of it (R' shrinks with the overlap's cells); the minutiae
// that pair under it were left to the consolidation, which had not
// found that alignment. With them to confirm an alignment, more
// candidates gain more: 3, 4 and 5 below 216.93, 214.46 and 210.51,
// against 221.59, 219.27 and (at a screen of 0.15) 216.82 without the
// recount. Chosen on the same ten sets (5.74 / 221.59 before): 5
// candidates, recountMinR 0.2, lss as the factor: 5.36 / 210.51 (DB2_B
// whole 0.72/0.71/4.29 -> 0.70/0.36/4.29, DB2_B 260x300 10.00/12.86/
// 16.07 -> 9.66/13.21/16.07, DB2_B 220x260 15.16/20.00/22.14 ->
// 14.28/19.29/22.14, DB1_B 200x200 10.00/11.43/12.86 -> 8.93/10.00/
// 11.07, DB2_B 200x200 5.70/8.21/10.36 -> 5.79/7.14/9.29, DB1_B 240x240
// 2.50/3.21/4.64 -> 2.57/3.57/4.64, DB2_B 240x240 3.93/5.71/7.86 ->
// 3.20/4.64/6.43; DB1_B whole, 260x300 and 220x260 unchanged). Around
// it: 3 and 4 candidates 216.93 and 214.46; recountMinR 0.17 210.28,
// 0.25 213.64 (DB2_B whole back to 5.74's); lss times 1.15 212.53; a
// gate of 300 cells 209.76 (and dearer). Without recountMinR, 3
// candidates 218.38, 5 with a screen of 0.15 210.16 but DB1_B whole's
// EER 0.02 -> 0.04 (an impostor pair over the lowest genuine one); the
// alignment refitted to the pairs it finds (2-4 of them at least)
// 209.6-219.2, within 0.6 of the same without; a fixed factor of 0.03, 0.1, 0.3
// instead of lss 225.1, 298.5, 464.7; every candidate over a screen of
// 0.15 read in full and recounted (of 5: 206.39, whole sets 5.03, but
// DB1_B whole's EER 0.04 and DB3_B and DB4_B's pairs about 55% dearer in
// BenchmarkCompareFVC); 5
// candidates with the ridges' term alone 216.82; the recount alone,
// without the rescue's term, 224.71.
//
// Two alignments read, the seeds among the candidates, a lower floor:
// the best two screened alignments (both at least rescueScreen) are read
// in full, the larger R' gives the rescue's term, and the minutiae are
// counted under each with an R' of at least recountMinR (Compare keeps
// the largest score); the consolidation's seeds (its local pairs of
// highest relaxed similarity, global.go), turned at most rescueTurn, are
// screened as candidates too, after the rescueCandidates of the
// descriptors; and the common area's least count for small templates
// (minOverlapSmall, global.go) is 3 minutiae instead of 4. Why (the
// reasoning, not measured pair by pair): the screen reads a quarter of
// the cells and ranks close alignments loosely, so the right one may
// come second; the seeds' alignments had been judged by the minutiae
// alone, not by the ridges; and a small overlap's few pairs, once the
// alignment is right, were held down by the floor of 4. On DB1_B cut to
// 200x200 around the minutiae (fingers 101-103, 24 crops), 174 of the
// 552 ordered pairs have a second alignment read, and in 20 it gives
// the score (TestRidgeRescueSecondAlignment). No one of the three
// gained much alone; together they did. Chosen on
// the ten tuning sets above (5.36 / 210.51 before): 5.36 / 206.46
// (DB2_B 260x300 9.66/13.21/16.07 -> 9.28/13.57/16.43, DB2_B 220x260
// 14.28/19.29/22.14 -> 13.93/18.93/21.79, DB1_B 200x200 8.93/10.00/11.07
// -> 8.56/9.29/10.71, DB2_B 200x200 5.79/7.14/9.29 -> 5.70/6.79/8.93,
// DB2_B 240x240 3.20/4.64/6.43 -> 3.20/4.29/5.71; both whole sets, DB1_B
// 260x300, 220x260 and 240x240 unchanged). Alone: the second read 209.31
// (208.95 with its R' in the term), the seeds 209.08, the floor of 3
// 209.80 (5: 212.89; a divisor of 4 instead of 3 210.69). Around it: one seed 207.89, a floor of 2.5 and 3.5 206.09
// and 206.85, the second read from a screen of 0.18 or 0.22 (alone)
// 208.70 and 209.36, the second's R' left out of the term 206.82, the
// 3 local pairs of highest relaxed similarity at any turn, alone,
// 209.40; 3 and 4 instead of the 2 seeds 206.46 (with the rest) and
// 211.23 (alone); 6 and 8 descriptor candidates (alone) 209.76 and
// 210.16. It costs DB4_B about 3-6% (README).
// The cores: when both prints have a core (biometric/extract's singular
// points; a prepared template keeps at most maxCores), the alignment that
// lays a core of the smaller print on one of the other's, direction (the
// side its loop opens on) onto direction, is screened as a rescue
// candidate after the descriptors' and the seeds', for each pair of cores
// turned at most coreTurn apart, and coreFan turns of coreFanStep either
// side of it. And when, under the alignment that gave the score, a core
// of one print lies within coreNear pixels of a core of the other, the
// minutiae's score counts coreBonus more (coresMeet). Why: small prints'
// genuine pairs fail where they share 1-4 minutiae, and a core is a point
// with a direction, as a pair of minutiae is, that two views of a finger
// share wherever both hold it. On the eight crops below, of the 195
// genuine pairs under ThresholdFMR1e3 (0.00371 then), 69 have a core in
// both crops, and in 47 these are the same core (within 24 pixels under
// the whole images' alignment carried into the crops): at most what this
// can lift (of cores of confidence 50 or more: 22 and 19).
// Impostor pairs have cores too, so the bonus is small, and nothing
// counts against an alignment whose cores do not meet: a core found a
// block or two off its place, or only in one print, is common.
//
// Chosen on the ten tuning sets (FVC2002 DB1_B and DB2_B whole and the
// eight crops; EER + FNMR@1% + FNMR@0.1% over the two whole sets / all
// ten, 5.36 / 202.22 before) and on the eight crops cut at seven shifts
// besides the standard cut (`--crop-shift` 1,0 -1,0 0,1 0,-1 2,0 -2,0
// 0,-2; the crops' sum, whole sets left out, meaned over the eight cuts:
// 205.33 before), because the sum moves by 5-15 when a crop is cut a
// pixel elsewhere: 2 cores, 45°, no fan, coreNear 15, coreBonus 0.2:
// 5.35 / 198.60, mean 202.78, each of the eight cuts better (by
// 0.27-4.11). The candidates alone (no bonus): 5.36 / 200.22, mean
// 203.89 (8 of 8 better); turned at most 22.5° or 90° instead of 45°:
// 200.22 both, means 204.07 and 203.89; one core a print: 200.22, mean
// 203.98; cores of confidence 40 or more only: 201.29, mean 204.02; a
// fan of 10° either side: 200.27, mean 203.28 (3 screens a pair of cores
// instead of 1); the deltas' alignments too (each of 3 turns): 200.22,
// mean 203.83; the core's alignment instead of the descriptors' fifth
// candidate: 201.55, mean 204.55. With the candidates, a bonus of 0.1,
// 0.2, 0.3 (and a test, since dropped as needless, that each core lies
// in the other print's ridge map): 198.97, 198.46, 198.64, means 203.09,
// 202.86, 202.60; 0.1 with the fan 199.36, mean 202.75; 0.1 on the
// rescue's own term too: the same as without. A penalty where both
// prints' cores lie in the common area and do not meet within 30 pixels
// (×0.5 with a bonus of 0.1, ×0.75 without) made DB2_B whole worse (5.36 -> 5.76) and the sums
// too (201.50 and 201.34, means 204.78 and 204.52); the same judgement
// without the candidates 203.02: a core found a block or two off, or
// missed in one print, is common. DB3_B and DB4_B were run once after
// the decision (README).
const (
	rescueCandidates = 5
	rescueTurn       = 4096 // 22.5°, in 1/65536 turn
	rescueFloor      = 0.25
	rescueWeight     = 0.1
	rescueScreen     = 0.2
	rescueMinCells   = 15
	rescueMaxCells   = 260
	recountMinR      = 0.2  // the least R' of the rescue's alignment that the minutiae are counted under
	coreTurn         = 8192 // 45°, in 1/65536 turn
	coreFan          = 0
	coreFanStep      = 1820 // 10°
	coreNear         = 15   // pixels
	coreBonus        = 0.2
)

// coresMeet reports whether alignment al (a's frame onto b's) lays a core
// of a within coreNear pixels of a core of b.
func coresMeet(a, b *Template, al alignment) bool {
	for i := 0; i < int(a.ncores); i++ {
		c := &a.cores[i]
		x, y := float32(c.x), float32(c.y)
		px, py := al.c*x-al.s*y+al.tx, al.s*x+al.c*y+al.ty
		for j := 0; j < int(b.ncores); j++ {
			dx, dy := px-float32(b.cores[j].x), py-float32(b.cores[j].y)
			if dx*dx+dy*dy <= coreNear*coreNear {
				return true
			}
		}
	}
	return false
}

// ridgeRescue returns what the ridges alone add to the score of a and b
// (see above); 0 when either has no ridge map or both are large.
func (m *Matcher) ridgeRescue(a, b *Template) float64 {
	if a.ridge.cols == 0 || b.ridge.cols == 0 || min(a.ridge.cells, b.ridge.cells) > rescueMaxCells {
		return 0
	}
	// The alignments read a's cells: those of the smaller print, at
	// most all of the overlap and the least cost.
	swapped := b.ridge.cells < a.ridge.cells
	if swapped {
		a, b = b, a
	}
	nc := m.rescueCandidates(a, b)
	// A quarter of the cells: a quarter of the overlap and of the least
	// overlap and the shrink's n0.
	ns := a.ridge.sites(&m.rsites, true)
	var best [2]float64
	var bestAl [2]alignment
	nq := nc + m.nSeeds
	nk := int(a.ncores) * int(b.ncores) * (2*coreFan + 1)
	var ca, cb minutia
	for q := 0; q < nq+nk; q++ {
		var sa, sb *minutia
		switch {
		case q >= nq:
			// The cores' alignments, coreFan turns of coreFanStep
			// either side of the cores' own.
			k := q - nq
			f := k%(2*coreFan+1) - coreFan
			k /= 2*coreFan + 1
			ca, cb = a.cores[k/int(b.ncores)], b.cores[k%int(b.ncores)]
			if absAngleBits(int16(cb.a-ca.a)) > coreTurn>>6 {
				continue
			}
			cb.a += uint16(int16(f * coreFanStep))
			sa, sb = &ca, &cb
		case q < nc:
			sa, sb = &a.m[m.rescueA[q]], &b.m[m.rescueB[q]]
		case swapped:
			sa, sb = &a.m[m.seedB[q-nc]], &b.m[m.seedA[q-nc]]
		default:
			sa, sb = &a.m[m.seedA[q-nc]], &b.m[m.seedB[q-nc]]
		}
		rot := sb.a - sa.a
		if q >= nc && q < nq && absAngleBits(int16(rot)) > rescueTurn>>6 {
			continue
		}
		c, s := cosTab[rot>>6], sinTab[rot>>6]
		ax, ay := float32(sa.x), float32(sa.y)
		al := alignment{c: c, s: s, tx: float32(sb.x) - (c*ax - s*ay), ty: float32(sb.y) - (s*ax + c*ay), rot: rot}
		n, ni := m.ridgeOverlap(&m.rsites, ns, b, al)
		if n < rescueMinCells/4 {
			continue
		}
		r := float64(ridgeBestSum(&m.ritems, ni, true)) / float64(n)
		if v := r * float64(n) / (float64(n) + ridgeN0/4); v > best[0] {
			best[1], bestAl[1] = best[0], bestAl[0]
			best[0], bestAl[0] = v, al
		} else if v > best[1] {
			best[1], bestAl[1] = v, al
		}
	}
	// The best two over rescueScreen are read in full; the larger R'
	// gives the rescue's term.
	rp := 0.0
	for k := 0; k < 2 && best[k] >= rescueScreen; k++ {
		n, ni := m.ridgeOverlap(&m.rsites, a.ridge.sites(&m.rsites, false), b, bestAl[k])
		if n < rescueMinCells {
			continue
		}
		r := float64(ridgeBestSum(&m.ritems, ni, false)) / float64(n)
		r *= float64(n) / (float64(n) + ridgeN0)
		i := m.rescueRead
		m.rescueR[i], m.rescueAl[i] = r, bestAl[k]
		if swapped {
			m.rescueAl[i] = bestAl[k].inverse()
		}
		m.rescueRead++
		rp = max(rp, r)
	}
	return rescueWeight * max(rp-rescueFloor, 0)
}

// rescueRecount is the minutiae's score under the rescue's k-th
// alignment (m.rescueAl[k], which ridgeRescue read in full):
// countUnder's, times the local pairs' lss as the consolidation's is,
// the rotation prior and the ridge factor of the rescue's R' (ridge.go).
// Compare keeps the largest of these and the consolidation's; see
// recountMinR.
func (m *Matcher) rescueRecount(a, b *Template, k int, lss float64) float64 {
	al := m.rescueAl[k]
	v, _ := m.countUnder(a, b, al)
	return v * lss * rotPrior(al.rot) * math.Exp(ridgeK*(max(m.rescueR[k], 0)-ridgeCentre))
}

// inverse is the alignment that maps b's frame onto a's: x = Rᵀ(x' - t).
func (t alignment) inverse() alignment {
	return alignment{c: t.c, s: -t.s, tx: -(t.c*t.tx + t.s*t.ty), ty: t.s*t.tx - t.c*t.ty, rot: -t.rot}
}

// rescueCandidates writes to m.rescueA and m.rescueB the rescue's
// candidate pairs of minutiae of a and b, best first, and returns their
// number: of the pairs turned at most rescueTurn apart, the
// rescueCandidates of the best rescueKey, the first found among equals
// (a's minutiae by index, for each b's by direction from a's direction
// minus rescueTurn on).
//
// It runs for nearly every pair of small prints (6,110 of DB4_B's 6,320
// ordered pairs pass the gate), and was a third of the rescue's time
// there: the keys are compared as fractions, s1/n1 > s2/n2 as s1 n2 > s2
// n1, without a division (the same order as the float32 quotients they
// were first compared as, which tell every two of these fractions apart:
// sums of at most 8*255 over counts of at most 8), each descriptor's
// codes are spread once per minutia (spreadNibbles), and each window
// starts from a table of directions instead of a binary search.
func (m *Matcher) rescueCandidates(a, b *Template) int {
	var cs, cn [rescueCandidates]uint32
	var ci, cj [rescueCandidates]uint8
	nc := 0
	na, nb := int(a.n), int(b.n)
	// b's minutiae by direction, twice round, so that the window of each
	// of a's minutiae is one run; first[v] is the first of them turned at
	// least v/rescueBuckets of a turn (nb when none is).
	var ang [2 * MaxMinutiae]uint16
	var idx [2 * MaxMinutiae]uint8
	var desc [2 * MaxMinutiae]uint64
	var first [rescueBuckets]uint8
	v := 0
	for s := 0; s < nb; s++ {
		j := b.byAngle[s]
		ang[s], idx[s], desc[s] = b.m[j].a, j, spreadNibbles(b.descriptor(int(j)))
		for last := int(ang[s]) >> rescueBucketShift; v <= last; v++ {
			first[v] = uint8(s)
		}
	}
	for ; v < rescueBuckets; v++ {
		first[v] = uint8(nb)
	}
	copy(ang[nb:2*nb], ang[:nb])
	copy(idx[nb:2*nb], idx[:nb])
	copy(desc[nb:2*nb], desc[:nb])
	for i := 0; i < na; i++ {
		da := spreadNibbles(a.descriptor(i)) << 4
		lo := a.m[i].a - rescueTurn
		// From the first of b's minutiae turned at least lo (or the
		// first of all when none is), while within 2*rescueTurn of lo.
		s0 := int(first[lo>>rescueBucketShift])
		for s0 < nb && ang[s0] < lo {
			s0++
		}
		for s := s0; s < s0+nb && ang[s]-lo <= 2*rescueTurn; s++ {
			ws, wn := rescueKey(da | desc[s])
			if nc == rescueCandidates && uint64(ws)*uint64(cn[nc-1]) <= uint64(cs[nc-1])*uint64(wn) {
				continue
			}
			p := min(nc, rescueCandidates-1)
			for p > 0 && uint64(cs[p-1])*uint64(wn) < uint64(ws)*uint64(cn[p-1]) {
				cs[p], cn[p], ci[p], cj[p] = cs[p-1], cn[p-1], ci[p-1], cj[p-1]
				p--
			}
			cs[p], cn[p], ci[p], cj[p] = ws, wn, uint8(i), idx[s]
			nc = min(nc+1, rescueCandidates)
		}
	}
	m.rescueA, m.rescueB = ci, cj
	return nc
}

// The buckets of directions of rescueCandidates' lookup.
const (
	rescueBucketShift = 10
	rescueBuckets     = 65536 >> rescueBucketShift
)

// rescueKey ranks a pair of minutiae as a rescue candidate: the mean
// agreement of their orientation descriptors over the points inside both
// prints (descAgree's units), 0 when fewer than descMinPts are, as the
// sum s and count n of s/n (0/1). Unlike descWeight it is not clamped:
// many pairs reach descWeight's 1, and among them the order of the
// minutiae, not their agreement, picked the candidates. x holds the
// eight points' descAgree indices, a byte each (spreadNibbles).
func rescueKey(x uint64) (s, n uint32) {
	t := &descAgree
	v := t[uint8(x)] + t[uint8(x>>8)] + t[uint8(x>>16)] + t[uint8(x>>24)] +
		t[uint8(x>>32)] + t[uint8(x>>40)] + t[uint8(x>>48)] + t[uint8(x>>56)]
	if v&15 < descMinPts {
		return 0, 1
	}
	return uint32(v >> 4), uint32(v & 15)
}

// spreadNibbles moves the eight 4-bit codes of descriptor d into the low
// halves of the eight bytes of the result: a's shifted left by 4, or-ed
// with b's, are the eight descAgree indices of a pair, made once per
// minutia rather than once per pair.
func spreadNibbles(d uint32) uint64 {
	x := uint64(d)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	return (x | x<<4) & 0x0f0f0f0f0f0f0f0f
}
