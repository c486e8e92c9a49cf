//go:build !purego

#include "textflag.h"

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
