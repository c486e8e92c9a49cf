package mrz

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// benchCorpus returns n different valid zones of format f.
func benchCorpus(f Format, n int) []string {
	rng := rand.New(rand.NewPCG(7, uint64(f)))
	out := make([]string, 0, n)
	for len(out) < n {
		d := randomDocument(rng)
		if d.Format != f {
			continue
		}
		lines, err := Generate(d)
		if err != nil {
			panic(err)
		}
		out = append(out, strings.Join(lines, "\n"))
	}
	return out
}

// BenchmarkParse parses and fully validates zones of each format into a
// reused Result (the hot path of a reader): the only allocation is the
// string of readable names.
func BenchmarkParse(b *testing.B) {
	for _, f := range []Format{TD1, TD2, TD3, MRVA, MRVB, FrenchID} {
		b.Run(f.String(), func(b *testing.B) {
			corpus := benchCorpus(f, 1024)
			p := NewParser(testRef)
			var r Result
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.ParseInto(&r, corpus[i&1023]); err != nil || !r.Valid {
					b.Fatal(err, fieldErrors(&r))
				}
			}
		})
	}
}

// BenchmarkParseNew is Parse as most callers use it: a new Result each time.
func BenchmarkParseNew(b *testing.B) {
	corpus := benchCorpus(TD3, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(corpus[i&1023], testRef); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRepair repairs TD3 zones with one misread in the number.
func BenchmarkRepair(b *testing.B) {
	corpus := benchCorpus(TD3, 256)
	bad := make([][]string, len(corpus))
	for i, z := range corpus {
		lines := strings.Split(z, "\n")
		l := []byte(lines[1])
		l[3] = map[bool]byte{true: 'O', false: '0'}[l[3] == '0']
		bad[i] = []string{lines[0], string(l)}
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Repair(bad[i&255], nil, testRef); err != nil {
			b.Fatal(err)
		}
	}
}
