//go:build !amd64 || purego

package match

const useAsmSims = false

func windowSimsAsm(ca *[cylStride]uint64, bc *[cylStride]uint64, n int, sq *[256]float32, minCells int, floor float32, out *hit) int {
	panic("match: no assembly on this platform")
}
