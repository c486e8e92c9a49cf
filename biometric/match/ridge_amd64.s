//go:build !purego

#include "textflag.h"
#include "avx512_amd64.h"

// The layout this code reads: ridgeItems is four arrays of
// ridgeMaxCells (384) float32, zr at 0, zi at 1536, kx at 3072 and ky
// at 4608 bytes (TestShiftSumsLayout).

DATA ssSign<>+0(SB)/4, $0x80000000
DATA ssSign<>+4(SB)/4, $0x80000000
DATA ssSign<>+8(SB)/4, $0x80000000
DATA ssSign<>+12(SB)/4, $0x80000000
GLOBL ssSign<>(SB), RODATA|NOPTR, $16

DATA ssMask<>+0(SB)/4, $1023
DATA ssMask<>+4(SB)/4, $1023
DATA ssMask<>+8(SB)/4, $1023
DATA ssMask<>+12(SB)/4, $1023
GLOBL ssMask<>(SB), RODATA|NOPTR, $16

DATA ssOne<>+0(SB)/4, $0x3f800000
DATA ssOne<>+4(SB)/4, $0x3f800000
DATA ssOne<>+8(SB)/4, $0x3f800000
DATA ssOne<>+12(SB)/4, $0x3f800000
GLOBL ssOne<>(SB), RODATA|NOPTR, $16

// GATHER loads cos and sin of the four table indices in idx (R9 the
// table of pairs, cosSinTab) into c and s; it uses AX, BX and idx.
#define GATHER(idx, c, s) \
	MOVQ idx, AX \
	MOVL AX, BX \
	SHRQ $32, AX \
	MOVSD (R9)(BX*8), c \
	MOVHPS (R9)(AX*8), c \
	PSHUFD $0xEE, idx, idx \
	MOVQ idx, AX \
	MOVL AX, BX \
	SHRQ $32, AX \
	MOVSD (R9)(BX*8), s \
	MOVHPS (R9)(AX*8), s \
	MOVAPS c, idx \
	SHUFPS $0x88, s, c \
	SHUFPS $0xDD, s, idx \
	MOVAPS idx, s

// ADD4 adds to o the terms of four sums for each of four items (a, b, c,
// d: each the four items' terms of one sum), item by item: o += (a0, b0,
// c0, d0), then (a1, b1, c1, d1) and so on. t1 and t2 are scratch; a to
// d are overwritten.
#define ADD4(a, b, c, d, t1, t2, o) \
	MOVAPS a, t1 \
	UNPCKLPS b, t1 \
	UNPCKHPS b, a \
	MOVAPS c, t2 \
	UNPCKLPS d, t2 \
	UNPCKHPS d, c \
	MOVAPS t1, b \
	MOVLHPS t2, b \
	ADDPS b, o \
	MOVHLPS t1, t2 \
	ADDPS t2, o \
	MOVAPS a, b \
	MOVLHPS c, b \
	ADDPS b, o \
	MOVHLPS a, c \
	ADDPS c, o

// BROADCAST stores the float32 at src four times from dst (X0 scratch).
#define BROADCAST(src, dst) \
	MOVSS src, X0 \
	SHUFPS $0, X0, X0 \
	MOVUPS X0, dst

// func shiftSums3x4(its *ridgeItems, n int, x0, y0, step, toIdx float32, out *[9]float32)
//
// Registers: SI its, DX the byte offset of the four items, CX its end,
// R9 cosSinTab; X13 the sums 0-3, X14 4-7, X15 (low lane) 8. The frame
// holds x0, y0, step and toIdx four times each (0, 16, 32, 48) and each
// block's w1 and w2 (64-112, see shiftSums3Go).
TEXT ·shiftSums3x4(SB), NOSPLIT, $128-40
	MOVQ its+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ out+32(FP), R8
	LEAQ ·cosSinTab(SB), R9
	BROADCAST(x0+16(FP), 0(SP))
	BROADCAST(y0+20(FP), 16(SP))
	BROADCAST(step+24(FP), 32(SP))
	BROADCAST(toIdx+28(FP), 48(SP))
	MOVUPS 0(R8), X13
	MOVUPS 16(R8), X14
	MOVSS 32(R8), X15
	SHLQ $2, CX
	XORQ DX, DX

loop:
	CMPQ DX, CX
	JGE done
	// The three turns' table indices: t0 of -(kx x0 + ky y0), t1 of
	// -kx step, t2 of -ky step (X0, X2, X3).
	MOVUPS 3072(SI)(DX*1), X2
	MOVUPS 4608(SI)(DX*1), X3
	MOVUPS 0(SP), X0
	MULPS X2, X0
	MOVUPS 16(SP), X1
	MULPS X3, X1
	ADDPS X1, X0
	MOVUPS ssSign<>(SB), X4
	XORPS X4, X0
	MOVUPS 48(SP), X5
	MULPS X5, X0
	CVTTPS2PL X0, X0
	MOVUPS ssMask<>(SB), X6
	PAND X6, X0
	MOVUPS 32(SP), X7
	MULPS X7, X2
	XORPS X4, X2
	MULPS X5, X2
	CVTTPS2PL X2, X2
	PAND X6, X2
	MULPS X7, X3
	XORPS X4, X3
	MULPS X5, X3
	CVTTPS2PL X3, X3
	PAND X6, X3

	// p0 = z e^{i t0}: X6 real, X0 imaginary.
	GATHER(X0, X4, X5)
	MOVUPS 0(SI)(DX*1), X0
	MOVUPS 1536(SI)(DX*1), X1
	MOVAPS X0, X6
	MULPS X4, X6
	MOVAPS X1, X7
	MULPS X5, X7
	SUBPS X7, X6
	MULPS X5, X0
	MULPS X4, X1
	ADDPS X1, X0

	// u = e^{i t1}; p1 = p0 u (X1, X2), p2 = p1 u (X7, X8).
	GATHER(X2, X4, X5)
	MOVAPS X6, X1
	MULPS X4, X1
	MOVAPS X0, X7
	MULPS X5, X7
	SUBPS X7, X1
	MOVAPS X6, X2
	MULPS X5, X2
	MOVAPS X0, X7
	MULPS X4, X7
	ADDPS X7, X2
	MOVAPS X1, X7
	MULPS X4, X7
	MOVAPS X2, X8
	MULPS X5, X8
	SUBPS X8, X7
	MOVAPS X1, X8
	MULPS X5, X8
	MULPS X2, X4
	ADDPS X4, X8

	// v = e^{i t2}; w1 = 1 v - 0 (and 1 vi + 0 vr), w2 = w1 v, to the
	// frame.
	GATHER(X3, X4, X5)
	MOVUPS ssOne<>(SB), X9
	XORPS X10, X10
	MOVAPS X9, X11
	MULPS X4, X11
	MOVAPS X10, X12
	MULPS X5, X12
	SUBPS X12, X11
	MULPS X5, X9
	MULPS X4, X10
	ADDPS X10, X9
	MOVUPS X11, 64(SP)
	MOVUPS X9, 80(SP)
	MOVAPS X11, X10
	MULPS X4, X10
	MOVAPS X9, X12
	MULPS X5, X12
	SUBPS X12, X10
	MOVUPS X10, 96(SP)
	MULPS X11, X5
	MULPS X9, X4
	ADDPS X4, X5
	MOVUPS X5, 112(SP)

	// Sums 0-3: p0, p1, p2 times w0 = 1 (p 1 - pi 0), p0 times w1.
	XORPS X12, X12
	MOVAPS X0, X3
	MULPS X12, X3
	MOVAPS X6, X9
	SUBPS X3, X9
	MOVAPS X2, X3
	MULPS X12, X3
	MOVAPS X1, X10
	SUBPS X3, X10
	MOVAPS X8, X3
	MULPS X12, X3
	MOVAPS X7, X11
	SUBPS X3, X11
	MOVUPS 64(SP), X12
	MULPS X6, X12
	MOVUPS 80(SP), X3
	MULPS X0, X3
	SUBPS X3, X12
	ADD4(X9, X10, X11, X12, X3, X4, X13)

	// Sums 4-7: p1 and p2 times w1, p0 and p1 times w2.
	MOVUPS 64(SP), X9
	MULPS X1, X9
	MOVUPS 80(SP), X3
	MULPS X2, X3
	SUBPS X3, X9
	MOVUPS 64(SP), X10
	MULPS X7, X10
	MOVUPS 80(SP), X3
	MULPS X8, X3
	SUBPS X3, X10
	MOVUPS 96(SP), X11
	MULPS X6, X11
	MOVUPS 112(SP), X3
	MULPS X0, X3
	SUBPS X3, X11
	MOVUPS 96(SP), X12
	MULPS X1, X12
	MOVUPS 112(SP), X3
	MULPS X2, X3
	SUBPS X3, X12
	ADD4(X9, X10, X11, X12, X3, X4, X14)

	// Sum 8: p2 times w2, item by item.
	MOVUPS 96(SP), X9
	MULPS X7, X9
	MOVUPS 112(SP), X3
	MULPS X8, X3
	SUBPS X3, X9
	ADDSS X9, X15
	SHUFPS $0x39, X9, X9
	ADDSS X9, X15
	SHUFPS $0x39, X9, X9
	ADDSS X9, X15
	SHUFPS $0x39, X9, X9
	ADDSS X9, X15

	ADDQ $16, DX
	JMP loop

done:
	MOVUPS X13, 0(R8)
	MOVUPS X14, 16(R8)
	MOVSS X15, 32(R8)
	RET

// The layouts ridgeOverlapAVX512 reads (TestOverlapArgsLayout):
// overlapArgs' fields at the offsets below, ridgeSites' x, y and code at
// 0, 1536 and 3072 bytes, ridgeItems' as above.
#define OA_SITES 0
#define OA_NS 8
#define OA_CODE 16
#define OA_PERIOD 24
#define OA_ITS 32
#define OA_BCOLS 40
#define OA_PCOLS 44
#define OA_C 48
#define OA_S 52
#define OA_TX 56
#define OA_TY 60
#define OA_BX0 64
#define OA_BY0 68
#define OA_FBC 72
#define OA_FBR 76
#define OA_ROT 80
#define OA_PI8 84
#define OA_TOIDX 88

DATA ovConst<>+0(SB)/4, $0x3d800000 // float32 1/16
DATA ovConst<>+4(SB)/4, $15
DATA ovConst<>+8(SB)/4, $2184       // ridgeTurn
DATA ovConst<>+12(SB)/4, $5461      // ridgeMaxTurn
DATA ovConst<>+16(SB)/4, $27307     // 32768 - ridgeMaxTurn
DATA ovConst<>+20(SB)/4, $8         // half a cell
DATA ovConst<>+24(SB)/4, $1023
GLOBL ovConst<>(SB), RODATA|NOPTR, $28

// func ridgeOverlapAVX512(p *overlapArgs) (n, ni int)
//
// Each step of ridgeOverlapGo on eight sites at once; b's codes and
// periods are bytes, gathered as the dword that ends at each (from 3
// bytes before the array: the fields before code, and code's end before
// period, are in the same ridges value).
//
// Registers: SI the sites, BX the first site of the group, CX ns, R9 and
// R11 3 bytes before b's codes and periods, R12 the next item (zr; zi,
// kx, ky 1536, 3072, 4608 bytes on), R10 n, R13, R14, DX cosTab, sinTab,
// waveNumber. Y0-Y3 c, s, tx, ty; Y4-Y7 bx0, by0, cols, rows as float32;
// Y8 the sign bit, Y9 1/16, Y10 pi8, Y11 toIdx, Y12 bcols, Y13 pcols,
// Y14 rot, Y15 15, Y16 ridgeTurn, Y17 ridgeMaxTurn, Y18 32768 -
// ridgeMaxTurn, Y19 8, Y20 1023, Y21 0.
TEXT ·ridgeOverlapAVX512(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), AX
	LEAQ ovConst<>(SB), DI
	BCAST4PS(OA_C, AX, Y0, Y1, Y2, Y3)
	BCAST4PS(OA_BX0, AX, Y4, Y5, Y6, Y7)
	VBROADCASTSS ssSign<>(SB), Y8
	VBROADCASTSS 0(DI), Y9
	VBROADCASTSS OA_PI8(AX), Y10
	VBROADCASTSS OA_TOIDX(AX), Y11
	VPBROADCASTD OA_BCOLS(AX), Y12
	VPBROADCASTD OA_PCOLS(AX), Y13
	VPBROADCASTD OA_ROT(AX), Y14
	VPBROADCASTD 4(DI), Y15
	BCAST4D(8, DI, Y16, Y17, Y18, Y19)
	VPBROADCASTD 24(DI), Y20
	VPXORD Y21, Y21, Y21
	MOVQ OA_SITES(AX), SI
	MOVQ OA_NS(AX), CX
	MOVQ OA_CODE(AX), R9
	SUBQ $3, R9
	MOVQ OA_PERIOD(AX), R11
	SUBQ $3, R11
	MOVQ OA_ITS(AX), R12
	LEAQ ·cosTab(SB), R13
	LEAQ ·sinTab(SB), R14
	LEAQ ·waveNumber(SB), DX
	XORQ BX, BX
	XORQ R10, R10

ovloop:
	// K1: the group's sites before ns.
	GROUPMASK(CX, BX, 8, K1, DI)
	VMOVUPS.Z (SI)(BX*4), K1, Y22       // cx
	VMOVUPS.Z 1536(SI)(BX*4), K1, Y23   // cy
	VPMOVZXBD.Z 3072(SI)(BX*1), K1, Y24 // code

	// px = c*cx - s*cy + tx, py = s*cx + c*cy + ty
	VMULPS Y22, Y0, Y25
	VMULPS Y23, Y1, Y27
	VSUBPS Y27, Y25, Y25
	VADDPS Y2, Y25, Y25
	VMULPS Y22, Y1, Y26
	VMULPS Y23, Y0, Y27
	VADDPS Y27, Y26, Y26
	VADDPS Y3, Y26, Y26

	// fx = (px - bx0)/16, fy = (-py - by0)/16; K2: inside b's map.
	VSUBPS Y4, Y25, Y27
	VMULPS Y9, Y27, Y27
	VXORPS Y8, Y26, Y28
	VSUBPS Y5, Y28, Y28
	VMULPS Y9, Y28, Y28
	VCMPPS $0x1d, Y21, Y27, K1, K2 // fx >= 0
	VCMPPS $0x1d, Y21, Y28, K2, K2 // fy >= 0
	VCMPPS $0x11, Y6, Y27, K2, K2  // fx < cols
	VCMPPS $0x11, Y7, Y28, K2, K2  // fy < rows
	KTESTB K2, K2
	JZ ovnext
	VCVTTPS2DQ Y27, Y27 // bc
	VCVTTPS2DQ Y28, Y28 // br

	// codeB; K4: b's cell has a sample (n counts it).
	VPMULLD Y12, Y28, Y22
	VPADDD Y27, Y22, Y22
	KMOVB K2, K3
	VPXORD Y29, Y29, Y29
	VPGATHERDD (R9)(Y22*1), K3, Y29
	VPSRLD $24, Y29, Y29
	VPSRLD $4, Y29, Y30
	VPCMPD $4, Y15, Y30, K2, K4
	KMOVB K4, AX
	POPCNTL AX, AX
	ADDQ AX, R10

	// nb, d = int16(dirA + rot - nb), |d|; K5: the same direction,
	// K6: kept (a sample, the same or the opposite direction).
	VPMULLD Y16, Y30, Y30
	VPSRLD $4, Y24, Y22
	VPMULLD Y16, Y22, Y22
	VPADDD Y14, Y22, Y22
	VPSUBD Y30, Y22, Y22
	VPSLLD $16, Y22, Y22
	VPSRAD $16, Y22, Y22
	VPABSD Y22, Y22
	VPCMPD $2, Y17, Y22, K5
	VPCMPD $5, Y18, Y22, K6
	KORB K5, K6, K6
	KANDB K4, K6, K6

	// psiA: phA negated where the directions are the same.
	VPANDD Y15, Y24, Y23
	VCVTDQ2PS Y23, Y23
	VMULPS Y10, Y23, Y23
	VXORPS Y8, Y23, K5, Y23

	// kb = waveNumber[period[(br>>1)*pcols + bc>>1]]
	VPSRLD $1, Y28, Y24
	VPMULLD Y13, Y24, Y24
	VPSRLD $1, Y27, Y22
	VPADDD Y22, Y24, Y24
	KMOVB K2, K3
	VPXORD Y22, Y22, Y22
	VPGATHERDD (R11)(Y24*1), K3, Y22
	VPSRLD $24, Y22, Y22
	GATHERPS(DX, Y22, K2, Y31)

	// nbx, nby = cosTab[nb>>6], sinTab[nb>>6]
	VPSRLD $6, Y30, Y24
	GATHERPS(R13, Y24, K2, Y22)
	GATHERPS(R14, Y24, K2, Y30)

	// cbx = bx0 + (bc*16 + 8), cby = -(by0 + (br*16 + 8))
	VPSLLD $4, Y27, Y27
	VPADDD Y19, Y27, Y27
	VCVTDQ2PS Y27, Y27
	VADDPS Y27, Y4, Y27
	VPSLLD $4, Y28, Y28
	VPADDD Y19, Y28, Y28
	VCVTDQ2PS Y28, Y28
	VADDPS Y28, Y5, Y28
	VXORPS Y8, Y28, Y28

	// psiB = kb*(nbx*(px-cbx) + nby*(py-cby)) - (codeB&15)*pi8
	VSUBPS Y27, Y25, Y25
	VSUBPS Y28, Y26, Y26
	VMULPS Y25, Y22, Y25
	VMULPS Y26, Y30, Y26
	VADDPS Y26, Y25, Y25
	VMULPS Y25, Y31, Y25
	VPANDD Y15, Y29, Y29
	VCVTDQ2PS Y29, Y29
	VMULPS Y10, Y29, Y29
	VSUBPS Y29, Y25, Y25

	// t = int32((psiA - psiB)*toIdx) & 1023
	VSUBPS Y25, Y23, Y23
	VMULPS Y11, Y23, Y23
	VCVTTPS2DQ Y23, Y23
	VPANDD Y20, Y23, Y23

	// The kept items: cosTab[t], sinTab[t], kb*nbx, kb*nby.
	GATHERPS(R13, Y23, K6, Y24)
	GATHERPS(R14, Y23, K6, Y25)
	VMULPS Y22, Y31, Y22
	VMULPS Y30, Y31, Y30
	VCOMPRESSPS Y24, K6, (R12)
	VCOMPRESSPS Y25, K6, 1536(R12)
	VCOMPRESSPS Y22, K6, 3072(R12)
	VCOMPRESSPS Y30, K6, 4608(R12)
	KMOVB K6, AX
	POPCNTL AX, AX
	LEAQ (R12)(AX*4), R12

ovnext:
	ADDQ $8, BX
	CMPQ BX, CX
	JLT ovloop

	VZEROUPPER
	MOVQ R10, n+8(FP)
	MOVQ p+0(FP), AX
	SUBQ OA_ITS(AX), R12
	SHRQ $2, R12
	MOVQ R12, ni+16(FP)
	RET
