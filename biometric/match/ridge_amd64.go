//go:build !purego

package match

// useAsmShiftSums: shiftSums3x4 needs SSE2 only, which every x86-64 CPU
// has.
const useAsmShiftSums = true

// shiftSums3x4 is shiftSums3Go for the first n items, n a multiple of 4,
// with the shift's x0, y0 and step as float32 and toIdx the scale from
// radians to the tables' 1/1024 turns (float32(1024/2π)): four items at
// a time, each of the float32 operations of shiftSums3Go done on the
// four at once, and the nine sums of each item added in the items'
// order, so the sums are the same to the bit.
//
//go:noescape
func shiftSums3x4(its *ridgeItems, n int, x0, y0, step, toIdx float32, out *[9]float32)

// ridgeOverlapAVX512 is ridgeOverlapGo (see ridgeOverlap) for the sites
// (at least 1), map and alignment in p, eight sites at a time
// (AVX-512VL on 256-bit registers; useAVX512 tells whether the CPU has
// it).
//
//go:noescape
func ridgeOverlapAVX512(p *overlapArgs) (n, ni int)
