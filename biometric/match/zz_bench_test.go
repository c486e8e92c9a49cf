package match

// Throwaway (not committed): the comparison's parts timed alone on DB4_B,
// and every DB's comparisons in thread CPU time.

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
)

func threadCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkZZCPU(b *testing.B) {
	for _, db := range []string{"DB1_B", "DB2_B", "DB3_B", "DB4_B"} {
		var ts []*Template
		for f := 101; f <= 110; f++ {
			for i := 1; i <= 8; i++ {
				ts = append(ts, prepareFVC(b, fmt.Sprintf("%s/%d_%d.tif", db, f, i)))
			}
		}
		var pa, pb []*Template
		for i := range ts {
			for j := i + 1; j < len(ts); j++ {
				pa, pb = append(pa, ts[i]), append(pb, ts[j])
			}
		}
		b.Run(db, func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var m Matcher
			k := 0
			c0 := threadCPU()
			n := 0
			for b.Loop() {
				m.Compare(pa[k], pb[k])
				if k++; k == len(pa) {
					k = 0
				}
				n++
			}
			b.ReportMetric(float64(threadCPU()-c0)/float64(n), "cpu-ns/op")
		})
	}
}

func BenchmarkZZParts(b *testing.B) {
	var ts []*Template
	for f := 101; f <= 110; f++ {
		for i := 1; i <= 8; i++ {
			ts = append(ts, prepareFVC(b, fmt.Sprintf("DB4_B/%d_%d.tif", f, i)))
		}
	}
	var pa, pb []*Template
	for i := range ts {
		for j := i + 1; j < len(ts); j++ {
			pa, pb = append(pa, ts[i]), append(pb, ts[j])
		}
	}
	var m Matcher
	b.Run("localPairs", func(b *testing.B) {
		k := 0
		for b.Loop() {
			a, c := pa[k], pb[k]
			m.localPairs(a, c, min(int(a.n), int(c.n), maxRelax))
			if k++; k == len(pa) {
				k = 0
			}
		}
	})
	b.Run("rescue", func(b *testing.B) {
		k := 0
		for b.Loop() {
			m.ridgeRescue(pa[k], pb[k])
			if k++; k == len(pa) {
				k = 0
			}
		}
	})
	b.Run("compare", func(b *testing.B) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		k := 0
		c0 := threadCPU()
		n := 0
		for b.Loop() {
			m.Compare(pa[k], pb[k])
			if k++; k == len(pa) {
				k = 0
			}
			n++
		}
		b.ReportMetric(float64(threadCPU()-c0)/float64(n), "cpu-ns/op")
	})
}
