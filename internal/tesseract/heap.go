package tesseract

/*
#include <malloc.h>

static long long cp_heap_in_use(void) {
	struct mallinfo2 mi = mallinfo2();
	return (long long)(mi.uordblks + mi.hblkhd);
}
*/
import "C"

// CHeapInUse is the C heap's bytes in use (glibc's mallinfo2: the arena's
// allocated blocks and the mmapped ones): what Tesseract holds. Tests use
// it to show that readings do not leak.
func CHeapInUse() int64 { return int64(C.cp_heap_in_use()) }
