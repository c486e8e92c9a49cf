// Macros of the AVX-512 routes (sims_amd64.s, ridge_amd64.s).

// GROUPMASK sets k to the lanes of a group of up to lanes (4 or 8) items
// from the item at from, of n (registers); tmp and AX are scratch. BZHI
// reads the low byte of the count only: it is clamped to lanes first.
#define GROUPMASK(n, from, lanes, k, tmp) \
	MOVQ n, AX \
	SUBQ from, AX \
	MOVL $lanes, tmp \
	CMPQ AX, tmp \
	CMOVQGT tmp, AX \
	MOVL $0xff, tmp \
	BZHIQ AX, tmp, AX \
	KMOVB AX, k

// GATHERPS loads table[idx] (float32) into dst in the lanes of mask
// (the others 0); it uses K3.
#define GATHERPS(table, idx, mask, dst) \
	KMOVB mask, K3 \
	VPXORD dst, dst, dst \
	VGATHERDPS (table)(idx*4), K3, dst

// BCAST4PS and BCAST4D broadcast the four float32 or int32 at off, off+4,
// off+8 and off+12 from base into r0 to r3.
#define BCAST4PS(off, base, r0, r1, r2, r3) \
	VBROADCASTSS (off)(base), r0 \
	VBROADCASTSS (off+4)(base), r1 \
	VBROADCASTSS (off+8)(base), r2 \
	VBROADCASTSS (off+12)(base), r3

#define BCAST4D(off, base, r0, r1, r2, r3) \
	VPBROADCASTD (off)(base), r0 \
	VPBROADCASTD (off+4)(base), r1 \
	VPBROADCASTD (off+8)(base), r2 \
	VPBROADCASTD (off+12)(base), r3
