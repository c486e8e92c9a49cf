//go:build !purego

#include "textflag.h"

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
