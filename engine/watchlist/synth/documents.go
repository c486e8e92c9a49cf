package synth

import (
	"fmt"
	"math/rand/v2"

	"checkpost/engine/watchlist"
)

var documentIssuers = []string{"PAK", "IND", "AFG", "IRN", "BGD", "GBR", "D<<", "FRA", "USA", "CHN", "NGA", "SYR", "IRQ", "TUR", "ESP", "ITA"}

var documentReasons = []string{"lost", "stolen", "stolen blank", "revoked"}

// Documents calls fn with n generated lost/stolen documents of 16 issuers,
// numbers of the common form two letters and seven digits, 300 reporting
// authorities and dates from 2000 on. Nothing is kept, so that a list of
// ten million costs no more than the index it fills.
func Documents(seed uint64, n int, fn func(watchlist.DocumentEntry)) {
	r := rand.New(rand.NewPCG(seed, 0xd0c))
	for i := 0; i < n; i++ {
		fn(watchlist.DocumentEntry{
			Issuer:    documentIssuers[r.IntN(len(documentIssuers))],
			Number:    fmt.Sprintf("%c%c%07d", 'A'+r.IntN(26), 'A'+r.IntN(26), r.IntN(10_000_000)),
			Reason:    documentReasons[r.IntN(len(documentReasons))],
			Authority: fmt.Sprintf("authority %d", r.IntN(300)),
			Reported:  watchlist.PartialDate{Year: 2000 + r.IntN(25), Month: 1 + r.IntN(12), Day: 1 + r.IntN(28)},
		})
	}
}

// DocumentProbe is a number to look up and whether it is listed.
type DocumentProbe struct {
	Issuer, Number string
	Listed         bool
}

// DocumentProbes makes n lookups from the listed entries given (sampled
// with Documents): half of them listed numbers, of which half as an MRZ
// reader confusing 0/O and 1/I would read them, and half numbers that are
// not listed (ZZ followed by digits: Documents never makes a Z or 2 in
// that place).
func DocumentProbes(seed uint64, listed []watchlist.DocumentEntry, n int) []DocumentProbe {
	r := rand.New(rand.NewPCG(seed, 0x9b0))
	out := make([]DocumentProbe, n)
	for i := range out {
		e := listed[r.IntN(len(listed))]
		switch i % 4 {
		case 0:
			out[i] = DocumentProbe{e.Issuer, e.Number, true}
		case 1:
			b := []byte(e.Number)
			for j, c := range b {
				switch c {
				case '0':
					b[j] = 'O'
				case '1':
					b[j] = 'I'
				}
			}
			out[i] = DocumentProbe{e.Issuer, string(b), true}
		default:
			out[i] = DocumentProbe{e.Issuer, fmt.Sprintf("ZZ%07d", r.IntN(10_000_000)), false}
		}
	}
	return out
}
