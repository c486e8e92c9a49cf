//go:build !amd64 || purego

package match

const useAsmSims = false

func windowSimsAsm(ca *[cylStride]uint64, bc *[cylStride]uint64, n int, sq *[256]float32, minCells int, floor float32, out *hit) int {
	panic("match: no assembly on this platform")
}

const useAVX512 = false

func windowSimsAVX512(ca *[cylStride]uint64, bw *uint64, n int, minCells int, floor float32, out *hit) int {
	panic("match: no assembly on this platform")
}

func compatLanesAVX512(geom *pairGeom, p, nR int, out *compatScratch) uint32 {
	panic("match: no assembly on this platform")
}
