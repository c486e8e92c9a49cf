package watchlist

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

func mustAdd(t testing.TB, x *DocumentIndex, e DocumentEntry) {
	t.Helper()
	if err := x.Add(e); err != nil {
		t.Fatal(err)
	}
}

func TestNormalizeDocumentNumberClasses(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"AB0123456", "ABO123456"},
		{"AB0123456", "A8OI23456"},
		{"C01X00T47", "CO1XOOT47"},
		{"C01X00T47", "c01x00t47"},
		{"Q25G78", "D2S678"},
		{"L12345", "112345"},
		{"AB 012-345/6.", "AB0123456<<<"},
	} {
		ka, err := NormalizeDocumentNumber(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := NormalizeDocumentNumber(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		if ka != kb {
			t.Errorf("%q -> %q but %q -> %q: should be the same key", tc.a, ka, tc.b, kb)
		}
	}
	// Letters outside the classes stay distinct.
	for _, pair := range [][2]string{{"AB123", "AC123"}, {"X1", "Y1"}, {"A1", "A7"}, {"M1", "N1"}} {
		ka, _ := NormalizeDocumentNumber(pair[0])
		kb, _ := NormalizeDocumentNumber(pair[1])
		if ka == kb {
			t.Errorf("%q and %q share key %q", pair[0], pair[1], ka)
		}
	}
	for _, bad := range []string{"", "<<<", "AB#12", "ÄB12", strings.Repeat("1", MaxDocumentNumber+1)} {
		if _, err := NormalizeDocumentNumber(bad); !errors.Is(err, ErrBadDocumentNumber) {
			t.Errorf("NormalizeDocumentNumber(%q) err = %v, want ErrBadDocumentNumber", bad, err)
		}
	}
}

func TestNormalizeIssuer(t *testing.T) {
	for in, want := range map[string]string{"D": "D<<", "pak": "PAK", " GBR ": "GBR", "UT0": "UTO", "D<<": "D<<", "8EL": "BEL"} {
		got, err := NormalizeIssuer(in)
		if err != nil || got != want {
			t.Errorf("NormalizeIssuer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "PAKI", "P-K", "<<<", "P4K"} {
		if _, err := NormalizeIssuer(bad); err == nil {
			t.Errorf("NormalizeIssuer(%q) accepted", bad)
		}
	}
}

func TestDocumentLookupConfusableNumbers(t *testing.T) {
	x := NewDocumentIndex()
	mustAdd(t, x, DocumentEntry{Issuer: "PAK", Number: "AB0123456", Reason: "stolen", Authority: "FIA Islamabad", Reported: PartialDate{2024, 3, 1}})
	mustAdd(t, x, DocumentEntry{Issuer: "D", Number: "C01X00T47", Reason: "lost", Authority: "Stadt Köln"})

	hit, ok := x.Lookup("PAK", "AB0123456")
	if !ok || !hit.Exact || hit.Entry.Reason != "stolen" || hit.Entry.Authority != "FIA Islamabad" || hit.Entry.Reported != (PartialDate{2024, 3, 1}) {
		t.Fatalf("exact lookup = %+v, %v", hit, ok)
	}
	// Read by an MRZ reader that took the zero for the letter O and 1 for I.
	hit, ok = x.Lookup("PAK", "ABOI23456")
	if !ok || hit.Exact || hit.Entry.Number != "AB0123456" || hit.Read != "ABOI23456" {
		t.Fatalf("O/0 lookup = %+v, %v; want a non-exact hit on AB0123456", hit, ok)
	}
	if !strings.Contains(hit.Describe(), "look-alike") || !strings.Contains(hit.Describe(), "stolen") {
		t.Errorf("Describe() = %q", hit.Describe())
	}
	// The MRZ form with fillers, and the issuer in MRZ form.
	if _, ok := x.Lookup("D<<", "C01X00T47"); !ok {
		t.Error("D<< C01X00T47 not found")
	}
	if _, ok := x.Lookup("D", "CO1XOOT47<"); !ok {
		t.Error("D CO1XOOT47< not found")
	}
	// Another issuer, another number: misses.
	if _, ok := x.Lookup("IND", "AB0123456"); ok {
		t.Error("hit under the wrong issuer")
	}
	if _, ok := x.Lookup("PAK", "AB0123457"); ok {
		t.Error("hit on a different number")
	}
	if _, ok := x.Lookup("PAK", "AB012345"); ok {
		t.Error("hit on a prefix of a listed number")
	}
	if _, ok := x.Lookup("PAK", "AB#"); ok {
		t.Error("hit on garbage")
	}
}

func TestDocumentCollidingNumbersPreferExact(t *testing.T) {
	x := NewDocumentIndex()
	mustAdd(t, x, DocumentEntry{Issuer: "GBR", Number: "A81234", Reason: "lost", Authority: "HMPO"})
	mustAdd(t, x, DocumentEntry{Issuer: "GBR", Number: "AB1234", Reason: "stolen", Authority: "Met Police"})
	if x.Len() != 2 {
		t.Fatalf("Len = %d, want 2: colliding numbers are distinct entries", x.Len())
	}
	for _, n := range []string{"AB1234", "A81234"} {
		hit, ok := x.Lookup("GBR", n)
		if !ok || !hit.Exact || hit.Entry.Number != n {
			t.Errorf("Lookup(%s) = %+v, %v", n, hit, ok)
		}
	}
	hit, ok := x.Lookup("GBR", "ABI234")
	if !ok || hit.Exact {
		t.Errorf("ABI234: %+v, %v; want a non-exact hit", hit, ok)
	}
}

func TestDocumentReplaceAndRemove(t *testing.T) {
	x := NewDocumentIndex()
	mustAdd(t, x, DocumentEntry{Issuer: "FRA", Number: "12AB34567", Reason: "lost", Authority: "Préfecture"})
	if _, ok := x.Lookup("FRA", "12AB34567"); !ok {
		t.Fatal("not found")
	}
	mustAdd(t, x, DocumentEntry{Issuer: "FRA", Number: "12AB34567", Reason: "stolen", Authority: "Police nationale"})
	mustAdd(t, x, DocumentEntry{Issuer: "FRA", Number: "12AB34567", Reason: "revoked", Authority: "ANTS"})
	if x.Len() != 1 {
		t.Fatalf("Len = %d after re-reports, want 1", x.Len())
	}
	hit, _ := x.Lookup("FRA", "12AB34567")
	if hit.Entry.Reason != "revoked" || hit.Entry.Authority != "ANTS" {
		t.Fatalf("newest report should win: %+v", hit.Entry)
	}
	if x.Remove("FRA", "12A834567") {
		t.Fatal("Remove matched a confusable number; it must take the listed one only")
	}
	if !x.Remove("FRA", "12AB34567") || x.Len() != 0 {
		t.Fatal("Remove failed")
	}
	if _, ok := x.Lookup("FRA", "12AB34567"); ok {
		t.Fatal("found after removal")
	}
}

func TestDocumentLongNumbers(t *testing.T) {
	x := NewDocumentIndex()
	long := "ID12345678901234"
	mustAdd(t, x, DocumentEntry{Issuer: "NLD", Number: long, Reason: "lost", Authority: "RvIG"})
	hit, ok := x.Lookup("NLD", "IDI2345678901234")
	if !ok || hit.Exact || hit.Entry.Number != long {
		t.Fatalf("long confusable lookup = %+v, %v", hit, ok)
	}
	if !x.Remove("NLD", long) || x.Len() != 0 {
		t.Fatal("Remove of a long number failed")
	}
}

func TestDocumentEntryValidation(t *testing.T) {
	x := NewDocumentIndex()
	for _, e := range []DocumentEntry{
		{Issuer: "PAK", Number: "AB1", Authority: "FIA"},
		{Issuer: "PAK", Number: "AB1", Reason: "lost"},
		{Issuer: "PAKI", Number: "AB1", Reason: "lost", Authority: "FIA"},
		{Issuer: "PAK", Number: "A*1", Reason: "lost", Authority: "FIA"},
		{Issuer: "PAK", Number: "AB1", Reason: strings.Repeat("x", MaxReason+1), Authority: "FIA"},
	} {
		if err := x.Add(e); err == nil {
			t.Errorf("Add(%+v) accepted", e)
		}
	}
	if x.Len() != 0 {
		t.Fatal("a bad entry was listed")
	}
}

func TestDocumentConcurrentAddAndLookup(t *testing.T) {
	x := NewDocumentIndex()
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				n := fmt.Sprintf("W%dN%05d", w, i)
				if err := x.Add(DocumentEntry{Issuer: "ESP", Number: n, Reason: "lost", Authority: "DGP"}); err != nil {
					t.Error(err)
					return
				}
				if _, ok := x.Lookup("ESP", n); !ok {
					t.Errorf("%s not found right after Add", n)
					return
				}
			}
		}()
	}
	wg.Wait()
	if x.Len() != 2000 {
		t.Fatalf("Len = %d, want 2000", x.Len())
	}
}

func TestDocumentCSV(t *testing.T) {
	in := "number,issuer,reason,authority,reported\n" +
		"# a comment line\n" +
		"AB0123456,PAK,stolen,FIA Islamabad,2024-03-01\n" +
		"\"C01X00T47\",D,lost,\"Stadt Köln, Bürgeramt\",\n"
	c, err := NewDocumentCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Next()
	if err != nil || e.Issuer != "PAK" || e.Number != "AB0123456" || e.Reported != (PartialDate{2024, 3, 1}) || c.Line() != 3 {
		t.Fatalf("first = %+v, %v (line %d)", e, err, c.Line())
	}
	e, err = c.Next()
	if err != nil || e.Issuer != "D<<" || e.Authority != "Stadt Köln, Bürgeramt" || e.Reported.Known() {
		t.Fatalf("second = %+v, %v", e, err)
	}
	if _, err := c.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}

func TestDocumentCSVErrorsNameTheLine(t *testing.T) {
	in := "issuer,number,reason,authority\n" +
		"PAK,AB1,stolen,FIA\n" +
		"PAK,AB#2,stolen,FIA\n" + // line 3: bad number
		"PAK,AB3,,FIA\n" + // line 4: no reason
		"PAK,AB4,stolen\n" + // line 5: too few fields
		"PAKK,AB5,stolen,FIA\n" + // line 6: bad issuer
		"PAK,AB6,stolen,FIA\n"
	c, err := NewDocumentCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var good int
	var bad []int
	for {
		_, err := c.Next()
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			bad = append(bad, le.Line)
			if !strings.HasPrefix(le.Error(), fmt.Sprintf("line %d: ", le.Line)) {
				t.Errorf("error %q does not start with its line", le)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		good++
	}
	if good != 2 || fmt.Sprint(bad) != "[3 4 5 6]" {
		t.Fatalf("good %d, bad lines %v; want 2 and [3 4 5 6]", good, bad)
	}
}

func TestDocumentCSVHeader(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "empty file",
		"issuer,number,reason\n":             "missing column(s) authority",
		"issuer,number,reason,authority,x\n": `unknown column "x"`,
		"issuer,number,number,reason,authority\n": "appears twice",
	} {
		_, err := NewDocumentCSV(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("header %q: err %v, want %q", in, err, want)
		}
	}
	if _, err := NewDocumentCSV(strings.NewReader("\ufeffIssuer, Number ,REASON,authority\n")); err != nil {
		t.Errorf("BOM and case in header: %v", err)
	}
}

func FuzzDocumentCSV(f *testing.F) {
	f.Add([]byte("issuer,number,reason,authority,reported\nPAK,AB0123456,stolen,FIA,2024-03-01\n"))
	f.Add([]byte("issuer,number,reason,authority\n\"D\",\"C01X\"\"00\",lost,x\nPAK,,,\n"))
	f.Add([]byte("number,issuer,authority,reason\nA,B,C\n1,2,3,4\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewDocumentCSV(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		x := NewDocumentIndex()
		for i := 0; i < 10000; i++ {
			e, err := c.Next()
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
			if err := x.Add(e); err != nil {
				t.Fatalf("CSV accepted %+v but Add refused it: %v", e, err)
			}
			if hit, ok := x.Lookup(e.Issuer, e.Number); !ok || hit.Entry.Number != e.Number {
				t.Fatalf("added %+v, lookup = %+v, %v", e, hit, ok)
			}
		}
	})
}
