package eval

import (
	"bytes"
	"context"
	"encoding/xml"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/internal/shareddata"
)

func TestRates(t *testing.T) {
	// Genuine 0.5..0.95, impostor 0.0..0.55: overlap of 0.5 and 0.55.
	gen := []float64{0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.55, 0.65, 0.75, 0.85}
	imp := []float64{0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.55}
	r := NewRates(gen, imp)
	if got := r.FMR(0.5); got != 0.1 {
		t.Errorf("FMR(0.5) = %v, want 0.1", got)
	}
	if got := r.FNMR(0.55); got != 0.1 {
		t.Errorf("FNMR(0.55) = %v, want 0.1", got)
	}
	// At 0.5 the FMR is 10% and FNMR 0; at 0.55: 10% and 10%; at 0.56: 0
	// and 20%. FVC's interval is [FNMR, FMR] = [0.1, 0.1].
	if got := r.EER(); math.Abs(got-0.1) > 1e-12 {
		t.Errorf("EER = %v, want 0.1", got)
	}
	if got := r.FNMRAtFMR(0); got != 0.2 {
		t.Errorf("FNMR at FMR 0 = %v, want 0.2", got)
	}
	if got := r.FNMRAtFMR(0.1); got != 0 {
		t.Errorf("FNMR at FMR 10%% = %v, want 0", got)
	}
	// Perfect separation: EER 0.
	if got := NewRates([]float64{2, 3}, []float64{0, 1}).EER(); got != 0 {
		t.Errorf("separated EER = %v", got)
	}
}

func TestMeasureThresholds(t *testing.T) {
	imp := make([]float64, 100000)
	for i := range imp {
		// Exponential quantiles: P(X > x) = exp(-x).
		imp[i] = -math.Log(1 - (float64(i)+0.5)/float64(len(imp)))
	}
	th := MeasureThresholds(imp)
	for _, c := range []struct{ got, want float64 }{
		{th.FMR1e2, math.Log(100)}, {th.FMR1e3, math.Log(1000)}, {th.FMR1e4Tail, math.Log(1e4)},
	} {
		if math.Abs(c.got-c.want) > 0.05*c.want {
			t.Errorf("threshold %v, want %v", c.got, c.want)
		}
	}
}

func TestWriteDET(t *testing.T) {
	r := NewRates([]float64{0.5, 0.7, 0.9}, []float64{0.1, 0.2, 0.6})
	var b bytes.Buffer
	if err := WriteDET(&b, "test <1>", []string{"set & co"}, []*Rates{r}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&b)
	polylines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 1 {
		t.Errorf("%d curves in the SVG", polylines)
	}
}

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"101_1.tif", "101_2.TIF", "a001_03p.pgm", "notes.txt", "101_1.iso", "x.png"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 || s[0].Finger != "101" || s[1].Impression != "2" || s[2].Finger != "a001" || s[2].Impression != "03" {
		t.Errorf("listed %+v", s)
	}
	if _, err := List(t.TempDir()); err == nil {
		t.Error("empty folder accepted")
	}
}

// Run on one real FVC2002 folder: the pair counts follow the protocol and
// the measured rates are in a sane range. The full four-database figures
// come from "checkpost eval fingerprints" (see the report), not from this
// test.
func TestRunFVC(t *testing.T) {
	dir := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	rep, err := Run(context.Background(), dir, Options{Load: load500, MinTiming: 1, Worst: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Images != 80 || rep.Fingers != 10 || rep.GenuinePairs != 280 || rep.ImpostorPairs != 2880 {
		t.Errorf("protocol: %d images, %d fingers, %d genuine, %d impostor", rep.Images, rep.Fingers, rep.GenuinePairs, rep.ImpostorPairs)
	}
	if rep.Failed != 0 {
		t.Errorf("%d failed extractions", rep.Failed)
	}
	if rep.EER < 0 || rep.EER > 10 {
		t.Errorf("EER %.2f%% out of the plausible range", rep.EER)
	}
	// An EER of 0 is a complete separation: every genuine score above
	// every impostor score.
	if rep.EER == 0 && slices.Min(rep.Genuine) <= slices.Max(rep.Impostor) {
		t.Errorf("EER 0 with a genuine score %v at or below an impostor score %v", slices.Min(rep.Genuine), slices.Max(rep.Impostor))
	}
	if rep.ComparisonsPerSecond <= 0 || rep.ExtractMSMedian <= 0 {
		t.Errorf("speed not measured: %v comparisons/s, %v ms", rep.ComparisonsPerSecond, rep.ExtractMSMedian)
	}
	// The worst genuine pairs: the lowest scores, in order, of one finger
	// each, and the lowest is the minimum of all genuine scores.
	if len(rep.WorstGenuine) != 5 {
		t.Fatalf("%d worst genuine pairs, want 5", len(rep.WorstGenuine))
	}
	low := rep.Genuine[0]
	for _, g := range rep.Genuine {
		low = min(low, g)
	}
	if rep.WorstGenuine[0].Score != low {
		t.Errorf("worst genuine score %v, lowest genuine score %v", rep.WorstGenuine[0].Score, low)
	}
	for i, p := range rep.WorstGenuine {
		if p.A[:3] != p.B[:3] || p.A == p.B {
			t.Errorf("worst pair %d: %s and %s are not two impressions of one finger", i, p.A, p.B)
		}
		if i > 0 && p.Score < rep.WorstGenuine[i-1].Score {
			t.Errorf("worst pairs out of order at %d: %v after %v", i, p.Score, rep.WorstGenuine[i-1].Score)
		}
	}
}

// load500 reads a fingerprint image as stored and brings it to 500 ppi.
func load500(p string) (*image.Gray, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := biometric.DecodeImage(f)
	if err != nil {
		return nil, err
	}
	return fi.To500PPI(), nil
}

// A template without orientation descriptors (ISO, ANSI, a generated
// distractor) compared with one that has them scores on the same scale as
// two templates with them: the impostor scores' 99th percentile of FVC2002
// DB1_B with the descriptors removed from one side (both ways round) lies
// within a fifth of the one with descriptors on both sides. Scaled down
// like two templates without any (orientUnknown), it was 0.8 of it.
func TestMixedDescriptorsOnScale(t *testing.T) {
	dir := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	samples, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := ExtractAll(context.Background(), samples, Options{Load: load500})
	if err != nil {
		t.Fatal(err)
	}
	plain := make([]*match.Template, len(ex))
	for i, e := range ex {
		if e.Err != nil {
			t.Fatal(e.Err)
		}
		src := e.Template
		src.Minutiae = append(src.Minutiae[:0:0], src.Minutiae...)
		for k := range src.Minutiae {
			src.Minutiae[k].Orientation = 0
		}
		if plain[i], err = match.Prepare(&src); err != nil {
			t.Fatal(err)
		}
	}
	var m match.Matcher
	var both, mixed []float64
	for i := range ex {
		for j := range ex {
			if ex[i].Finger == ex[j].Finger {
				continue
			}
			if i < j {
				both = append(both, m.Compare(ex[i].Prepared, ex[j].Prepared))
			}
			mixed = append(mixed, m.Compare(ex[i].Prepared, plain[j]))
		}
	}
	q := func(s []float64) float64 {
		sort.Float64s(s)
		return s[len(s)-len(s)/100]
	}
	qb, qm := q(both), q(mixed)
	t.Logf("impostor 99th percentile: descriptors on both sides %.5f (%d pairs), on one %.5f (%d pairs)", qb, len(both), qm, len(mixed))
	if r := qm / qb; r < 0.8 || r > 1.25 {
		t.Errorf("one side without descriptors: 99th percentile %.2f of the one with both", r)
	}
}
