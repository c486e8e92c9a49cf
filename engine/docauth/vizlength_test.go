package docauth

import (
	"context"
	"image"
	"math"
	"strings"
	"testing"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

// unsureReader reads every field as a misread too doubtful to compare
// (a fragment at confidence 0.2, as Tesseract returns a defocused name),
// and keeps the crops: the length of the print is the only evidence.
type unsureReader struct {
	crops map[string]FieldImage
}

func (r *unsureReader) ReadFields(ctx context.Context, fs []FieldImage) ([]Reading, error) {
	var out []Reading
	for _, f := range fs {
		if r.crops != nil {
			r.crops[f.Name] = f
		}
		out = append(out, Reading{Field: f.Name, Text: "RM", Confidence: 0.2})
	}
	return out, nil
}

func (r *unsureReader) ReadPage(ctx context.Context, p PageImage) ([]Reading, error) {
	return nil, nil
}

// TestInkLengthOfGenuinePrint measures the printed names of genuine
// captures (Latin, transliterated, two-script, long ones printed smaller,
// under degradations) against their printed text: the length in capital
// heights is the text's within a fifth, and no name's length contradicts
// its MRZ.
func TestInkLengthOfGenuinePrint(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	measured := 0
	for seed := uint64(300); seed < 324; seed++ {
		degr := []string{"none", "noise:8", "defocus:0.15", "light:0.6", "perspective:0.5,jpeg:30", "rotate:180", "occlusion:0.7", "jpeg:6"}[seed%8]
		c := render(t, "uto-passport", seed, "none", degr)
		r, err := mrz.ParseLines(c.Truth.MRZ)
		if err != nil {
			t.Fatal(err)
		}
		rd := &unsureReader{crops: map[string]FieldImage{}}
		res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: rd})
		if err != nil {
			t.Fatal(err)
		}
		if v := findCheck(res, CheckVIZ); v.Status == engine.Fail {
			t.Errorf("seed %d %s: genuine print FAILed: %s", seed, degr, v.Reason)
		}
		for _, name := range []string{"surname", "given_names"} {
			f, ok := rd.crops[name]
			printed, _ := c.Truth.Field(name)
			im, isGray := f.Image.(*image.Gray)
			if !ok || !isGray {
				continue
			}
			e, ok := measureInk(im, f.PxPerMM)
			if !ok || e.cut {
				continue
			}
			measured++
			want := capsOf(printed.Value)
			if math.Abs(e.caps()/want-1) > 0.2 {
				t.Errorf("seed %d %s: %s %q measured %.1f capital heights (%.1f mm in %.2f mm capitals), want about %.1f", seed, degr, name,
					printed.Value, e.caps(), e.widthMM, e.capMM, want)
			}
		}
	}
	if measured < 30 {
		t.Errorf("only %d of 48 names measured", measured)
	}
}

// TestShortNameForMRZsLongOne: a surname altered to a far shorter one
// FAILs on its length alone, though no reading of it could be compared.
func TestShortNameForMRZsLongOne(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-passport")})
	if err != nil {
		t.Fatal(err)
	}
	// The first altered surname far shorter than the MRZ's (from the
	// texts, not the images).
	var c *devices.Capture
	var seed uint64
	for seed = 400; seed < 500 && c == nil; seed++ {
		x := render(t, "uto-passport", seed, "field-altered", "none")
		r, err := mrz.ParseLines(x.Truth.MRZ)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := x.Truth.Field("surname")
		if capsOf(s.Value) < 0.4*capsOf(r.Value(mrz.Surname)) {
			c = x
			break
		}
	}
	if c == nil {
		t.Fatal("no surname altered to a short one in seeds 400..499")
	}
	r, _ := mrz.ParseLines(c.Truth.MRZ)
	res, err := ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &unsureReader{}})
	if err != nil {
		t.Fatal(err)
	}
	v := findCheck(res, CheckVIZ)
	if v.Status != engine.Fail || !strings.Contains(v.Reason, "in length") {
		s, _ := c.Truth.Field("surname")
		t.Errorf("seed %d: surname %q for MRZ %q: %s %s", seed, s.Value, r.Value(mrz.Surname), v.Status, v.Reason)
	}
	// A thumb over the field's right part, the short name wholly in
	// front of it: its length is known all the same, and the name,
	// ending in view, is not taken for the beginning of a longer one.
	c = render(t, "uto-passport", 12001309, "field-altered", "occlusion:0.8834")
	r, _ = mrz.ParseLines(c.Truth.MRZ)
	res, err = ck.Check(context.Background(), Input{Capture: c, MRZ: r, VIZReader: &unsureReader{}})
	if err != nil {
		t.Fatal(err)
	}
	v = findCheck(res, CheckVIZ)
	if s, _ := c.Truth.Field("surname"); v.Status != engine.Fail || !strings.Contains(v.Reason, "in length") || strings.Contains(v.Reason, "surname (start seen)") {
		t.Errorf("surname %q for MRZ %q, a thumb after it: %s %s", s.Value, r.Value(mrz.Surname), v.Status, v.Reason)
	}
	// A reading that spells the MRZ's value outweighs the measurement.
	agree := Reading{Field: "surname", Text: r.Value(mrz.Surname), Confidence: 0.95}
	if got := weighLength(r, []Reading{agree}, map[string]inkExtent{"surname": {widthMM: 5, capMM: 2.4}}, engine.Check{Status: engine.Pass}); got.Status != engine.Pass {
		t.Errorf("reading agreeing with the MRZ: %s %s", got.Status, got.Reason)
	}
}

func TestLengthEvidenceMargins(t *testing.T) {
	r := td3MRZ(t, "U2TUPVE03", "ШЕВЧЕНКО", "ТАРАС", day(1987, 4, 12), day(2031, 1, 9))
	cap := 2.4
	for _, tc := range []struct {
		field, printed string
		differs        bool
	}{
		{"surname", "ШЕВЧЕНКО / SHEVCHENKO", false},
		{"surname", "SHEVCHENKO", false},
		{"surname", "KIM", true},
		{"given_names", "ТАРАС / TARAS", false},
		{"given_names", "KRISHNAMURTHY-VENKATARAMAN", false}, // longer: not judged
		{"given_names", "I", true},
	} {
		e := inkExtent{widthMM: capsOf(tc.printed) * cap, capMM: cap}
		if got := lengthEvidence(r, tc.field, e) != ""; got != tc.differs {
			t.Errorf("%s printed %q: differs %v, want %v", tc.field, tc.printed, got, tc.differs)
		}
	}
}
