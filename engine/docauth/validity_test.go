package docauth

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

func TestValidityWeighed(t *testing.T) {
	const tenYears = 3652 // 10 years less a day, as the profile learns it
	pass := engine.Check{Name: CheckVIZ, Status: engine.Pass, Reason: "6 printed fields agree with the MRZ"}
	sure := func(text string) Reading {
		chars := make([]float64, len([]rune(text)))
		for i := range chars {
			chars[i] = 0.97
		}
		return Reading{Field: "issue_date", Text: text, Confidence: 0.93, Chars: chars}
	}
	issued := sure("15 JAN 2025") // utoMRZ expires 2035-01-14
	extended := td3MRZ(t, "U4EPKHJ5M", "DOE", "JANE", day(1957, 6, 7), day(2039, 1, 14))

	if c := weighValidity(utoMRZ(t, "DOE", "JANE"), []Reading{issued}, nil, nil, tenYears, pass); c.Status != engine.Pass || !strings.Contains(c.Reason, "valid 10.0 years") {
		t.Errorf("issued 10 years before the expiry: %s %q", c.Status, c.Reason)
	}
	c := weighValidity(extended, []Reading{issued}, nil, nil, tenYears, pass)
	if c.Status != engine.Fail || !strings.Contains(c.Reason, "14.0 years after the printed date of issue") {
		t.Errorf("validity extended by 4 years: %s %q", c.Status, c.Reason)
	}
	// The printed date of expiry read as the MRZ's vouches for it: the
	// date of issue was misread.
	expiryRead := []Reading{{Field: "expiry_date", Text: "14 JAN 2039", Confidence: 0.95}}
	if c := weighValidity(extended, []Reading{issued}, expiryRead, nil, tenYears, pass); c.Status != engine.Pass || !strings.Contains(c.Reason, "14.0 years") {
		t.Errorf("expiry printed as the MRZ's: %s %q", c.Status, c.Reason)
	}
	partRead := []Reading{{Field: "expiry_date", Text: "14 JAN 20", Confidence: 0.95, Part: "start"}}
	if c := weighValidity(extended, []Reading{issued}, partRead, nil, tenYears, pass); c.Status != engine.Fail {
		t.Errorf("expiry read in part: %s %q", c.Status, c.Reason)
	}
	// Within the grace: a year's carry-over is not a forgery.
	graced := td3MRZ(t, "U4EPKHJ5M", "DOE", "JANE", day(1957, 6, 7), day(2035, 10, 14))
	if c := weighValidity(graced, []Reading{issued}, nil, nil, tenYears, pass); c.Status != engine.Pass {
		t.Errorf("9 months past the longest validity: %s %q", c.Status, c.Reason)
	}
	// A two-digit year is taken in the century before the expiry.
	if c := weighValidity(extended, []Reading{sure("15.01.25")}, nil, nil, tenYears, pass); c.Status != engine.Fail {
		t.Errorf("two-digit year: %s %q", c.Status, c.Reason)
	}

	// The year decides: an unsure day, or one out of range, is taken as
	// read or as the month's first.
	unsureDay := sure("15 JAN 2025")
	unsureDay.Chars[0] = 0.4
	for _, rd := range []Reading{unsureDay, sure("89 JAN 2025")} {
		if c := weighValidity(extended, []Reading{rd}, nil, nil, tenYears, pass); c.Status != engine.Fail {
			t.Errorf("%q, its day unsure or out of range: %s %q", rd.Text, c.Status, c.Reason)
		}
	}

	// What is not sure decides nothing.
	unsure := sure("15 JAN 2025")
	unsure.Chars[9] = 0.6
	cut := sure("15 JAN 2025")
	cut.Part = "start"
	low := sure("15 JAN 2025")
	low.Confidence = 0.3
	for name, rds := range map[string][]Reading{
		"an unsure digit":     {unsure},
		"read in part":        {cut},
		"low confidence":      {low},
		"two dates":           {issued, sure("15 JAN 2029")},
		"no date":             {sure("15 JAN")},
		"issued after expiry": {sure("15 JAN 2040")},
	} {
		if c := weighValidity(extended, rds, nil, nil, tenYears, pass); c.Status != engine.Pass {
			t.Errorf("%s: %s %q", name, c.Status, c.Reason)
		}
	}
	if c := weighValidity(extended, []Reading{issued}, nil, nil, 0, pass); c.Status != engine.Pass {
		t.Errorf("no validity known: %s %q", c.Status, c.Reason)
	}
	// A typed date of issue (confidence 0) is weighed.
	if c := weighValidity(extended, []Reading{{Field: "issue_date", Text: "15 JAN 2025"}}, nil, nil, tenYears, pass); c.Status != engine.Fail {
		t.Errorf("typed date of issue: %s %q", c.Status, c.Reason)
	}
}

func TestYearPlaces(t *testing.T) {
	for text, want := range map[string][]int{
		"15 JAN 2025":  {5, 6, 7, 8},
		"15.01.2025":   {4, 5, 6, 7},
		"2025-01-15":   {0, 1, 2, 3},
		"15 JAN 25":    {5, 6},
		"15JAN2025":    {5, 6, 7, 8},
		"JAN":          nil,
		"15, JAN 2025": nil,
		"2025 2026":    nil,
	} {
		if got := yearPlaces(text); !slices.Equal(got, want) {
			t.Errorf("yearPlaces(%q) = %v, want %v", text, got, want)
		}
	}
}

// TestValidityLearned learns a model's longest validity from the
// simulator's ground truth, and the glyphs learned with it vouch for
// a date of issue read right and not for one misread.
func TestValidityLearned(t *testing.T) {
	s, err := sim.New()
	if err != nil {
		t.Fatal(err)
	}
	var caps []*devices.Capture
	for seed := uint64(0); seed < 3; seed++ {
		c, err := s.Render(sim.Spec{Model: "uto-passport", Seed: 7100 + seed, PPI: 300})
		if err != nil {
			t.Fatal(err)
		}
		caps = append(caps, c)
	}
	p, err := Learn(context.Background(), caps, LearnOptions{ID: "uto-passport"})
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's passports are valid 10 years less a day.
	if p.MaxValidityDays < 3650 || p.MaxValidityDays > 3653 {
		t.Errorf("learned validity %d days, want 10 years less a day", p.MaxValidityDays)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	p.MaxValidityDays = -1
	if p.Validate() == nil {
		t.Error("a negative validity is valid")
	}
}

// issueReader reads only the date of issue, surely, as edit makes of
// its printed value; every other field it cannot read.
type issueReader struct {
	c    *devices.Capture
	edit func(string) string
}

func (r *issueReader) ReadFields(ctx context.Context, fs []FieldImage) ([]Reading, error) {
	var out []Reading
	for _, f := range fs {
		if f.Name != "issue_date" {
			out = append(out, Reading{Field: f.Name, Text: "RM", Confidence: 0.2})
			continue
		}
		v, _ := r.c.Truth.Field(f.Name)
		text := r.edit(v.Value)
		chars := make([]float64, len([]rune(text)))
		for i := range chars {
			chars[i] = 0.95
		}
		out = append(out, Reading{Field: f.Name, Text: text, Confidence: 0.9, Chars: chars})
	}
	return out, nil
}

func (r *issueReader) ReadPage(ctx context.Context, p PageImage) ([]Reading, error) { return nil, nil }

// TestValidityCatchesAnExtendedExpiry: an MRZ whose date of expiry was
// extended, the printed fields unread, FAILs by the date of issue
// alone; a genuine capture does not, nor one whose date of issue is
// misread three years early (the model's glyphs do not bear it out).
func TestValidityCatchesAnExtendedExpiry(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	check := func(c *devices.Capture, edit func(string) string) engine.Check {
		t.Helper()
		r, err := mrz.ParseLines(c.Truth.MRZ)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &issueReader{c: c, edit: edit}})
		if err != nil {
			t.Fatal(err)
		}
		return findCheck(res, CheckVIZ)
	}
	asPrinted := func(s string) string { return s }
	earlier := func(s string) string { // the year 3 less
		y, err := strconv.Atoi(s[len(s)-4:])
		if err != nil {
			t.Fatalf("date of issue %q", s)
		}
		return s[:len(s)-4] + strconv.Itoa(y-3)
	}
	found := 0
	for seed := uint64(700); seed < 800 && found < 2; seed++ {
		c := render(t, "uto-passport", seed, "mrz-altered", "none")
		if m := c.Truth.Mismatched; len(m) != 1 || m[0] != "expiry_date" {
			continue
		}
		found++
		if v := check(c, asPrinted); v.Status != engine.Fail || !strings.Contains(v.Reason, "valid at most 10.0 years") {
			t.Errorf("seed %d, expiry extended in the MRZ: %s %q", seed, v.Status, v.Reason)
		}
		g := render(t, "uto-passport", seed, "none", "none")
		if v := check(g, asPrinted); v.Status == engine.Fail || !strings.Contains(v.Reason, "valid 10.0 years") {
			t.Errorf("seed %d, genuine: %s %q", seed, v.Status, v.Reason)
		}
		if v := check(g, earlier); v.Status == engine.Fail || !strings.Contains(v.Reason, "glyphs do not bear out") {
			t.Errorf("seed %d, genuine, its year of issue misread 3 early: %s %q", seed, v.Status, v.Reason)
		}
	}
	if found == 0 {
		t.Fatal("no seed extends the expiry")
	}
}
