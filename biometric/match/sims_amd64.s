//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"

// The layout this code reads: a cylinder is 4 words, cylWords (3) of
// bits and the validity word, whose low 32 bits are the valid cells.

DATA one<>+0(SB)/4, $0x3f800000 // float32 1
GLOBL one<>(SB), RODATA|NOPTR, $4

// func hasPOPCNT() bool
TEXT ·hasPOPCNT(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $23, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func windowSimsAsm(ca *[4]uint64, bc *[4]uint64, n int, sq *[256]float32, minCells int, floor float32, out *hit) int
//
// Registers: SI ca, DI the cylinder of bc, CX the end of bc, R8 sq, R10
// the next hit (it moves on when a similarity passes floor, X4).
TEXT ·windowSimsAsm(SB), NOSPLIT, $0-64
	MOVQ ca+0(FP), SI
	MOVQ bc+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ sq+24(FP), R8
	MOVSS floor+40(FP), X4
	MOVQ out+48(FP), R10
	TESTQ CX, CX
	JLE done
	SHLQ $5, CX
	ADDQ DI, CX // end of bc
	MOVSS one<>(SB), X3

loop:
	// c: the cells valid in both; too few: 0.
	MOVL 24(DI), AX
	ANDL 24(SI), AX
	POPCNTL AX, BX
	CMPQ BX, minCells+32(FP)
	JLT zero
	// common: c in both lanes.
	MOVQ AX, DX
	SHLQ $32, DX
	ORQ AX, DX

	// word 0: R11 = |a|, R12 = |b|, R13 = |a xor b| over common.
	MOVQ 0(SI), AX
	ANDQ DX, AX
	MOVQ 0(DI), BX
	ANDQ DX, BX
	POPCNTQ AX, R11
	POPCNTQ BX, R12
	XORQ AX, BX
	POPCNTQ BX, R13

	// word 1
	MOVQ 8(SI), AX
	ANDQ DX, AX
	MOVQ 8(DI), BX
	ANDQ DX, BX
	POPCNTQ AX, R9
	ADDQ R9, R11
	POPCNTQ BX, R9
	ADDQ R9, R12
	XORQ AX, BX
	POPCNTQ BX, R9
	ADDQ R9, R13

	// word 2
	MOVQ 16(SI), AX
	ANDQ DX, AX
	MOVQ 16(DI), BX
	ANDQ DX, BX
	POPCNTQ AX, R9
	ADDQ R9, R11
	POPCNTQ BX, R9
	ADDQ R9, R12
	XORQ AX, BX
	POPCNTQ BX, R9
	ADDQ R9, R13

	// none set: 0.
	MOVQ R11, AX
	ORQ R12, AX
	JZ zero

	// 1 - sq[nd] / (sq[|a|] + sq[|b|]), float32 as the Go code.
	MOVSS (R8)(R11*4), X1
	ADDSS (R8)(R12*4), X1
	MOVSS (R8)(R13*4), X0
	DIVSS X1, X0
	MOVSS X3, X2
	SUBSS X0, X2
	// Write the hit; keep it when the similarity exceeds floor.
	MOVSS X2, 0(R10)
	MOVQ DI, AX
	SUBQ bc+8(FP), AX
	SHRQ $5, AX
	MOVL AX, 4(R10)
	XORL BX, BX
	UCOMISS X4, X2
	SETHI BX
	SHLQ $3, BX
	ADDQ BX, R10

zero: // a similarity of 0 never passes floor
	ADDQ $32, DI
	CMPQ DI, CX
	JB loop

done:
	SUBQ out+48(FP), R10
	SHRQ $3, R10
	MOVQ R10, ret+56(FP)
	RET

// The layout windowSimsAVX512 reads: Matcher.bWords, four rows of
// bWordsLen (100) words, 800 bytes each (TestBWordsLayout).
#define ROW 800

// WORDCOUNTS adds the bit counts of a's word aw and b's words at off
// from DI, under common (Y9), to Y13 (a's), Y14 (b's) and Y16 (their
// difference's); Y11, Y12 and Y17 are scratch.
#define WORDCOUNTS(aw, off) \
	VPANDQ aw, Y9, Y11 \
	VPANDQ (off)(DI)(BX*8), Y9, Y12 \
	VPOPCNTQ Y11, Y17 \
	VPADDQ Y17, Y13, Y13 \
	VPOPCNTQ Y12, Y17 \
	VPADDQ Y17, Y14, Y14 \
	VPXORQ Y11, Y12, Y12 \
	VPOPCNTQ Y12, Y17 \
	VPADDQ Y17, Y16, Y16

DATA lowHalves<>+0(SB)/8, $0x00000000ffffffff
GLOBL lowHalves<>(SB), RODATA|NOPTR, $8

DATA laneT<>+0(SB)/4, $0x03020100 // 0, 1, 2, 3
GLOBL laneT<>(SB), RODATA|NOPTR, $4

DATA laneStep<>+0(SB)/8, $0x0000000400000000
GLOBL laneStep<>(SB), RODATA|NOPTR, $8

// func windowSimsAVX512(ca *[4]uint64, bw *uint64, n int, minCells int, floor float32, out *hit) int
//
// Registers: SI ca, DI bw, CX n, BX the first cylinder of the group,
// R10 the next hit; Y0-Y3 a's words and validity in every lane, Y4
// minCells, Y5 the low halves' mask, X6 1.0, Y7 the group's hits' t in
// the high halves, Y8 their step, X15 floor.
TEXT ·windowSimsAVX512(SB), NOSPLIT, $0-56
	MOVQ ca+0(FP), SI
	MOVQ bw+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ out+40(FP), R10
	VPBROADCASTQ 0(SI), Y0
	VPBROADCASTQ 8(SI), Y1
	VPBROADCASTQ 16(SI), Y2
	VPBROADCASTQ 24(SI), Y3
	VPBROADCASTQ minCells+24(FP), Y4
	VPBROADCASTQ lowHalves<>(SB), Y5
	VBROADCASTSS one<>(SB), X6
	VPMOVZXBQ laneT<>(SB), Y7
	VPSLLQ $32, Y7, Y7
	VPBROADCASTQ laneStep<>(SB), Y8
	VBROADCASTSS floor+32(FP), X15
	XORQ BX, BX

loop:
	// K1: the group's cylinders before n.
	GROUPMASK(CX, BX, 4, K1, R8)
	// c: the cells valid in both, in the low halves; K2: enough of them.
	VMOVDQU64.Z (3*ROW)(DI)(BX*8), K1, Y9
	VPANDQ Y3, Y9, Y9
	VPANDQ Y5, Y9, Y9
	VPOPCNTQ Y9, Y10
	VPCMPUQ $5, Y4, Y10, K1, K2
	// common: c in both halves.
	VPSLLQ $32, Y9, Y10
	VPORQ Y10, Y9, Y9

	// Y13 = |a|, Y14 = |b|, Y16 = |a xor b| over common, word by word.
	VPXORQ Y13, Y13, Y13
	VPXORQ Y14, Y14, Y14
	VPXORQ Y16, Y16, Y16
	WORDCOUNTS(Y0, 0)
	WORDCOUNTS(Y1, ROW)
	WORDCOUNTS(Y2, 2*ROW)

	// K3: some bit set.
	VPORQ Y13, Y14, Y17
	VPTESTMQ Y17, Y17, K2, K3

	// 1 - sqrt(nd) / (sqrt(|a|) + sqrt(|b|)), float32 as the Go code.
	VCVTQQ2PSY Y13, X13
	VCVTQQ2PSY Y14, X14
	VCVTQQ2PSY Y16, X16
	VSQRTPS X13, X13
	VSQRTPS X14, X14
	VSQRTPS X16, X16
	VADDPS X14, X13, X13
	VDIVPS X13, X16, X16
	VSUBPS X16, X6, X16
	// K4: kept, the similarity above floor.
	VCMPPS $0x1e, X15, X16, K3, K4

	// The hits {sim, t} of the kept, in order.
	VPMOVZXDQ X16, Y17
	VPORQ Y7, Y17, Y17
	VPCOMPRESSQ Y17, K4, Y17
	VMOVDQU64 Y17, (R10)
	KMOVB K4, AX
	POPCNTL AX, AX
	LEAQ (R10)(AX*8), R10

	VPADDQ Y8, Y7, Y7
	ADDQ $4, BX
	CMPQ BX, CX
	JLT loop

	VZEROUPPER
	SUBQ out+40(FP), R10
	SHRQ $3, R10
	MOVQ R10, ret+48(FP)
	RET

// compatLanesAVX512's constants (float32 unless said).
DATA clConst<>+0(SB)/4, $0x80000000 // the sign bit
DATA clConst<>+4(SB)/4, $0x7fffffff // all but the sign bit
DATA clConst<>+8(SB)/4, $0x40800000 // 4
DATA clConst<>+12(SB)/4, $0x3f800000 // 1
DATA clConst<>+16(SB)/4, $0x3d31f8a1 // 0.04345
DATA clConst<>+20(SB)/4, $0x3e000000 // 0.125
DATA clConst<>+24(SB)/4, $0x3e800000 // 0.25
DATA clConst<>+28(SB)/4, $0x3f000000 // 0.5
DATA clConst<>+32(SB)/4, $0x47800000 // 65536
DATA clConst<>+36(SB)/4, $85         // compatMaxAngle (int)
DATA clConst<>+40(SB)/4, $40         // compatMaxDist (int)
GLOBL clConst<>(SB), RODATA|NOPTR, $44

// pairGeom's arrays (TestPairGeomLayout).
#define PG_ROT 0
#define PG_AA 48
#define PG_BA 96
#define PG_AX 144
#define PG_AY 240
#define PG_BX 336
#define PG_BY 432

// ATAN16 is atan16 on eight lanes: the angle of (x, y) into r (int32;
// its low 16 bits are atan16's), x and y overwritten, l and t scratch.
// Each select of atan16 is a masked move here, on the same values.
#define ATAN16(x, y, r, l, t) \
	VCMPPS $0x11, Y0, x, K3 \
	VCMPPS $0x11, Y0, y, K4 \
	VXORPS Y1, x, K3, x \
	VXORPS Y1, y, K4, y \
	VCMPPS $0x00, Y0, x, K5 \
	VCMPPS $0x00, Y0, y, K5, K5 \
	VCMPPS $0x19, y, x, K6 \
	VMOVAPS y, r \
	VMOVAPS x, K6, r \
	VMOVAPS x, l \
	VMOVAPS y, K6, l \
	VDIVPS l, r, r \
	VSUBPS r, Y4, t \
	VMULPS Y5, t, t \
	VADDPS Y6, t, t \
	VMULPS t, r, r \
	VSUBPS r, Y7, t \
	VMOVAPS t, K6, r \
	VSUBPS r, Y8, t \
	VMOVAPS t, K3, r \
	VXORPS Y1, r, K4, r \
	VMULPS Y9, r, r \
	VCVTTPS2DQ r, r \
	VMOVDQA32 Y0, K5, r

// ABSANGLE is absAngle (and absAngleBits) on eight lanes: |int16(v)| >> 6.
#define ABSANGLE(v) \
	VPSLLD $16, v, v \
	VPSRAD $16, v, v \
	VPABSD v, v \
	VPSRLD $6, v, v

// func compatLanesAVX512(geom *pairGeom, p, nR int, out *compatScratch) uint32
//
// Registers: SI geom, DX p, CX nR, DI out, BX the group's first q, R8 the
// result. Y0 0, Y1 the sign bit, Y2 the rest, Y3 4, Y4 1, Y5 0.04345, Y6
// 0.125, Y7 0.25, Y8 0.5, Y9 65536, Y10 compatMaxAngle, Y11
// compatMaxDist, Y12 pair p's turn, Y13-Y16 its ax, ay, bx, by, Y17 and
// Y18 its aa and ba.
TEXT ·compatLanesAVX512(SB), NOSPLIT, $0-36
	MOVQ geom+0(FP), SI
	MOVQ p+8(FP), DX
	MOVQ nR+16(FP), CX
	MOVQ out+24(FP), DI
	VPXORD Y0, Y0, Y0
	LEAQ clConst<>(SB), R9
	BCAST4PS(0, R9, Y1, Y2, Y3, Y4)
	BCAST4PS(16, R9, Y5, Y6, Y7, Y8)
	VBROADCASTSS 32(R9), Y9
	VPBROADCASTD 36(R9), Y10
	VPBROADCASTD 40(R9), Y11
	MOVWLZX PG_ROT(SI)(DX*2), AX
	VPBROADCASTD AX, Y12
	MOVWLZX PG_AA(SI)(DX*2), AX
	VPBROADCASTD AX, Y17
	MOVWLZX PG_BA(SI)(DX*2), AX
	VPBROADCASTD AX, Y18
	VBROADCASTSS PG_AX(SI)(DX*4), Y13
	VBROADCASTSS PG_AY(SI)(DX*4), Y14
	VBROADCASTSS PG_BX(SI)(DX*4), Y15
	VBROADCASTSS PG_BY(SI)(DX*4), Y16
	XORQ R8, R8
	LEAQ 1(DX), BX
	CMPQ BX, CX
	JGE cldone

clloop:
	// K1: the group's pairs before nR.
	GROUPMASK(CX, BX, 8, K1, R9)

	// d2 = absAngleBits(int16(rot[p] - rot[q])); K2: below compatMaxAngle.
	VPMOVZXWD.Z PG_ROT(SI)(BX*2), K1, Y19
	VPSUBD Y19, Y12, Y19
	ABSANGLE(Y19)
	VPCMPUD $1, Y10, Y19, K1, K2
	KTESTB K2, K2
	JZ clnext

	// i1 = int(|la - lb| * 4), la and lb the joining lines' lengths
	// (the float32 square root: float32(math.Sqrt(float64(v))) is the
	// float32 nearest the root of a float32 v); K2: below compatMaxDist.
	VMOVUPS.Z PG_AX(SI)(BX*4), K1, Y20
	VSUBPS Y13, Y20, Y20
	VMOVUPS.Z PG_AY(SI)(BX*4), K1, Y21
	VSUBPS Y14, Y21, Y21
	VMOVUPS.Z PG_BX(SI)(BX*4), K1, Y22
	VSUBPS Y15, Y22, Y22
	VMOVUPS.Z PG_BY(SI)(BX*4), K1, Y23
	VSUBPS Y16, Y23, Y23
	VMULPS Y20, Y20, Y24
	VMULPS Y21, Y21, Y25
	VADDPS Y25, Y24, Y24
	VSQRTPS Y24, Y24
	VMULPS Y22, Y22, Y25
	VMULPS Y23, Y23, Y26
	VADDPS Y26, Y25, Y25
	VSQRTPS Y25, Y25
	VSUBPS Y25, Y24, Y24
	VANDPS Y2, Y24, Y24
	VMULPS Y3, Y24, Y24
	VCVTTPS2DQ Y24, Y24
	VPCMPUD $1, Y11, Y24, K2, K2
	KTESTB K2, K2
	JZ clnext

	// d3 = absAngle(int16((atan16(dya, dxa) - aa[p]) - (atan16(dyb,
	// dxb) - ba[p]))); K2: below compatMaxAngle.
	ATAN16(Y20, Y21, Y25, Y26, Y27)
	ATAN16(Y22, Y23, Y26, Y28, Y27)
	VPSUBD Y17, Y25, Y25
	VPSUBD Y18, Y26, Y26
	VPSUBD Y26, Y25, Y25
	ABSANGLE(Y25)
	VPCMPUD $1, Y10, Y25, K2, K2

	// The group's terms, by q, and its compatible pairs' bits.
	VMOVDQU32 Y19, 0(DI)(BX*4)
	VMOVDQU32 Y24, 128(DI)(BX*4)
	VMOVDQU32 Y25, 256(DI)(BX*4)
	KMOVB K2, AX
	SHLXQ BX, AX, AX
	ORQ AX, R8

clnext:
	ADDQ $8, BX
	CMPQ BX, CX
	JLT clloop

cldone:
	VZEROUPPER
	MOVL R8, ret+32(FP)
	RET
