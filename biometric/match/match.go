package match

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"

	"checkpost/biometric"
)

// MaxMinutiae is the most minutiae a prepared template keeps (those of
// highest quality): it bounds the prepared form's size and the comparison's
// time. Good 500 ppi plain impressions have 30-60.
const MaxMinutiae = 48

// ErrTooFewMinutiae is returned by Prepare for a template with fewer than
// MinMinutiae minutiae: such a print cannot be compared meaningfully.
var ErrTooFewMinutiae = errors.New("match: too few minutiae")

// MinMinutiae is the fewest minutiae a template needs to be prepared.
const MinMinutiae = 3

// Minutia flags: the cylinder is usable; the type when the source states
// it (none for "other"); in the bits from relShift on, the minutia's
// reliability level (reliabilityLevel).
const (
	flagCylinder    = 1
	flagEnding      = 2
	flagBifurcation = 4
	flagTypes       = flagEnding | flagBifurcation
	relShift        = 3
)

// minutia is a minutia in the matcher's frame: 500 ppi pixels, y up (so
// angles are counter-clockwise as in biometric.Minutia), angle in 1/65536
// of a turn.
type minutia struct {
	x, y  int16
	a     uint16
	flags uint8
	_     uint8
}

func (m *minutia) angle() float64 { return float64(m.a) * (2 * math.Pi / 65536) }

// Template is a fingerprint template prepared for comparison: at most
// MaxMinutiae minutiae with their local structures, in one fixed-size
// value of about 2 KB with no pointers, so that a 1:N gallery is one flat
// slice. Make it with Prepare; the zero value matches nothing.
type Template struct {
	n uint8
	// byAngle lists the minutiae in order of direction, so that a
	// comparison visits only the pairs turned less than maxAngle apart.
	byAngle [MaxMinutiae]uint8
	m       [MaxMinutiae]minutia
	cyl     [MaxMinutiae * cylStride]uint64
	ridge   ridges
	// cores holds the print's cores (ncores of them, the source's
	// first, its most confident), as minutiae: in their frame, the
	// direction the side the core's loop opens on, flags the
	// confidence (rescue.go).
	cores  [maxCores]minutia
	ncores uint8
}

// maxCores is the number of cores a prepared template keeps (a whorl has
// two).
const maxCores = 2

// Len returns the number of minutiae kept.
func (t *Template) Len() int { return int(t.n) }

// Prepare converts a template into the matcher's form. Coordinates are
// rescaled to 500 ppi when the template states another resolution; when
// the template has more than MaxMinutiae minutiae, those of highest quality
// are kept.
func Prepare(src *biometric.Template) (*Template, error) {
	t := new(Template)
	if err := t.Prepare(src); err != nil {
		return nil, err
	}
	return t, nil
}

// Prepare fills t from src (see the package function Prepare) without
// allocating a new Template.
func (t *Template) Prepare(src *biometric.Template) error {
	*t = Template{}
	if len(src.Minutiae) < MinMinutiae {
		return fmt.Errorf("%w: %d (need %d)", ErrTooFewMinutiae, len(src.Minutiae), MinMinutiae)
	}
	scale := 1.0
	if src.ResolutionPPI > 0 && src.ResolutionPPI != 500 {
		scale = 500 / float64(src.ResolutionPPI)
	}
	ms := make([]biometric.Minutia, len(src.Minutiae))
	copy(ms, src.Minutiae)
	if len(ms) > MaxMinutiae {
		// Highest quality first; among equals, a fixed order of the
		// minutiae themselves, so the kept set does not depend on the
		// order the source listed them in.
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].Quality != ms[j].Quality {
				return ms[i].Quality > ms[j].Quality
			}
			return minutiaLess(&ms[i], &ms[j])
		})
		ms = ms[:MaxMinutiae]
	}
	var descs [MaxMinutiae]uint32
	for i, m := range ms {
		x, y := math.Round(float64(m.X)*scale), math.Round(float64(m.Y)*scale)
		if x < -16000 || x > 16000 || y < -16000 || y > 16000 || math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0) {
			return fmt.Errorf("match: minutia %d: position (%d, %d) or angle %v out of range", i, m.X, m.Y, m.Angle)
		}
		a := math.Mod(m.Angle, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		t.m[i] = minutia{x: int16(x), y: int16(-y), a: uint16(int(math.Round(a*65536/(2*math.Pi))) & 0xffff)}
		descs[i] = m.Orientation
		t.m[i].flags = reliabilityLevel(m.Quality) << relShift
		switch m.Type {
		case biometric.MinutiaEnding:
			t.m[i].flags |= flagEnding
		case biometric.MinutiaBifurcation:
			t.m[i].flags |= flagBifurcation
		}
	}
	t.n = uint8(len(ms))
	// Sorted by x, so that pairing can scan a window of the other print;
	// ties broken by y, direction and flags so that the order (which
	// Compare's tie-breaks follow) depends on the minutiae only, not on
	// the source's order or the sort algorithm.
	sort.Sort(byPosition{t.m[:t.n], descs[:t.n]})
	// The order by direction, equal directions by index: the same
	// stable order UnmarshalBinary and Unpack rebuild, so a template
	// compares the same however it was loaded.
	sortByAngle(t)
	t.buildCylinders(descs[:t.n])
	for _, sp := range src.Singular {
		if sp.Type != biometric.SingularCore || sp.Confidence > 100 || t.ncores == maxCores {
			continue
		}
		x, y := math.Round(float64(sp.X)*scale), math.Round(float64(sp.Y)*scale)
		if x < -16000 || x > 16000 || y < -16000 || y > 16000 || math.IsNaN(sp.Angle) || math.IsInf(sp.Angle, 0) {
			continue
		}
		a := math.Mod(sp.Angle, 2*math.Pi)
		if a < 0 {
			a += 2 * math.Pi
		}
		t.cores[t.ncores] = minutia{x: int16(x), y: int16(-y), a: uint16(int(math.Round(a*65536/(2*math.Pi))) & 0xffff), flags: sp.Confidence}
		t.ncores++
	}
	if err := t.prepareRidges(src, scale); err != nil {
		*t = Template{}
		return err
	}
	return nil
}

// byPosition sorts minutiae with their descriptors by x, then y,
// direction, flags and descriptor.
type byPosition struct {
	m []minutia
	d []uint32
}

func (s byPosition) Len() int { return len(s.m) }
func (s byPosition) Swap(i, j int) {
	s.m[i], s.m[j] = s.m[j], s.m[i]
	s.d[i], s.d[j] = s.d[j], s.d[i]
}
func (s byPosition) Less(i, j int) bool {
	p, q := &s.m[i], &s.m[j]
	switch {
	case p.x != q.x:
		return p.x < q.x
	case p.y != q.y:
		return p.y < q.y
	case p.a != q.a:
		return p.a < q.a
	case p.flags != q.flags:
		return p.flags < q.flags
	}
	return s.d[i] < s.d[j]
}

// minutiaLess is a total order of source minutiae (position, direction,
// type, quality) for tie-breaks.
func minutiaLess(p, q *biometric.Minutia) bool {
	switch {
	case p.Y != q.Y:
		return p.Y < q.Y
	case p.X != q.X:
		return p.X < q.X
	case p.Angle != q.Angle:
		return p.Angle < q.Angle
	case p.Type != q.Type:
		return p.Type < q.Type
	case p.Quality != q.Quality:
		return p.Quality < q.Quality
	}
	return p.Orientation < q.Orientation
}

// Matcher holds the scratch space of comparisons. It is not safe for
// concurrent use: give each goroutine its own. The zero value is ready.
type Matcher struct {
	pairs  [maxRelax + 1]pair           // and a sentinel (localPairs)
	rho    [maxRelax * maxRelax]float32 // per pair, its non-zero compatibilities
	rhoQ   [maxRelax * maxRelax]int8    // and the pairs they are with
	nnz    [maxRelax]uint8
	lambda [2][maxRelax]float32
	eff    [maxRelax]float32
	order  [maxRelax]int8
	tx, ty [MaxMinutiae]float32
	ta     [MaxMinutiae]uint16
	usedB  [MaxMinutiae]bool
	pairA  [MaxMinutiae]uint8
	pairB  [MaxMinutiae]uint8
	// b's usable cylinders in order of direction (localPairs).
	bAng [MaxMinutiae]uint16
	// angFirst[v] is the first of them turned at least v/angBuckets of
	// a turn.
	angFirst [angBuckets + 1]uint8
	bIdx     [2 * MaxMinutiae]uint8
	bCyl     [2 * MaxMinutiae][cylStride]uint64
	// Or, for windowSimsAVX512, the same word by word: bWords[w][s] is
	// word w of bCyl[s].
	bWords [cylStride][bWordsLen]uint64
	hits   [MaxMinutiae + simsLanes]hit // windowSimsAVX512 writes a group past the last hit
	geom   pairGeom
	compat compatScratch
	bv     bView
	field  orientField
	bestAl alignment // the consolidation's
	// orientAgreement's samples of one template.
	sx, sy [9 * MaxMinutiae]float32
	sd     [9 * MaxMinutiae]uint16
	// ridgeAgreement's and ridgeRescue's cells of a (sites) and of the
	// overlap (ridgeOverlap).
	rsites ridgeSites
	ritems ridgeItems
	// ridgeRescue's candidate pairs of minutiae, and the consolidation's
	// seeds (a's and b's minutiae of each, nSeeds of them), which it
	// tries too.
	rescueA, rescueB [rescueCandidates]uint8
	seedA, seedB     [seeds]uint8
	nSeeds           int
	// The rescue's alignments of a onto b and their R', of the
	// rescueRead it read in full (at most 2, the best first); and
	// whether the minutiae under one of them gave the score (rescueWon:
	// rescueAl[0] is that one then, and Pairs lists its pairs).
	rescueRead int
	rescueWon  bool
	rescueR    [2]float64
	rescueAl   [2]alignment
}

// pairGeom holds the selected local pairs' minutiae for compatLists, by
// pair.
type pairGeom struct {
	rot, aa, ba    [maxRelax]uint16
	ax, ay, bx, by [maxRelax]float32
}

// compatLists fills m.rho, m.rhoQ and m.nnz: for each of the selected
// pairs top, the non-zero compatibilities (compat) with the others, in
// order of the others (most are zero: the relaxation then visits only the
// few that count). It computes compat in three passes over each pair's
// later pairs, each keeping those that passed without a branch on the
// outcome (which half the pairs of pairs pass: the branches were a
// comparison's costliest): the direction difference, then the distance
// difference, then the direction of the joining line.
func (m *Matcher) compatLists(a, b *Template, top []pair) {
	nR := len(top)
	// The terms read from one run per pair: the pair's turn (a's
	// direction minus b's: two pairs' difference of it is compat's
	// direction difference), its positions and directions.
	g := &m.geom
	for p := 0; p < nR; p++ {
		m.nnz[p] = 0
		pa, pb := &a.m[top[p].a], &b.m[top[p].b]
		g.rot[p] = pa.a - pb.a
		g.aa[p], g.ba[p] = pa.a, pb.a
		g.ax[p], g.ay[p] = float32(pa.x), float32(pa.y)
		g.bx[p], g.by[p] = float32(pb.x), float32(pb.y)
	}
	if useAVX512 {
		m.compatListsAVX512(nR)
		return
	}
	var qs [maxRelax]int8
	var i1s, d2s [maxRelax]int32
	var dx, dy [maxRelax][2]float32
	for p := 0; p < nR; p++ {
		// (a1.a - a2.a) - (b1.a - b2.a) is (a1.a - b1.a) - (a2.a - b2.a).
		rp := g.rot[p]
		nq := 0
		for q := p + 1; q < nR; q++ {
			d2 := absAngleBits(int16(rp - g.rot[q]))
			qs[nq], d2s[nq] = int8(q), int32(d2)
			nq += int(uint(d2-compatMaxAngle) >> 63) // d2 < compatMaxAngle
		}
		n1 := 0
		ax, ay, bx, by := g.ax[p], g.ay[p], g.bx[p], g.by[p]
		for t := 0; t < nq; t++ {
			q := qs[t]
			dxa, dya := g.ax[q]-ax, g.ay[q]-ay
			dxb, dyb := g.bx[q]-bx, g.by[q]-by
			la := float32(math.Sqrt(float64(dxa*dxa + dya*dya)))
			lb := float32(math.Sqrt(float64(dxb*dxb + dyb*dyb)))
			i1 := int(float32(math.Abs(float64(la-lb))) * 4)
			qs[n1], d2s[n1], i1s[n1] = q, d2s[t], int32(i1)
			dx[n1], dy[n1] = [2]float32{dxa, dxb}, [2]float32{dya, dyb}
			n1 += int(uint(i1-compatMaxDist) >> 63) // i1 < compatMaxDist
		}
		for t := 0; t < n1; t++ {
			ra := atan16(dy[t][0], dx[t][0]) - g.aa[p]
			rb := atan16(dy[t][1], dx[t][1]) - g.ba[p]
			d3 := absAngle(int16(ra - rb))
			if d3 >= compatMaxAngle {
				continue
			}
			m.addCompat(p, int(qs[t]), zDist[i1s[t]]*zAngle[d2s[t]]*zAngle[d3])
		}
	}
}

// addCompat lists the compatibility r of pairs p and q (p < q) with each.
func (m *Matcher) addCompat(p, q int, r float32) {
	k := p*maxRelax + int(m.nnz[p])
	m.rho[k], m.rhoQ[k] = r, int8(q)
	m.nnz[p]++
	k = q*maxRelax + int(m.nnz[q])
	m.rho[k], m.rhoQ[k] = r, int8(p)
	m.nnz[q]++
}

// compatListsAVX512 is compatLists' passes for the pairs in m.geom:
// compatLanesAVX512 computes each pair's terms with eight later pairs at
// once, the same float32 and integer operations on the same values, and
// the pairs of pairs that pass all three tests are listed in the same
// order.
func (m *Matcher) compatListsAVX512(nR int) {
	cs := &m.compat
	for p := 0; p < nR; p++ {
		for mask := compatLanesAVX512(&m.geom, p, nR, cs); mask != 0; mask &= mask - 1 {
			q := bits.TrailingZeros32(mask)
			m.addCompat(p, q, zDist[cs.i1[q]]*zAngle[cs.d2[q]]*zAngle[cs.d3[q]])
		}
	}
}

// compatScratch holds compatLanesAVX512's terms of each later pair q:
// the direction difference d2, the distance difference i1 and the
// joining lines' direction difference d3 (zAngle's, zDist's and
// zAngle's index), written eight pairs at a time (TestPairGeomLayout).
type compatScratch struct {
	d2, i1, d3 [maxRelax + 8]int32
}

type pair struct {
	sim  float32
	a, b uint8
}

// Consolidation parameters (MCC's LSS-R: relaxation over the best local
// pairs, then the mean of the most efficient ones).
//
// The mean takes nP of them, from minNP to maxNP by a sigmoid of the
// smaller template's minutiae centred on muNP: 28 rather than MCC's 20,
// chosen on FVC2002 DB1_B and DB2_B whole and their eight crops (260x300,
// 220x260, 200x200@minutiae, 240x240@minutiae; EER + FNMR@1% + FNMR@0.1%
// summed over the two whole sets / all ten, `checkpost eval fingerprints
// --json --plot-dir "" [--crop C]`): 20 5.36 / 206.46, 22 205.62, 24
// 204.41, 26 202.98, 28 5.36 / 202.22, 30 and 32 5.38 / 202.27 and
// 202.68, 16 5.19 / 208.03; with 28, minNP 3 and 5 203.29 and 202.36,
// tauNP 0.3 and 0.6 202.66 and 202.22; DB1_B and DB2_B whole unchanged
// (0.02/0.00/0.00, 0.70/0.36/4.29). Why (a guess, not measured pair by
// pair): a small print's true local pairs are few, and a mean over more
// of them takes in chance pairs that hold lss, and with it the rescue's
// recount (rescue.go), down. The shipped thresholds moved with it
// (thresholds.go).
const (
	maxRelax = 24
	minNP    = 4
	maxNP    = 12
	muNP     = 28
	tauNP    = 0.4
	relaxW   = 0.5
	relaxN   = 5
	maxAngle = 16384 // π/2: local pairs turned further apart do not match
)

// Compare returns the similarity of a and b, 0 (nothing in common) to
// below 1: the minutiae's score under the best alignment found (the
// consolidation's or, for a small print, the ridge rescue's), scaled by
// how well the two prints' ridges (ridge.go) or, for templates without
// ridge maps, their flows (orient.go) agree under it, plus what the
// ridges alone find for a small print (rescue.go), then squashed. It
// allocates nothing.
func (m *Matcher) Compare(a, b *Template) float64 {
	s, r := m.scoreParts(a, b)
	return squash(s + r)
}

// scoreParts returns Compare's two terms before the squash: the
// minutiae's score scaled by the ridges' or flow's factor, and the ridge
// rescue's.
func (m *Matcher) scoreParts(a, b *Template) (float64, float64) {
	return m.scoreTerms(a, b, true)
}

// scoreTerms is scoreParts, with the minutiae under the ridge rescue's
// alignment counted (rescueRecount) or, for the tests that measure what
// that adds, not.
func (m *Matcher) scoreTerms(a, b *Template, recount bool) (float64, float64) {
	m.rescueRead, m.rescueWon, m.nSeeds = 0, false, 0
	nR := m.localPairs(a, b, min(int(a.n), int(b.n), maxRelax))
	if nR == 0 {
		return 0, m.ridgeRescue(a, b)
	}
	top := m.pairs[:nR]
	m.compatLists(a, b, top)
	cur, nxt := &m.lambda[0], &m.lambda[1]
	for p := 0; p < nR; p++ {
		cur[p] = top[p].sim
	}
	inv := float32(1) / float32(max(nR-1, 1))
	for it := 0; it < relaxN; it++ {
		for p := 0; p < nR; p++ {
			row := m.rho[p*maxRelax : p*maxRelax+int(m.nnz[p])]
			qs := m.rhoQ[p*maxRelax : p*maxRelax+len(row)]
			var s float32
			for k, r := range row {
				s += r * cur[qs[k]]
			}
			nxt[p] = relaxW*cur[p] + (1-relaxW)*s*inv
		}
		cur, nxt = nxt, cur
	}
	for p := 0; p < nR; p++ {
		m.eff[p] = cur[p] / top[p].sim
		m.order[p] = int8(p)
	}
	nP := minNP + int(math.Round(sigmoid(float64(min(int(a.n), int(b.n))), muNP, tauNP)*(maxNP-minNP)))
	nP = min(nP, nR)
	// Partial selection sort: nP is at most 12.
	var sum float32
	for k := 0; k < nP; k++ {
		best := k
		for j := k + 1; j < nR; j++ {
			if m.eff[m.order[j]] > m.eff[m.order[best]] {
				best = j
			}
		}
		m.order[k], m.order[best] = m.order[best], m.order[k]
		sum += cur[m.order[k]]
	}
	lss := float64(sum) / float64(nP)
	v := m.consolidate(a, b, top, cur[:nR]) * lss
	if v != 0 {
		v *= m.factor(a, b, v)
	}
	r := m.ridgeRescue(a, b)
	for k := 0; recount && k < m.rescueRead; k++ {
		if m.rescueR[k] < recountMinR {
			continue
		}
		if v2 := m.rescueRecount(a, b, k, lss); v2 > v {
			v, m.rescueWon = v2, true
			m.rescueAl[0] = m.rescueAl[k]
		}
	}
	if v > 0 && a.ncores > 0 && b.ncores > 0 {
		al := m.bestAl
		if m.rescueWon {
			al = m.rescueAl[0]
		}
		if coresMeet(a, b, al) {
			v *= 1 + coreBonus
		}
	}
	return v, r
}

// squash maps the product of the minutiae's score and the ridges' or
// flow's factor, 0 to about 64, onto 0 to 1 keeping its order: s/(1+s),
// which is s within a few tenths of a percent at the thresholds.
func squash(s float64) float64 { return s / (1 + s) }

// factor is what scales the minutiae's score v under the consolidation's
// alignment: the ridges' agreement when both templates have ridge maps
// (ridge.go), else the flows' (orient.go); below ridgeFloor or
// orientFloor their least factor stands in.
func (m *Matcher) factor(a, b *Template, v float64) float64 {
	if a.ridge.cols != 0 && b.ridge.cols != 0 {
		if v < ridgeFloor {
			return ridgeMinFactor
		}
		r, n := m.ridgeAgreement(a, b, m.bestAl)
		r *= float64(n) / (float64(n) + ridgeN0)
		return math.Exp(ridgeK * (max(r, 0) - ridgeCentre))
	}
	if v < orientFloor {
		return orientMinFactor
	}
	agree, sides := m.orientAgreement(a, b, m.bestAl)
	f := math.Exp(orientK * (max(agree, 0) - 1))
	switch sides {
	case 0:
		f *= orientUnknown
	case 1:
		f *= orientMixed
	}
	return f
}

// localPairs fills m.pairs with the k pairs of minutiae whose cylinders
// are most similar (fewer when fewer are comparable) and returns their
// number.
//
// Pairs are offered to the heap in a fixed order (a's minutiae by index,
// for each b's minutiae by direction from ma.a - maxAngle on), which
// decides ties and the order of m.pairs: Compare's score depends on both.
func (m *Matcher) localPairs(a, b *Template, k int) int {
	// b's usable cylinders in order of direction, copied into one run
	// (the window of each of a's minutiae is then a contiguous, circular
	// stretch of it, read without indirection or a test of flags).
	nb := 0
	for s := 0; s < int(b.n); s++ {
		j := b.byAngle[s]
		if b.m[j].flags&flagCylinder == 0 {
			continue
		}
		m.bAng[nb] = b.m[j].a
		m.bIdx[nb] = j
		c := [cylStride]uint64(b.cyl[int(j)*cylStride : int(j)*cylStride+cylStride])
		if useAVX512 {
			m.bWords[0][nb], m.bWords[1][nb], m.bWords[2][nb], m.bWords[3][nb] = c[0], c[1], c[2], c[3]
		} else {
			m.bCyl[nb] = c
		}
		nb++
	}
	// Where each angBuckets-th of a turn starts: bucket v's first is the
	// first cylinder turned at least v/angBuckets of a turn.
	v := 0
	for s := 0; s < nb; s++ {
		for last := int(m.bAng[s]) >> angShift; v <= last; v++ {
			m.angFirst[v] = uint8(s)
		}
	}
	for ; v <= angBuckets; v++ {
		m.angFirst[v] = uint8(nb)
	}
	// Twice, so that a window that wraps past the end is one run.
	copy(m.bIdx[nb:2*nb], m.bIdx[:nb])
	if useAVX512 {
		for w := range m.bWords {
			copy(m.bWords[w][nb:2*nb], m.bWords[w][:nb])
		}
	} else {
		copy(m.bCyl[nb:2*nb], m.bCyl[:nb])
	}
	if nb == 0 {
		return 0
	}
	np := 0
	heap := m.pairs[:k+1]
	heap[k].sim = float32(math.Inf(1))
	for i := 0; i < int(a.n); i++ {
		ma := &a.m[i]
		if ma.flags&flagCylinder == 0 {
			continue
		}
		ca := [cylStride]uint64(a.cyl[i*cylStride : i*cylStride+cylStride])
		// b's cylinders turned at most maxAngle from ma: from the first
		// at or above lo = ma.a - maxAngle on, circularly, while within
		// 2*maxAngle of lo (directions increase along the run).
		lo := ma.a - maxAngle
		start := m.firstAtLeast(int(lo), nb)
		var count int
		if end := int(lo) + 2*maxAngle + 1; end <= 65536 {
			count = m.firstAtLeast(end, nb) - start
		} else {
			// The window wraps past direction 0.
			count = nb - start + m.firstAtLeast(end-65536, nb)
		}
		// Only similarities above the heap's root can enter it (0 until
		// it is full): the root only grows while the window is read.
		floor := float32(0)
		if np == k {
			floor = heap[0].sim
		}
		var nh int
		if useAVX512 {
			if count > 0 {
				nh = windowSimsAVX512(&ca, &m.bWords[0][start], count, minCommonCells, floor, &m.hits[0])
			}
		} else {
			nh = windowSims(&ca, m.bCyl[start:start+count], floor, m.hits[:])
		}
		for _, h := range m.hits[:nh] {
			j := m.bIdx[start+int(h.t)]
			// m.pairs[:np] is a min-heap on similarity: the root is the
			// pair to replace by a better one.
			switch {
			case np < k:
				heap[np] = pair{sim: h.sim, a: uint8(i), b: j}
				siftUp(heap[:np+1], np)
				np++
			case h.sim > heap[0].sim:
				// The root is replaced: it moves down as a hole (the
				// same heap as swapping it down, with fewer writes),
				// the smaller child chosen without a branch (positive
				// floats order as their bits; ties: the left child;
				// heap[k] is a sentinel of infinite similarity).
				x := pair{sim: h.sim, a: uint8(i), b: j}
				p := 0
				for {
					l := 2*p + 1
					if l >= k {
						break
					}
					d := int64(math.Float32bits(heap[l+1].sim)) - int64(math.Float32bits(heap[l].sim))
					c := l + int(uint64(d)>>63)
					if x.sim <= heap[c].sim {
						break
					}
					heap[p] = heap[c]
					p = c
				}
				heap[p] = x
			}
		}
	}
	return np
}

// The buckets of directions of localPairs' lookup.
const (
	angShift   = 10
	angBuckets = 65536 >> angShift
)

// firstAtLeast returns the first of b's usable cylinders (localPairs'
// run) turned at least v (0 to 65536) in 1/65536 turn; nb when none.
func (m *Matcher) firstAtLeast(v, nb int) int {
	s := int(m.angFirst[v>>angShift])
	for s < nb && int(m.bAng[s]) < v {
		s++
	}
	return s
}

func siftUp(h []pair, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].sim <= h[i].sim {
			return
		}
		h[parent], h[i] = h[i], h[parent]
		i = parent
	}
}

// minCommonBits is cylMinCommon of the cells, counted in the doubled
// validity word.
// (set in init, after the cells exist).
var minCommonBits, minCommonCells int

// sqrtTab[n] is the square root of n, for bit counts of up to cylWords
// words (indexed by a byte, so without bounds checks).
var sqrtTab [256]float32

func init() {
	minCommonCells = int(math.Ceil(cylMinCommon * float64(len(cellU))))
	minCommonBits = minCommonCells * lanesPerW
	for i := range sqrtTab {
		sqrtTab[i] = float32(math.Sqrt(float64(i)))
	}
}

func sigmoid(v, mu, tau float64) float64 { return 1 / (1 + math.Exp(-tau*(v-mu))) }

// Relaxation compatibility: how well two pairs (a1,b1), (a2,b2) agree in
// the distance between their minutiae, the difference of their directions,
// and the direction of the line joining them.
var (
	zDist  [256]float32 // by distance difference in quarter pixels
	zAngle [513]float32 // by angle difference in 1/1024 turn
)

func init() {
	for i := range zDist {
		zDist[i] = float32(sigmoid(float64(i)/4, 5, -1.6))
	}
	for i := range zAngle {
		zAngle[i] = float32(sigmoid(float64(i)*2*math.Pi/1024, math.Pi/12, -30))
	}
}

// Beyond these the compatibility terms are below 0.001: stop early.
const (
	compatMaxDist  = 4 * 10 // 10 pixels, in quarter pixels
	compatMaxAngle = 1024 * 30 / 360
)

func compat(a1, a2, b1, b2 *minutia) float32 {
	// The direction difference first: it needs no square root and
	// rules out most pairs of an impostor comparison.
	d2 := absAngle(int16((a1.a - a2.a) - (b1.a - b2.a)))
	if d2 >= compatMaxAngle {
		return 0
	}
	dxa, dya := float32(a2.x)-float32(a1.x), float32(a2.y)-float32(a1.y)
	dxb, dyb := float32(b2.x)-float32(b1.x), float32(b2.y)-float32(b1.y)
	la := float32(math.Sqrt(float64(dxa*dxa + dya*dya)))
	lb := float32(math.Sqrt(float64(dxb*dxb + dyb*dyb)))
	d1 := la - lb
	if d1 < 0 {
		d1 = -d1
	}
	i1 := int(d1 * 4)
	if i1 >= compatMaxDist {
		return 0
	}
	z := zDist[i1] * zAngle[d2]
	// Direction of the joining line relative to the first minutia.
	ra := atan16(dya, dxa) - a1.a
	rb := atan16(dyb, dxb) - b1.a
	d3 := absAngle(int16(ra - rb))
	if d3 >= compatMaxAngle {
		return 0
	}
	return z * zAngle[d3]
}

// absAngleBits is absAngle without a branch.
func absAngleBits(d int16) int {
	v := int(d)
	s := v >> 63
	return (v ^ s - s) >> 6
}

// absAngle maps a signed angle in 1/65536 turn to a zAngle index.
func absAngle(d int16) int {
	v := int(d)
	if v < 0 {
		v = -v
	}
	return v >> 6
}

// atan16 is atan2(y, x) in 1/65536 turn, to about 0.3°.
//
// Without a branch on the octant: compatLists calls it twice for most
// pairs of pairs it keeps, whose joining lines point anywhere, and the
// octant's three branches were mispredicted about half the time. Each
// select below keeps the operations of the branches it replaced (|x| as
// x negated when below 0, the first octant's ratio as the smaller over
// the larger of |x| and |y|, ...), so the angle is the same to the bit.
func atan16(y, x float32) uint16 {
	xneg, yneg := uint32(b2u(x < 0)), uint32(b2u(y < 0))
	ax := math.Float32frombits(math.Float32bits(x) ^ xneg<<31)
	ay := math.Float32frombits(math.Float32bits(y) ^ yneg<<31)
	if ax == 0 && ay == 0 {
		return 0
	}
	// steep: the angle is nearer the y axis than the x axis.
	steep := -uint32(b2u(!(ax >= ay)))
	bx, by := math.Float32bits(ax), math.Float32bits(ay)
	small := math.Float32frombits(by ^ (by^bx)&steep)
	large := math.Float32frombits(bx ^ (bx^by)&steep)
	r := small / large
	flat := r * (0.125 + 0.04345*(1-r)) // in turns, first octant folded
	fb, sb := math.Float32bits(flat), math.Float32bits(0.25-flat)
	a := math.Float32frombits(fb ^ (fb^sb)&steep)
	ab, lb := math.Float32bits(a), math.Float32bits(0.5-a)
	ab ^= (ab ^ lb) & -xneg
	return uint16(int32(math.Float32frombits(ab^yneg<<31) * 65536))
}
