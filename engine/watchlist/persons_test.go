package watchlist

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// testList is a small watchlist with the names the tests screen for and
// look-alikes that must not be taken for them.
func testList(t testing.TB) *PersonIndex {
	t.Helper()
	x := NewPersonIndex()
	for _, p := range []Person{
		{ID: 1, List: "trafficker", Reason: "people smuggling network, FIA case 112/2023", Nationality: "PAK", BirthDate: PartialDate{1980, 3, 14},
			Names: []PersonName{{Primary: "KHAN", Secondary: "MUHAMMAD ALI"}, {Primary: "BHATTI", Secondary: "ALI"}}},
		{ID: 2, List: "wanted", Reason: "arrest warrant", Nationality: "PAK", BirthDate: PartialDate{Year: 1975},
			Names: []PersonName{{Primary: "HUSAIN", Secondary: "AHMED RAZA"}}},
		{ID: 3, List: "exit-control", Reason: "court order", Nationality: "IRQ", BirthDate: PartialDate{1968, 11, 2},
			Names: []PersonName{{Primary: "AL-HASHIMI", Secondary: "ABDUL RAHMAN"}}},
		{ID: 4, List: "wanted", Reason: "fraud", Nationality: "GBR", BirthDate: PartialDate{1990, 1, 1},
			Names: []PersonName{{Primary: "SMITH", Secondary: "JOHN"}}},
		{ID: 5, List: "trafficker", Reason: "forged visas", Nationality: "PAK", BirthDate: PartialDate{1985, 6, 30},
			Names: []PersonName{{Primary: "CHAUDHRY", Secondary: "RAHMATULLAH"}}},
		// Look-alikes sharing common name parts with the persons above.
		{ID: 10, List: "wanted", Reason: "theft", Nationality: "PAK", BirthDate: PartialDate{1992, 7, 7},
			Names: []PersonName{{Primary: "KHAN", Secondary: "IMRAN"}}},
		{ID: 11, List: "wanted", Reason: "theft", Nationality: "PAK", BirthDate: PartialDate{1970, 2, 2},
			Names: []PersonName{{Primary: "ALI", Secondary: "ASIF"}}},
		{ID: 12, List: "wanted", Reason: "theft", Nationality: "PAK", BirthDate: PartialDate{1988, 8, 8},
			Names: []PersonName{{Primary: "HASSAN", Secondary: "KAMRAN"}}},
	} {
		if err := x.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func screenTop(t *testing.T, x *PersonIndex, q PersonQuery) (PersonHit, bool) {
	t.Helper()
	hits := x.Screen(q)
	if len(hits) == 0 {
		return PersonHit{}, false
	}
	for i := 1; i < len(hits); i++ {
		if hits[i].Score > hits[i-1].Score {
			t.Fatalf("hits not best first: %v then %v", hits[i-1].Score, hits[i].Score)
		}
	}
	return hits[0], true
}

func TestScreenMuhammadSpellings(t *testing.T) {
	x := testList(t)
	for _, given := range []string{"MUHAMMAD<ALI", "MOHAMMAD<ALI", "MOHAMMED<ALI", "MUHAMMED<ALI", "MOHAMED<ALI", "MOHD<ALI", "MUHAMMAD<ALY"} {
		hit, ok := screenTop(t, x, PersonQuery{Primary: "KHAN", Secondary: given, BirthDate: PartialDate{1980, 3, 14}, Nationality: "PAK"})
		if !ok || hit.Person.ID != 1 {
			t.Errorf("KHAN<<%s: top hit %+v (found %v), want person 1", given, hit.Person, ok)
			continue
		}
		if hit.Score < DefaultThreshold {
			t.Errorf("KHAN<<%s: score %.3f below the threshold", given, hit.Score)
		}
		if given != "MUHAMMAD<ALI" && !strings.Contains(hit.Reason, "MUHAMAD") {
			t.Errorf("KHAN<<%s: reason %q does not name the listed spelling", given, hit.Reason)
		}
	}
}

func TestScreenHussainSpellings(t *testing.T) {
	x := testList(t)
	for _, primary := range []string{"HUSAIN", "HUSSAIN", "HUSSEIN", "HUSAYN", "HOSSAIN"} {
		hit, ok := screenTop(t, x, PersonQuery{Primary: primary, Secondary: "AHMAD RAZA", BirthDate: PartialDate{1975, 5, 5}})
		if !ok || hit.Person.ID != 2 {
			t.Errorf("%s<<AHMAD<RAZA: %+v, %v; want person 2", primary, hit.Person, ok)
		}
	}
}

func TestScreenSwappedOrderAndMissingMiddleName(t *testing.T) {
	x := testList(t)
	// The whole name in the primary identifier, in another order.
	hit, ok := screenTop(t, x, PersonQuery{Primary: "MUHAMMAD", Secondary: "ALI KHAN", BirthDate: PartialDate{1980, 3, 14}})
	if !ok || hit.Person.ID != 1 || !strings.Contains(hit.Reason, "swapped") {
		t.Fatalf("swapped: %+v, %v, reason %q", hit.Person, ok, hit.Reason)
	}
	// A middle name left out.
	hit, ok = screenTop(t, x, PersonQuery{Primary: "KHAN", Secondary: "MUHAMMAD", BirthDate: PartialDate{1980, 3, 14}})
	if !ok || hit.Person.ID != 1 || !strings.Contains(hit.Reason, "ALI of the listed name is not on the document") {
		t.Fatalf("missing middle name: %+v, %v, reason %q", hit.Person, ok, hit.Reason)
	}
	// An extra middle name on the document.
	hit, ok = screenTop(t, x, PersonQuery{Primary: "KHAN", Secondary: "MUHAMMAD ALI RAZA", BirthDate: PartialDate{1980, 3, 14}})
	if !ok || hit.Person.ID != 1 {
		t.Fatalf("extra middle name: %+v, %v", hit.Person, ok)
	}
}

func TestScreenTruncatedMRZName(t *testing.T) {
	x := testList(t)
	// A name field filled to its end: the name was cut.
	field := "ALHASHIMI<<ABDULRAHM"
	primary, secondary, truncated := ParseMRZName(field)
	if primary != "ALHASHIMI" || secondary != "ABDULRAHM" || !truncated {
		t.Fatalf("ParseMRZName(%q) = %q, %q, %v", field, primary, secondary, truncated)
	}
	hit, ok := screenTop(t, x, PersonQuery{Primary: primary, Secondary: secondary, Truncated: truncated, BirthDate: PartialDate{68, 11, 2}})
	if !ok || hit.Person.ID != 3 || !strings.Contains(hit.Reason, "cut in the MRZ") {
		t.Fatalf("truncated: %+v, %v, reason %q", hit.Person, ok, hit.Reason)
	}
	// The same cut name read as not truncated is a weaker match.
	plain, _ := screenTop(t, x, PersonQuery{Primary: primary, Secondary: secondary, BirthDate: PartialDate{68, 11, 2}, MinScore: 0.01})
	if plain.Score >= hit.Score {
		t.Fatalf("untruncated reading scores %.3f, truncated %.3f: truncation should help", plain.Score, hit.Score)
	}
	if p, s, tr := ParseMRZName("KHAN<<MUHAMMAD<ALI<<<<<<"); p != "KHAN" || s != "MUHAMMAD ALI" || tr {
		t.Fatalf("ParseMRZName = %q, %q, %v", p, s, tr)
	}
}

func TestScreenArabicNameForms(t *testing.T) {
	x := testList(t)
	for _, q := range [][2]string{
		{"AL<HASHIMI", "ABDULRAHMAN"},
		{"HASHIMI", "ABDURRAHMAN"},
		{"EL<HASHIMI", "ABD<AL<RAHMAN"},
		{"ALHASHIMI", "ABDEL<RAHMAN"},
	} {
		hit, ok := screenTop(t, x, PersonQuery{Primary: q[0], Secondary: q[1], BirthDate: PartialDate{1968, 11, 2}})
		if !ok || hit.Person.ID != 3 {
			t.Errorf("%s<<%s: %+v, %v; want person 3", q[0], q[1], hit.Person, ok)
		}
	}
	for _, q := range []string{"RAHMAT<ULLAH", "RAHMATOLLAH", "RAHMATULLA"} {
		hit, ok := screenTop(t, x, PersonQuery{Primary: "CHOUDHARY", Secondary: q, BirthDate: PartialDate{1985, 6, 30}})
		if !ok || hit.Person.ID != 5 {
			t.Errorf("CHOUDHARY<<%s: %+v, %v; want person 5", q, hit.Person, ok)
		}
	}
}

func TestScreenAlias(t *testing.T) {
	x := testList(t)
	hit, ok := screenTop(t, x, PersonQuery{Primary: "BHATI", Secondary: "ALI", BirthDate: PartialDate{1980, 3, 14}})
	if !ok || hit.Person.ID != 1 || hit.Name != 1 || !strings.Contains(hit.Reason, "alias") {
		t.Fatalf("alias: %+v (name %d), %v, %q", hit.Person, hit.Name, ok, hit.Reason)
	}
}

func TestScreenBirthDateMismatchLowersScore(t *testing.T) {
	x := testList(t)
	q := PersonQuery{Primary: "KHAN", Secondary: "MUHAMMAD ALI", Nationality: "PAK", MinScore: 0.01}
	score := func(d PartialDate) float64 {
		q.BirthDate = d
		hit, ok := screenTop(t, x, q)
		if !ok || hit.Person.ID != 1 {
			t.Fatalf("birth date %v: %+v, %v", d, hit.Person, ok)
		}
		return hit.Score
	}
	same := score(PartialDate{1980, 3, 14})
	unknown := score(PartialDate{})
	yearOnly := score(PartialDate{Year: 1980})
	twoDigit := score(PartialDate{80, 3, 14})
	other := score(PartialDate{1962, 9, 1})
	if !(same > yearOnly && yearOnly > unknown && unknown > other) {
		t.Fatalf("scores: same %.3f, year only %.3f, unknown %.3f, other %.3f; want decreasing", same, yearOnly, unknown, other)
	}
	if twoDigit != same {
		t.Fatalf("two-digit year %.3f, want %.3f", twoDigit, same)
	}
	if other >= DefaultThreshold {
		t.Fatalf("a different birth date still scores %.3f, above the threshold %.2f", other, DefaultThreshold)
	}
	hits := x.Screen(PersonQuery{Primary: "KHAN", Secondary: "MUHAMMAD ALI", BirthDate: PartialDate{1962, 9, 1}})
	for _, h := range hits {
		if h.Person.ID == 1 {
			t.Fatalf("hit with a different birth date: %+v", h)
		}
	}
}

func TestScreenLookAlikesDoNotHit(t *testing.T) {
	x := testList(t)
	for _, q := range []PersonQuery{
		{Primary: "KHAN", Secondary: "IMRAN AHMED", BirthDate: PartialDate{1980, 3, 14}},
		{Primary: "KHAN", Secondary: "MUHAMMAD ASIF", BirthDate: PartialDate{1980, 3, 14}},
		{Primary: "HASSAN", Secondary: "AHMED", BirthDate: PartialDate{1975, 1, 1}},
		{Primary: "SMYTHE", Secondary: "JANE", BirthDate: PartialDate{1990, 1, 1}},
		{Primary: "MUELLER", Secondary: "HANS", BirthDate: PartialDate{1970, 1, 1}},
	} {
		for _, h := range x.Screen(q) {
			if h.Person.ID < 10 {
				t.Errorf("%s<<%s hit person %d (%s) with %.3f: %s", q.Primary, q.Secondary, h.Person.ID, h.Person.Names[0], h.Score, h.Reason)
			}
		}
	}
}

func TestPersonAddRemoveReplace(t *testing.T) {
	x := testList(t)
	n := x.Len()
	if !x.Remove(4) || x.Remove(4) || x.Len() != n-1 {
		t.Fatal("Remove")
	}
	if hits := x.Screen(PersonQuery{Primary: "SMITH", Secondary: "JOHN"}); len(hits) != 0 {
		t.Fatalf("removed person still hit: %+v", hits)
	}
	if err := x.Add(Person{ID: 2, List: "wanted", Reason: "warrant withdrawn, new name", Names: []PersonName{{Primary: "ZAIDI", Secondary: "KAMIL"}}}); err != nil {
		t.Fatal(err)
	}
	if x.Len() != n-1 {
		t.Fatalf("replace changed Len to %d", x.Len())
	}
	if hits := x.Screen(PersonQuery{Primary: "HUSAIN", Secondary: "AHMED RAZA"}); len(hits) != 0 {
		t.Fatalf("replaced name still hit: %+v", hits[0])
	}
	if hit, ok := screenTop(t, x, PersonQuery{Primary: "ZAIDI", Secondary: "KAMIL"}); !ok || hit.Person.ID != 2 {
		t.Fatal("new name not found")
	}
	for _, bad := range []Person{
		{List: "x", Reason: "y", Names: []PersonName{{Primary: "A"}}}, // no ID
		{ID: 9, Reason: "y", Names: []PersonName{{Primary: "A"}}},
		{ID: 9, List: "x", Names: []PersonName{{Primary: "A"}}},
		{ID: 9, List: "x", Reason: "y"},
		{ID: 9, List: "x", Reason: "y", Names: []PersonName{{Primary: "<<-"}}},
		{ID: 9, List: "x", Reason: "y", Names: []PersonName{{Primary: "A"}}, Nationality: "PAKI"},
		{ID: 9, List: "x", Reason: "y", Names: []PersonName{{Primary: "A"}}, BirthDate: PartialDate{1980, 13, 1}},
	} {
		if err := x.Add(bad); err == nil {
			t.Errorf("Add(%+v) accepted", bad)
		}
	}
}

func TestCanonicalSpellings(t *testing.T) {
	same := [][]string{
		{"MOHAMMAD", "MUHAMMAD", "MOHAMMED", "MUHAMMED", "MOHAMED", "MOHD"},
		{"HUSSAIN", "HUSAIN", "HUSSEIN", "HUSAYN"},
		{"ABDULRAHMAN", "ABDURRAHMAN", "ABDEL RAHMAN", "ABD AL RAHMAN", "ABDUL<RAHMAN"},
		{"ABDULLAH", "ABDULLA", "ABD ALLAH", "ABDALLAH"},
		{"QURESHI", "KURESHI"},
		{"YOUSUF", "YUSUF"},
		{"DAWOOD", "DAUD"},
		{"ZULFIQAR", "DHULFIQAR", "ZULFIKAR"},
		{"SALAHUDDIN", "SALAH UD DIN", "SALAHEDDINE"},
		{"RAHMATULLAH", "RAHMAT ULLAH", "RAHMATOLLAH"},
		{"MUHAMMAD BIN SALMAN", "MUHAMMAD IBN SALMAN", "MUHAMMAD SALMAN"},
		{"FAROOQ", "FARUQ", "PHAROOQ"},
	}
	for _, group := range same {
		var want string
		for _, name := range group {
			var keys []string
			for _, tk := range tokenizeName(nil, name, false) {
				keys = append(keys, skeletonKey(tk.spell))
			}
			got := strings.Join(keys, " ")
			if want == "" {
				want = got
			} else if got != want {
				t.Errorf("%q keys %q, %q keys %q: should agree", group[0], want, name, got)
			}
		}
	}
	if s := tokenSimilarity("MOHAMAD", "MUHAMAD", false); s < 0.9 {
		t.Errorf("Mohammad/Muhammad similarity %.2f", s)
	}
	if s := tokenSimilarity("XAN", "KAN", false); s > 0.7 {
		t.Errorf("Shan/Khan similarity %.2f", s)
	}
	if s := tokenSimilarity("MUHAM", "MUHAMAD", true); s != 1 {
		t.Errorf("prefix similarity %.2f", s)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]PartialDate{
		"1980-03-14": {1980, 3, 14}, "1980-03": {1980, 3, 0}, "1980": {Year: 1980}, "1980-XX-XX": {Year: 1980},
		"1980-00-00": {Year: 1980}, "": {}, "XX80-03-14": {80, 3, 14}, "XXXX-03-14": {0, 3, 14},
	} {
		got, err := ParseDate(in)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"80", "1980-13-01", "1980-02-30", "1980/03/14", "198O-03-14", "1980-03-14-01", "0010-01-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	d, err := DateFromMRZ("800314")
	if err != nil || d != (PartialDate{80, 3, 14}) {
		t.Errorf("DateFromMRZ = %v, %v", d, err)
	}
	d, err = DateFromMRZ("80<<<<")
	if err != nil || d != (PartialDate{Year: 80}) {
		t.Errorf("DateFromMRZ partial = %v, %v", d, err)
	}
	if d, _ := DateFromMRZ("000101"); !yearsAgree(d.Year, 2000) || yearsAgree(d.Year, 2001) {
		t.Errorf("year 00: %v", d)
	}
}

func TestScreenOriginalScript(t *testing.T) {
	x := NewPersonIndex()
	if err := x.Add(Person{ID: 7, List: "wanted", Reason: "warrant", BirthDate: PartialDate{1979, 5, 1},
		Names: []PersonName{{OriginalPrimary: "خان", OriginalSecondary: "محمد علي"}}}); err != nil {
		t.Fatal(err)
	}
	for _, given := range []string{"MUHAMMAD<ALI", "MOHAMMED<ALY"} {
		hit, ok := screenTop(t, x, PersonQuery{Primary: "KHAN", Secondary: given, BirthDate: PartialDate{79, 5, 1}})
		if !ok || hit.Person.ID != 7 || !strings.Contains(hit.Reason, "original-script") {
			t.Errorf("KHAN<<%s against Arabic script: %+v, %v, %q", given, hit.Person, ok, hit.Reason)
		}
	}
	// A query printed with diacritics (visual zone) goes through the same transliteration.
	y := testList(t)
	if hit, ok := screenTop(t, y, PersonQuery{Primary: "Khān", Secondary: "Muhammad ʿAlī", BirthDate: PartialDate{1980, 3, 14}}); !ok || hit.Person.ID != 1 {
		t.Errorf("diacritics: %+v, %v", hit.Person, ok)
	}
}

func TestPersonCSV(t *testing.T) {
	in := "ref,list,surname,given_names,aliases,original_surname,original_given_names,birth_date,nationality,reason\n" +
		"FIA-112,trafficker,KHAN,MUHAMMAD ALI,\"BHATTI, ALI; KHAN\",خان,محمد علي,1980-03-14,PAK,people smuggling\n" +
		",wanted,HUSAIN,,,,,1975,,arrest warrant\n" +
		",wanted,,,,,,,PAK,no name\n" + // line 4
		",wanted,ALI,ASIF,\"X;;Y\",,,,,r\n" + // line 5: empty alias
		",wanted,ALI,ASIF,,,,1975-13,,r\n" + // line 6: bad date
		",,ALI,ASIF,,,,,,r\n" + // line 7: no list
		",wanted,ALI,ASIF,,,,,PAKI,r\n" // line 8: bad nationality
	c, err := NewPersonCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Next()
	if err != nil {
		t.Fatal(err)
	}
	if p.Ref != "FIA-112" || p.List != "trafficker" || len(p.Names) != 3 || p.Names[1] != (PersonName{Primary: "BHATTI", Secondary: "ALI"}) ||
		p.Names[2].Primary != "KHAN" || p.Names[0].OriginalSecondary != "محمد علي" || p.BirthDate != (PartialDate{1980, 3, 14}) || p.Nationality != "PAK" {
		t.Fatalf("first person: %+v", p)
	}
	p, err = c.Next()
	if err != nil || p.Names[0].Primary != "HUSAIN" || p.BirthDate != (PartialDate{Year: 1975}) {
		t.Fatalf("second person: %+v, %v", p, err)
	}
	var bad []int
	for {
		_, err := c.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("want a LineError, got %v", err)
		}
		bad = append(bad, le.Line)
	}
	if fmt.Sprint(bad) != "[4 5 6 7 8]" {
		t.Fatalf("bad lines %v, want [4 5 6 7 8]", bad)
	}
	if _, err := NewPersonCSV(strings.NewReader("list,given_names,reason\n")); err == nil || !strings.Contains(err.Error(), "surname") {
		t.Fatalf("missing surname column: %v", err)
	}
}

func FuzzPersonCSV(f *testing.F) {
	f.Add([]byte("list,surname,given_names,aliases,birth_date,nationality,reason\nwanted,KHAN,ALI,\"A, B; C\",1980-XX-XX,PAK,r\n"))
	f.Add([]byte("surname,list,reason,original_surname\nX,Y,Z,خان\n,,,\n"))
	f.Add([]byte("list,surname,reason\n\"a\"\"b\",c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewPersonCSV(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		x := NewPersonIndex()
		for i := 0; i < 1000; i++ {
			p, err := c.Next()
			if err == io.EOF {
				return
			}
			var le *LineError
			if err != nil && !errors.As(err, &le) {
				return
			}
			if err != nil {
				continue
			}
			p.ID = int64(i + 1)
			if err := x.Add(p); err != nil {
				t.Fatalf("CSV accepted %+v but Add refused it: %v", p, err)
			}
			n := p.Names[0]
			x.Screen(PersonQuery{Primary: n.Primary, Secondary: n.Secondary, BirthDate: p.BirthDate, Truncated: i%2 == 0})
		}
	})
}

func TestPersonConcurrentAddAndScreen(t *testing.T) {
	x := testList(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			p := Person{ID: int64(1000 + i), List: "wanted", Reason: "r", BirthDate: PartialDate{Year: 1950 + i%50},
				Names: []PersonName{{Primary: fmt.Sprintf("NAME%c%c", 'A'+i%26, 'A'+i/26), Secondary: "MUHAMMAD"}}}
			if err := x.Add(p); err != nil {
				t.Error(err)
				return
			}
			if i%3 == 0 {
				x.Remove(int64(1000 + i))
			}
		}
	}()
	for i := 0; i < 300; i++ {
		hit, ok := screenTop(t, x, PersonQuery{Primary: "KHAN", Secondary: "MOHAMMED ALI", BirthDate: PartialDate{80, 3, 14}, Truncated: i%2 == 0})
		if !ok || hit.Person.ID != 1 {
			t.Fatalf("screen %d during adds: %+v, %v", i, hit.Person, ok)
		}
	}
	<-done
	if x.Len() != 8+200 {
		t.Fatalf("Len = %d, want 208", x.Len())
	}
}

func TestNatCodeDistinct(t *testing.T) {
	seen := map[uint16]string{}
	letters := "ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
	for _, a := range letters {
		for _, b := range letters {
			for _, c := range letters {
				nat := string([]rune{a, b, c})
				k := natCode(nat)
				if k == 0 || k > postNatMask {
					t.Fatalf("natCode(%q) = %d, want 1..%d", nat, k, postNatMask)
				}
				if o, ok := seen[k]; ok {
					t.Fatalf("natCode(%q) = natCode(%q)", nat, o)
				}
				seen[k] = nat
			}
		}
	}
	if natCode("") != 0 {
		t.Fatal("unknown nationality must be 0")
	}
	// A posting keeps its parts apart and orders by birth year.
	d := PartialDate{Year: 1969, Month: 5, Day: 25}
	p := makePosting(d.pack(), natCode("PAK"), 12345)
	if p&postNameMask != 12345 || uint16(p>>postNameBits)&postNatMask != natCode("PAK") || unpackDate(uint32(p>>postDateShift)) != d || int(p>>postYearShift) != 1969 {
		t.Fatalf("posting %x does not round-trip", p)
	}
	if makePosting(PartialDate{Year: 1970}.pack(), 0, 0) <= makePosting(d.pack(), postNatMask, postNameMask) {
		t.Fatal("postings of a later birth year must sort after")
	}
}
