package match

import (
	"math"

	"checkpost/biometric"
)

// Pair is one minutia of a template paired with one of another by a 1:1
// comparison: what a reviewer is shown as the matched minutiae. A and B
// index the prepared templates' minutiae (Template.Minutia); their
// coordinates are those of Template.Minutia.
type Pair struct {
	A, B int
}

// Minutia returns minutia i of the prepared template in the source's
// image frame at 500 ppi (origin top-left, y down, angle counter-clockwise
// as in biometric.Minutia, with its orientation descriptor; quality is
// not kept). For a source template at
// 500 ppi the position is the source minutia's own.
func (t *Template) Minutia(i int) biometric.Minutia {
	m := &t.m[i]
	out := biometric.Minutia{X: int(m.x), Y: -int(m.y), Angle: m.angle(), Orientation: t.descriptor(i)}
	switch {
	case m.flags&flagEnding != 0:
		out.Type = biometric.MinutiaEnding
	case m.flags&flagBifurcation != 0:
		out.Type = biometric.MinutiaBifurcation
	}
	return out
}

// Pairs compares a and b and returns the score (Compare's) with the pairs
// of minutiae the comparison matched: both prints aligned as the
// consolidation aligns them (seeds taken from the relaxation's best local
// pairs as the consolidation takes them, each alignment refined on the
// pairs that agree with it, the one that counts most kept), then each
// minutia of a paired with the nearest unpaired minutia of b that lies
// within the pairing radius and turns less than the pairing angle from it.
//
// It is meant for the few candidates a reviewer looks at, not for a
// search: it allocates the result.
func (m *Matcher) Pairs(a, b *Template) (float64, []Pair) {
	score := m.Compare(a, b)
	if score == 0 {
		return 0, nil
	}
	if m.rescueWon {
		// The minutiae under the ridge rescue's alignment gave the
		// score (rescue.go): they are the pairs.
		return score, pairUnder(m.rescueAl[0], a, b)
	}
	// Compare leaves the local pairs in m.pairs and their relaxed
	// similarity in the lambda buffer its last iteration wrote.
	nR := m.localPairs(a, b, min(int(a.n), int(b.n), maxRelax))
	if nR == 0 {
		return score, nil
	}
	var top [maxRelax]pair
	copy(top[:], m.pairs[:nR])
	var lambda [maxRelax]float32
	copy(lambda[:], m.lambda[relaxN%2][:nR])
	// The consolidation's seeds: highest relaxed similarity first,
	// skipping those an alignment already tried agrees with.
	var tried [seeds]alignment
	var used [maxRelax]bool
	m.loadB(b)
	nt := 0
	best := 0.0
	var al alignment
	for s := 0; s < seeds; s++ {
		bi := -1
		for p := range top[:nR] {
			if !used[p] && (bi < 0 || lambda[p] > lambda[bi]) {
				bi = p
			}
		}
		if bi < 0 {
			break
		}
		used[bi] = true
		covered := false
		for _, t := range tried[:nt] {
			if t.agrees(&a.m[top[bi].a], &b.m[top[bi].b]) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		v, t := m.alignAndCount(a, b, top[:nR], top[bi])
		v *= rotPrior(t.rot)
		tried[nt] = t
		nt++
		if v > best {
			best, al = v, t
		}
	}
	if best <= 0 {
		return score, nil
	}
	return score, pairUnder(al, a, b)
}

// pairUnder pairs the minutiae of a, carried into b's frame by al, with
// those of b: each with the nearest unpaired one within pairRadius and
// pairAngle, in a's order (the consolidation's greedy rule).
func pairUnder(al alignment, a, b *Template) []Pair {
	var used [MaxMinutiae]bool
	var out []Pair
	for i := 0; i < int(a.n); i++ {
		pa := &a.m[i]
		x := al.c*float32(pa.x) - al.s*float32(pa.y) + al.tx
		y := al.s*float32(pa.x) + al.c*float32(pa.y) + al.ty
		ta := pa.a + al.rot
		bestJ, bestD := -1, float32(pairRadius*pairRadius)
		for j := 0; j < int(b.n); j++ {
			if used[j] {
				continue
			}
			dx, dy := x-float32(b.m[j].x), y-float32(b.m[j].y)
			if d := dx*dx + dy*dy; d < bestD && absAngle(int16(ta-b.m[j].a)) <= pairAngle>>6 {
				bestJ, bestD = j, d
			}
		}
		if bestJ >= 0 {
			used[bestJ] = true
			out = append(out, Pair{A: i, B: bestJ})
		}
	}
	return out
}

// SourcePair is a matched pair of minutiae given as indexes into the
// source templates' Minutiae.
type SourcePair struct {
	A, B int
}

// PairSources prepares two source templates, compares them and returns
// the score with the matched minutiae as indexes into a.Minutiae and
// b.Minutiae (see Matcher.Pairs).
func PairSources(a, b *biometric.Template) (float64, []SourcePair, error) {
	pa, err := Prepare(a)
	if err != nil {
		return 0, nil, err
	}
	pb, err := Prepare(b)
	if err != nil {
		return 0, nil, err
	}
	var m Matcher
	score, pairs := m.Pairs(pa, pb)
	ia, ib := sourceIndexes(pa, a), sourceIndexes(pb, b)
	out := make([]SourcePair, 0, len(pairs))
	for _, p := range pairs {
		if ia[p.A] >= 0 && ib[p.B] >= 0 {
			out = append(out, SourcePair{A: ia[p.A], B: ib[p.B]})
		}
	}
	return score, out, nil
}

// sourceIndexes finds each prepared minutia of t in src (Prepare keeps
// no index: it sorts and may drop minutiae): the first unclaimed source
// minutia with the same rescaled position and direction; -1 when none.
func sourceIndexes(t *Template, src *biometric.Template) []int {
	scale := 1.0
	if src.ResolutionPPI > 0 && src.ResolutionPPI != 500 {
		scale = 500 / float64(src.ResolutionPPI)
	}
	claimed := make([]bool, len(src.Minutiae))
	out := make([]int, t.n)
	for i := range out {
		out[i] = -1
		m := &t.m[i]
		for k, s := range src.Minutiae {
			if claimed[k] || int16(math.Round(float64(s.X)*scale)) != m.x || int16(-math.Round(float64(s.Y)*scale)) != m.y {
				continue
			}
			a := math.Mod(s.Angle, 2*math.Pi)
			if a < 0 {
				a += 2 * math.Pi
			}
			if uint16(int(math.Round(a*65536/(2*math.Pi)))&0xffff) != m.a {
				continue
			}
			claimed[k], out[i] = true, k
			break
		}
	}
	return out
}
