//go:build !amd64 || purego

package match

const useAsmShiftSums = false

func shiftSums3x4(its *ridgeItems, n int, x0, y0, step, toIdx float32, out *[9]float32) {
	panic("match: no assembly on this platform")
}

func ridgeOverlapAVX512(p *overlapArgs) (n, ni int) {
	panic("match: no assembly on this platform")
}
