//go:build !purego

package match

import "golang.org/x/sys/cpu"

// useAsmSims: the assembly needs POPCNT (every x86-64 CPU since about
// 2008; the portable build does not assume it).
var useAsmSims = hasPOPCNT()

// useAVX512: the comparison's three AVX-512 routes (windowSimsAVX512,
// compatLanesAVX512, ridgeOverlapAVX512) need AVX-512 F, DQ, VL and
// VPOPCNTDQ and BMI2, and an operating system that keeps the vector
// registers; elsewhere the Go and POPCNT code runs, with the same
// scores to the bit. They took about a quarter off a comparison of
// FVC2002 DB4_B's prints: thread CPU time per comparison, medians of
// three runs alternated, 20.9 us before, 19.6 with the window's
// similarities, 18.7 with the ridge overlap too, 15.3 with the
// compatibilities too.
var useAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL &&
	cpu.X86.HasAVX512VPOPCNTDQ && cpu.X86.HasBMI2

// hasPOPCNT reports whether the CPU has the POPCNT instruction (CPUID).
func hasPOPCNT() bool

// windowSimsAsm is windowSimsGo for the n cylinders from bc on, with the
// square roots sq and the least number of common cells minCells.
//
//go:noescape
func windowSimsAsm(ca *[cylStride]uint64, bc *[cylStride]uint64, n int, sq *[256]float32, minCells int, floor float32, out *hit) int

// windowSimsAVX512 is windowSimsAsm for the n (at least 1) cylinders
// from bw on, word by word: word w of the k-th is at bw[w*bWordsLen+k]
// (Matcher.bWords). Four cylinders at a time: the bit counts as
// windowSimsAsm's, their
// square roots by VSQRTPS (the float32 nearest each root, as sqrtTab
// holds: float32(math.Sqrt) of an integer under 256 is that, as a test
// checks), then the same float32 sum, quotient and difference, and the
// hits of the four written in order.
//
//go:noescape
func windowSimsAVX512(ca *[cylStride]uint64, bw *uint64, n int, minCells int, floor float32, out *hit) int

// compatLanesAVX512 computes, for pair p of geom and the later pairs q up
// to nR, eight at a time, compatLists' three terms into out (by q) and
// returns the bits of the q that pass its three tests (bit q).
//
//go:noescape
func compatLanesAVX512(geom *pairGeom, p, nR int, out *compatScratch) uint32
