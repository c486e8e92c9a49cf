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
type synthesizer struct {
	g0, g1 []float64
	line   []float64 // the interleaved signal
	out    []float64
}

func newSynthesizer(n int, g0, g1 []float64) *synthesizer {
	return &synthesizer{g0: g0, g1: g1, line: make([]float64, n), out: make([]float64, n)}
}

// join1 reconstructs n samples into s.out from low (ceil(n/2)) and high
// (floor(n/2)) coefficients read through get(i) for i in [0,n): the
// caller lays them out interleaved in s.line first.
func (s *synthesizer) join1(n int) {
	y, out := s.line[:n], s.out[:n]
	c0, c1 := len(s.g0)/2, len(s.g1)/2
	if n == 1 {
		// One low-pass coefficient, no high-pass: only the low-pass
		// filter's even taps touch it.
		var v float64
		for j, g := range s.g0 {
			if (j-c0)%2 == 0 {
				v += g
			}
		}
		out[0] = v * y[0]
		return
	}
	for i := 0; i < n; i++ {
		var v float64
		// Low-pass coefficients sit at even positions, high-pass at odd.
		for j, g := range s.g0 {
			p := i - (j - c0)
			if p&1 == 0 {
				v += g * y[reflect(p, n)]
			}
		}
		for j, g := range s.g1 {
			p := i - (j - c1)
			if p&1 != 0 {
				v += g * y[reflect(p, n)]
			}
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
	// Columns: the top part holds one channel, the bottom the other.
	for x := n.x; x < n.x+n.w; x++ {
		s.interleave(n.h, n.invY, func(i int) float64 { return plane[(n.y+i)*width+x] })
		s.join1(n.h)
		for i := 0; i < n.h; i++ {
			plane[(n.y+i)*width+x] = s.out[i]
		}
	}
	for y := n.y; y < n.y+n.h; y++ {
		row := plane[y*width+n.x : y*width+n.x+n.w]
		s.interleave(n.w, n.invX, func(i int) float64 { return row[i] })
		s.join1(n.w)
		copy(row, s.out[:n.w])
	}
}

// interleave puts the low-pass coefficients (ceil(n/2), first unless
// inverted) at even positions of s.line and the high-pass ones at odd.
func (s *synthesizer) interleave(n int, inverted bool, at func(int) float64) {
	nLow := (n + 1) / 2
	lowAt, highAt := 0, nLow
	if inverted {
		lowAt, highAt = n/2, 0
	}
	for k := 0; k < nLow; k++ {
		s.line[2*k] = at(lowAt + k)
	}
	for k := 0; k < n/2; k++ {
		s.line[2*k+1] = at(highAt + k)
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
