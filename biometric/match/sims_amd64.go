//go:build !purego

package match

// useAsmSims: the assembly needs POPCNT (every x86-64 CPU since about
// 2008; the portable build does not assume it).
var useAsmSims = hasPOPCNT()

// hasPOPCNT reports whether the CPU has the POPCNT instruction (CPUID).
func hasPOPCNT() bool

// windowSimsAsm is windowSimsGo for the n cylinders from bc on, with the
// square roots sq and the least number of common cells minCells.
//
//go:noescape
func windowSimsAsm(ca *[cylStride]uint64, bc *[cylStride]uint64, n int, sq *[256]float32, minCells int, floor float32, out *hit) int
