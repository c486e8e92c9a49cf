package wsq

// The transform: separable two-channel filter bank with odd-length
// symmetric filters and whole-sample symmetric extension at both ends of
// every row and column (IAFIS-IC-0110 Part 1 §"symmetric extension"), so
// that n samples give ceil(n/2) low-pass and floor(n/2) high-pass
// coefficients: the low-pass ones at even positions, the high-pass ones at
// odd positions of the (extended) signal.

// reflect maps any index to [0, n) by whole-sample symmetric extension.
func reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i
}

// synthesisFilters derives the synthesis filters from the analysis ones:
// g0[j] = (-1)^j·h1[j] and g1[j] = (-1)^j·h0[j] (indices from the
// centre). Both are returned centred (odd length).
func synthesisFilters(h0, h1 []float64) (g0, g1 []float64) {
	alt := func(h []float64) []float64 {
		g := make([]float64, len(h))
		c := len(h) / 2
		for i, v := range h {
			if (i-c)%2 != 0 {
				v = -v
			}
			g[i] = v
		}
		return g
	}
	return alt(h1), alt(h0)
}

// synthesizer reconstructs signals from their two channels.
//
// Output sample i takes low-pass coefficients (even positions) through
// g0 and high-pass ones (odd positions) through g1; for a given parity of
// i the taps that touch each kind are fixed, so the two filters merge into
// one kernel per parity.
type synthesizer struct {
	radius      int
	kEven, kOdd []float64 // index d+radius: weight of position i-d
	lowEvenSum  float64   // a one-sample signal's gain
	line, ext   []float64
	out         []float64
}

func newSynthesizer(n int, g0, g1 []float64) *synthesizer {
	c0, c1 := len(g0)/2, len(g1)/2
	r := max(c0, c1)
	s := &synthesizer{radius: r, kEven: make([]float64, 2*r+1), kOdd: make([]float64, 2*r+1),
		line: make([]float64, n), ext: make([]float64, n+2*r), out: make([]float64, n)}
	for j, g := range g0 {
		d := j - c0
		if d%2 == 0 {
			s.kEven[d+r] += g // i even, i-d even: a low-pass position
			s.lowEvenSum += g
		} else {
			s.kOdd[d+r] += g
		}
	}
	for j, g := range g1 {
		d := j - c1
		if d%2 == 0 {
			s.kOdd[d+r] += g // i odd, i-d odd: a high-pass position
		} else {
			s.kEven[d+r] += g
		}
	}
	return s
}

// join1 reconstructs n samples into s.out from the interleaved
// coefficients in s.line (see interleave).
func (s *synthesizer) join1(n int) {
	if n == 1 {
		// One low-pass coefficient, no high-pass: only the low-pass
		// filter's even taps touch it.
		s.out[0] = s.lowEvenSum * s.line[0]
		return
	}
	r := s.radius
	ext := s.ext[:n+2*r]
	copy(ext[r:], s.line[:n])
	for k := 1; k <= r; k++ {
		ext[r-k] = s.line[reflect(-k, n)]
		ext[r+n-1+k] = s.line[reflect(n-1+k, n)]
	}
	out := s.out[:n]
	for i := range out {
		k := s.kEven
		if i&1 != 0 {
			k = s.kOdd
		}
		// ext[i+r-d] for d = -r..r, i.e. ext[i .. i+2r] against k reversed.
		w := ext[i : i+2*r+1]
		var v float64
		for t, kv := range k {
			v += kv * w[2*r-t]
		}
		out[i] = v
	}
}

// join undoes one split of the plane (row stride width): columns first,
// then rows.
func (s *synthesizer) join(plane []float64, width int, n node) {
	if n.w == 0 || n.h == 0 {
		return
	}
	col := make([]float64, n.h)
	for x := n.x; x < n.x+n.w; x++ {
		for i := range col {
			col[i] = plane[(n.y+i)*width+x]
		}
		s.interleave(col, n.invY)
		s.join1(n.h)
		for i, v := range s.out[:n.h] {
			plane[(n.y+i)*width+x] = v
		}
	}
	for y := n.y; y < n.y+n.h; y++ {
		row := plane[y*width+n.x : y*width+n.x+n.w]
		s.interleave(row, n.invX)
		s.join1(n.w)
		copy(row, s.out[:n.w])
	}
}

// interleave puts the low-pass coefficients of stored (ceil(n/2), first
// unless inverted) at even positions of s.line and the high-pass ones at
// odd positions.
func (s *synthesizer) interleave(stored []float64, inverted bool) {
	n := len(stored)
	nLow := (n + 1) / 2
	lowAt, highAt := 0, nLow
	if inverted {
		lowAt, highAt = n/2, 0
	}
	for k := 0; k < nLow; k++ {
		s.line[2*k] = stored[lowAt+k]
	}
	for k := 0; k < n/2; k++ {
		s.line[2*k+1] = stored[highAt+k]
	}
}

// analysis filters a signal x of n samples into low (ceil(n/2)) and high
// (floor(n/2)) coefficients.
func analysis(x []float64, h0, h1 []float64, low, high []float64) {
	n := len(x)
	c0, c1 := len(h0)/2, len(h1)/2
	for k := range low {
		var v float64
		for j, h := range h0 {
			v += h * x[reflect(2*k+j-c0, n)]
		}
		low[k] = v
	}
	for k := range high {
		var v float64
		for j, h := range h1 {
			v += h * x[reflect(2*k+1+j-c1, n)]
		}
		high[k] = v
	}
}
