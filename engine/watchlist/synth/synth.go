// Package synth generates the evaluation set of the person watchlist:
// listed persons, probes that are the same persons as their passports'
// MRZs would name them (mates: other spellings, swapped order, missing or
// extra middle names, truncated MRZ names, read errors), and travellers who
// are not listed but look like listed persons (impostors: namesakes born on
// other dates, relatives sharing most of a name, people with common names).
// Everything follows from a seed, so a set is named by its seed and sizes.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"checkpost/engine/watchlist"
)

// Probe is one traveller to screen.
type Probe struct {
	Query watchlist.PersonQuery
	// MRZName is the name field as the MRZ holds it.
	MRZName string
	// Want is the listed person this traveller is, 0 for an impostor.
	Want int64
	// Kind says how the probe was made (for the breakdown of errors).
	Kind string
}

// Set is a generated evaluation set.
type Set struct {
	Seed      uint64
	Listed    []watchlist.Person
	Mates     []Probe
	Impostors []Probe
}

// identity is a generated person before spelling: name groups and dates.
type identity struct {
	female   bool
	given    []int // groups of the given-name pool
	surname  []int // groups of surnames (one or two)
	birth    watchlist.PartialDate
	nat      string
	allFirst bool // the passport writes the whole name as the primary identifier
}

type gen struct {
	r *rand.Rand
	// zipf tables: cumulative weights of the pools
	cumMale, cumFemale, cumSurname, cumNat []float64
}

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	g.cumMale = zipfCum(len(maleGiven))
	g.cumFemale = zipfCum(len(femaleGiven))
	g.cumSurname = zipfCum(len(surnames))
	var acc float64
	for _, n := range nationalities {
		acc += float64(n.weight)
		g.cumNat = append(g.cumNat, acc)
	}
	return g
}

// zipfCum returns cumulative weights 1/(k+2)^0.9: a few groups are very
// common (Muhammad, Khan), most are not.
func zipfCum(n int) []float64 {
	out := make([]float64, n)
	var acc float64
	for k := range out {
		acc += 1 / math.Pow(float64(k+2), 0.9)
		out[k] = acc
	}
	return out
}

func (g *gen) pick(cum []float64) int {
	v := g.r.Float64() * cum[len(cum)-1]
	return sort.SearchFloat64s(cum, v)
}

func (g *gen) identity() identity {
	id := identity{female: g.r.IntN(4) == 0}
	id.nat = nationalities[g.pick(g.cumNat)].code
	nGiven := 1 + g.r.IntN(2)
	if g.r.IntN(5) == 0 {
		nGiven = 3
	}
	for len(id.given) < nGiven {
		if k := g.pickGiven(id.female); !contains(id.given, k) {
			id.given = append(id.given, k)
		}
	}
	id.surname = []int{g.pick(g.cumSurname)}
	if g.r.IntN(8) == 0 {
		if k := g.pick(g.cumSurname); k != id.surname[0] {
			id.surname = append(id.surname, k)
		}
	}
	id.birth = watchlist.PartialDate{Year: 1950 + g.r.IntN(55), Month: 1 + g.r.IntN(12), Day: 1 + g.r.IntN(28)}
	id.allFirst = g.r.IntN(12) == 0
	return id
}

func (g *gen) pickGiven(female bool) int {
	if female {
		return g.pick(g.cumFemale)
	}
	return g.pick(g.cumMale)
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (id identity) givenPool() [][]string {
	if id.female {
		return femaleGiven
	}
	return maleGiven
}

// spell writes the identity's name with the first (listed) or a random
// spelling of each group.
func (g *gen) spell(id identity, varied float64) (primary, secondary []string) {
	pool := id.givenPool()
	choose := func(group []string) string {
		if len(group) > 1 && g.r.Float64() < varied {
			return group[g.r.IntN(len(group))]
		}
		return group[0]
	}
	for _, k := range id.surname {
		primary = append(primary, choose(surnames[k]))
	}
	for _, k := range id.given {
		secondary = append(secondary, choose(pool[k]))
	}
	return primary, secondary
}

// listSpelling is how a list writes a person: the spellings of the listing
// authority (any variant, as lists come from many sources), and a birth
// date that is full, a year only, or unknown.
func (g *gen) listed(id identity, pid int64) watchlist.Person {
	p, s := g.spell(id, 0.6)
	l := lists[g.r.IntN(len(lists))]
	person := watchlist.Person{
		ID: pid, List: l.name, Reason: l.reason, Nationality: id.nat,
		Names: []watchlist.PersonName{{Primary: strings.Join(p, " "), Secondary: strings.Join(s, " ")}},
	}
	switch v := g.r.IntN(10); {
	case v < 7:
		person.BirthDate = id.birth
	case v < 9:
		person.BirthDate = watchlist.PartialDate{Year: id.birth.Year}
	}
	if g.r.Float64() >= 0.9 {
		person.Nationality = ""
	}
	if g.r.IntN(5) == 0 { // an alias: the same person under another spelling or surname
		alias := id
		if g.r.IntN(2) == 0 {
			alias.surname = []int{g.pick(g.cumSurname)}
		}
		ap, as := g.spell(alias, 1)
		person.Names = append(person.Names, watchlist.PersonName{Primary: strings.Join(ap, " "), Secondary: strings.Join(as, " ")})
	}
	return person
}

// mrzField writes primary<<secondary in MRZ form, filled or cut to width.
func mrzField(primary, secondary []string, width int) string {
	enc := func(parts []string) string {
		return strings.ReplaceAll(strings.Join(parts, "<"), " ", "<")
	}
	f := enc(primary)
	if len(secondary) > 0 {
		f += "<<" + enc(secondary)
	}
	if len(f) > width {
		return f[:width]
	}
	return f + strings.Repeat("<", width-len(f))
}

// noise changes one name part the way a transliteration or a reading can
// that the variant tables do not list: a vowel changed, a letter doubled
// or undoubled, a letter dropped, an OCR-B look-alike.
func (g *gen) noise(parts []string) (string, bool) {
	if len(parts) == 0 {
		return "", false
	}
	i := g.r.IntN(len(parts))
	w := []byte(parts[i])
	if len(w) < 4 {
		return "", false
	}
	j := 1 + g.r.IntN(len(w)-2)
	var kind string
	switch g.r.IntN(4) {
	case 0:
		vowels := "AEIOU"
		if strings.IndexByte(vowels, w[j]) < 0 {
			return "", false
		}
		w[j] = vowels[g.r.IntN(5)]
		kind = "vowel"
	case 1:
		if w[j] == w[j-1] {
			w = append(w[:j], w[j+1:]...)
		} else {
			w = append(w[:j+1], w[j:]...)
		}
		kind = "double"
	case 2:
		w = append(w[:j], w[j+1:]...)
		kind = "drop"
	default:
		look := map[byte]byte{'O': 'Q', 'Q': 'O', 'M': 'N', 'N': 'M', 'E': 'F', 'F': 'E', 'I': 'L', 'L': 'I', 'C': 'G', 'G': 'C', 'H': 'M', 'U': 'V', 'V': 'U'}
		c, ok := look[w[j]]
		if !ok {
			return "", false
		}
		w[j] = c
		kind = "ocr"
	}
	parts[i] = string(w)
	return kind, true
}

// mate makes the traveller's MRZ for a listed identity.
func (g *gen) mate(id identity, want int64) Probe {
	primary, secondary := g.spell(id, 0.7)
	var kinds []string
	if len(secondary) >= 2 && g.r.IntN(7) == 0 {
		j := 1 + g.r.IntN(len(secondary)-1)
		secondary = append(secondary[:j:j], secondary[j+1:]...)
		kinds = append(kinds, "dropped-middle")
	}
	if g.r.IntN(10) == 0 {
		extra := id
		extra.given = []int{g.pickGiven(id.female)}
		_, s := g.spell(extra, 0.5)
		secondary = append(secondary, s...)
		kinds = append(kinds, "extra-name")
	}
	switch {
	case id.allFirst:
		primary, secondary = append(secondary, primary...), nil
		kinds = append(kinds, "all-in-primary")
	case g.r.IntN(10) == 0:
		primary, secondary = secondary, primary
		kinds = append(kinds, "swapped")
	}
	if g.r.IntN(8) == 0 {
		target := primary
		if len(secondary) > 0 && g.r.IntN(2) == 0 {
			target = secondary
		}
		if k, ok := g.noise(target); ok {
			kinds = append(kinds, "noise-"+k)
		}
	}
	width := 39
	if g.r.IntN(5) == 0 {
		width = 30 // TD1 card
	}
	field := mrzField(primary, secondary, width)
	if field[width-1] != '<' {
		kinds = append(kinds, "truncated")
	}
	birth := id.birth
	if g.r.IntN(25) == 0 { // a typing error at issuance or listing: one digit of the day
		for {
			d := birth.Day/10*10 + g.r.IntN(10)
			if g.r.IntN(2) == 0 && birth.Day >= 10 {
				d = g.r.IntN(3)*10 + birth.Day%10
			}
			if d >= 1 && d <= 28 && d != birth.Day {
				birth.Day = d
				break
			}
		}
		kinds = append(kinds, "birth-typo")
	}
	nat := id.nat
	if g.r.IntN(20) == 0 { // another passport
		nat = nationalities[g.pick(g.cumNat)].code
		if nat != id.nat {
			kinds = append(kinds, "other-nationality")
		}
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "spelling")
	}
	return g.probe(field, birth, nat, want, strings.Join(kinds, "+"))
}

func (g *gen) probe(field string, birth watchlist.PartialDate, nat string, want int64, kind string) Probe {
	p, s, trunc := watchlist.ParseMRZName(field)
	// The MRZ gives two-digit years.
	birth.Year %= 100
	if birth.Year == 0 {
		birth.Year = 100
	}
	return Probe{
		Query:   watchlist.PersonQuery{Primary: p, Secondary: s, Truncated: trunc, BirthDate: birth, Nationality: nat},
		MRZName: field, Want: want, Kind: kind,
	}
}

// signature names an identity by its name groups, spelling aside.
func signature(id identity) string {
	g := append([]int(nil), id.given...)
	sort.Ints(g)
	s := append([]int(nil), id.surname...)
	sort.Ints(s)
	return fmt.Sprint(id.female, g, s)
}

// impostor makes a traveller who is not listed: a namesake born on
// another date, a relative sharing surname and first name, someone whose
// given name sounds like a listed one, or a random traveller.
func (g *gen) impostor(listed []identity, taken map[string][]watchlist.PartialDate) Probe {
	for {
		var id identity
		var kind string
		base := listed[g.r.IntN(len(listed))]
		switch v := g.r.IntN(10); {
		case v < 2:
			id = base
			id.given = append([]int(nil), base.given...)
			kind = "namesake"
		case v < 5:
			id = base
			id.given = append([]int(nil), base.given[:1]...)
			for len(id.given) < len(base.given) || len(id.given) < 2 {
				if k := g.pickGiven(id.female); !contains(base.given, k) && !contains(id.given, k) {
					id.given = append(id.given, k)
				}
			}
			kind = "relative"
		case v < 6:
			id = base
			id.given = append([]int(nil), base.given...)
			pool := len(maleGiven)
			if id.female {
				pool = len(femaleGiven)
			}
			j := g.r.IntN(len(id.given))
			// A neighbouring group: names that are different but may share a root (Hassan/Hussain).
			k := id.given[j] + 1
			if k >= pool {
				k = id.given[j] - 1
			}
			if contains(id.given, k) {
				continue
			}
			id.given[j] = k
			kind = "similar-name"
		default:
			id = g.identity()
			kind = "random"
		}
		id.birth = watchlist.PartialDate{Year: 1950 + g.r.IntN(55), Month: 1 + g.r.IntN(12), Day: 1 + g.r.IntN(28)}
		if clash(taken[signature(id)], id.birth) {
			continue // that would be the listed person
		}
		primary, secondary := g.spell(id, 0.7)
		if id.allFirst {
			primary, secondary = append(secondary, primary...), nil
		}
		width := 39
		if g.r.IntN(5) == 0 {
			width = 30
		}
		return g.probe(mrzField(primary, secondary, width), id.birth, id.nat, 0, kind)
	}
}

// clash reports whether a traveller born on d could be a listed person
// with the same names, given what the list says of the birth dates.
func clash(listed []watchlist.PartialDate, d watchlist.PartialDate) bool {
	for _, l := range listed {
		if l.Year == 0 || l.Year == d.Year && (l.Month == 0 || l.Month == d.Month && (l.Day == 0 || l.Day == d.Day)) {
			return true
		}
	}
	return false
}

// Generate makes a set of nListed persons, nMates mates (each of a random
// listed person) and nImpostors impostors.
func Generate(seed uint64, nListed, nMates, nImpostors int) *Set {
	g := newGen(seed)
	set := &Set{Seed: seed}
	ids := make([]identity, nListed)
	taken := map[string][]watchlist.PartialDate{}
	for i := range ids {
		ids[i] = g.identity()
		p := g.listed(ids[i], int64(i+1))
		set.Listed = append(set.Listed, p)
		sig := signature(ids[i])
		taken[sig] = append(taken[sig], p.BirthDate)
	}
	for i := 0; i < nMates; i++ {
		k := g.r.IntN(nListed)
		set.Mates = append(set.Mates, g.mate(ids[k], int64(k+1)))
	}
	for i := 0; i < nImpostors; i++ {
		set.Impostors = append(set.Impostors, g.impostor(ids, taken))
	}
	return set
}

// List makes n listed persons (ids 1..n) and, for the first nProbes of
// them, a mate each: the large lists of the speed measurement, without the
// bookkeeping that impostors need.
func List(seed uint64, n, nProbes int) ([]watchlist.Person, []Probe) {
	g := newGen(seed)
	persons := make([]watchlist.Person, n)
	var probes []Probe
	for i := range persons {
		id := g.identity()
		persons[i] = g.listed(id, int64(i+1))
		if i < nProbes {
			probes = append(probes, g.mate(id, int64(i+1)))
		}
	}
	return persons, probes
}
