package extract

import "math/bits"

// Neighbourhood codes: bit k is set when neighbour k is set, in the order
// N, NE, E, SE, S, SW, W, NW (clockwise on the image, y down).
var (
	ndx = [8]int{0, 1, 1, 1, 0, -1, -1, -1}
	ndy = [8]int{-1, -1, 0, 1, 1, 1, 0, -1}
)

// Tables over the 256 neighbourhood codes.
var (
	zsDelete [2][256]bool // Zhang-Suen deletion, per sub-iteration
	simple8  [256]bool    // the centre is an 8-simple point
	comp8    [256]uint8   // number of 8-connected components of set neighbours
)

func init() {
	for c := 0; c < 256; c++ {
		p := func(k int) int { return (c >> (k & 7)) & 1 }
		b := bits.OnesCount8(uint8(c))
		a := 0
		for k := 0; k < 8; k++ {
			if p(k) == 0 && p(k+1) == 1 {
				a++
			}
		}
		// P2=N(0) P4=E(2) P6=S(4) P8=W(6).
		if b >= 2 && b <= 6 && a == 1 {
			zsDelete[0][c] = p(0)*p(2)*p(4) == 0 && p(2)*p(4)*p(6) == 0
			zsDelete[1][c] = p(0)*p(2)*p(6) == 0 && p(0)*p(4)*p(6) == 0
		}
		fg := components(c, func(i, j int) bool {
			return max(abs(ndx[i]-ndx[j]), abs(ndy[i]-ndy[j])) <= 1
		}, false)
		comp8[c] = uint8(fg)
		// The background's 4-components that touch the centre 4-adjacently.
		bg := components(^c&255, func(i, j int) bool {
			return abs(ndx[i]-ndx[j])+abs(ndy[i]-ndy[j]) == 1
		}, true)
		simple8[c] = fg == 1 && bg == 1
	}
}

// components counts the connected components of the set neighbours of
// code c under the adjacency adj; with touchCentre only components with a
// 4-neighbour of the centre count.
func components(c int, adj func(i, j int) bool, touchCentre bool) int {
	var lab [8]int
	n := 0
	for s := 0; s < 8; s++ {
		if c>>s&1 == 0 || lab[s] != 0 {
			continue
		}
		n++
		lab[s] = n
		stack := []int{s}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for j := 0; j < 8; j++ {
				if c>>j&1 == 1 && lab[j] == 0 && adj(i, j) {
					lab[j] = n
					stack = append(stack, j)
				}
			}
		}
	}
	if !touchCentre {
		return n
	}
	count := 0
	for l := 1; l <= n; l++ {
		for k := 0; k < 8; k += 2 {
			if lab[k] == l {
				count++
				break
			}
		}
	}
	return count
}

// code returns the neighbourhood code of canvas pixel i in b.
func code(b []uint8, i, W int) uint8 {
	return b[i-W] | b[i-W+1]<<1 | b[i+1]<<2 | b[i+W+1]<<3 | b[i+W]<<4 | b[i+W-1]<<5 | b[i-1]<<6 | b[i-W-1]<<7
}

// thin reduces the binary ridges in e.bin to a one-pixel, 8-connected
// skeleton: Zhang-Suen sub-iterations over the remaining ridge pixels,
// then a sequential pass that removes the corner pixels of staircases
// (8-simple pixels that are not endings), so that every pixel of a plain
// ridge has exactly two neighbours.
func (e *Extractor) thin() {
	w, h, W := e.w, e.h, e.W
	list := e.pixList[:0]
	for y := 0; y < h; y++ {
		base := (y+pad)*W + pad
		for x := 0; x < w; x++ {
			if e.bin[base+x] != 0 {
				list = append(list, int32(base+x))
			}
		}
	}
	del := e.delList
	for {
		changed := false
		for sub := 0; sub < 2; sub++ {
			del = del[:0]
			tab := &zsDelete[sub]
			for _, i := range list {
				if tab[code(e.bin, int(i), W)] {
					del = append(del, i)
				}
			}
			for _, i := range del {
				e.bin[i] = 0
			}
			if len(del) > 0 {
				changed = true
				// Keep only the pixels still set.
				k := 0
				for _, i := range list {
					if e.bin[i] != 0 {
						list[k] = i
						k++
					}
				}
				list = list[:k]
			}
		}
		if !changed {
			break
		}
	}
	for pass := 0; pass < 3; pass++ {
		changed := false
		for _, i := range list {
			if e.bin[i] == 0 {
				continue
			}
			c := code(e.bin, int(i), W)
			n := bits.OnesCount8(c)
			if n == 0 || (n >= 2 && simple8[c]) {
				e.bin[i] = 0
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	k := 0
	for _, i := range list {
		if e.bin[i] != 0 {
			list[k] = i
			k++
		}
	}
	e.pixList, e.delList = list[:k], del
}
