package docauth

import (
	"context"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

var (
	simOnce sync.Once
	simS    *sim.Simulator
	simErr  error
)

func simulator(t testing.TB) *sim.Simulator {
	t.Helper()
	simOnce.Do(func() { simS, simErr = sim.New() })
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simS
}

func render(t testing.TB, model string, seed uint64, forgery, degrade string) *devices.Capture {
	t.Helper()
	fs, err := sim.ParseForgeries(forgery)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := sim.ParseDegradations(degrade)
	if err != nil {
		t.Fatal(err)
	}
	c, err := simulator(t).Render(sim.Spec{Model: model, Seed: seed, PPI: 300, Forgeries: fs, Degradations: ds})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// learnSim learns a profile from genuine captures of seeds 1..6, the last
// three degraded.
func learnSim(t testing.TB, model string) *profile.Profile {
	t.Helper()
	var caps []*devices.Capture
	degr := []string{"none", "none", "none", "rotate:180,noise:6", "perspective:0.5,light:0.5", "occlusion:0.6,jpeg:40"}
	for i, d := range degr {
		caps = append(caps, render(t, model, uint64(i+1), "none", d))
	}
	p, err := Learn(context.Background(), caps, LearnOptions{ID: model})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// input gives the checker what a perfect reader would: the MRZ and the
// printed fields as printed.
func input(t testing.TB, c *devices.Capture) Input {
	t.Helper()
	r, err := mrz.ParseLines(c.Truth.MRZ)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Capture: c, MRZ: r}
	for _, f := range c.Truth.Fields {
		in.VIZ = append(in.VIZ, Reading{Field: f.Name, Text: f.Value})
	}
	return in
}

func TestSimulatedForgeriesFailTheirCheck(t *testing.T) {
	pass := learnSim(t, "uto-passport")
	card := learnSim(t, "uto-id-card")
	ck, err := NewChecker([]*profile.Profile{pass, card})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		model, forgery, degrade string
		want                    []string // checks that must FAIL; none for genuine
	}{
		{"uto-passport", "none", "none", nil},
		{"uto-passport", "none", "rotate:120,light:0.6", nil},
		{"uto-id-card", "none", "perspective:0.7,occlusion:0.5", nil},
		{"uto-passport", "uv-bright-paper", "rotate:200", []string{CheckUVPaper}},
		{"uto-passport", "uv-overprint-missing", "none", []string{CheckUVFeatures}},
		{"uto-passport", "uv-overprint-misplaced:10", "noise:8", []string{CheckUVFeatures}},
		{"uto-passport", "mrz-ir-transparent", "perspective:0.6", []string{CheckIRMRZ}},
		{"uto-passport", "portrait-substituted", "none", []string{CheckPortrait}},
		{"uto-passport", "field-altered", "none", []string{CheckVIZ}},
		{"uto-passport", "mrz-altered", "none", []string{CheckVIZ}},
		{"uto-passport", "mrz-check-digits", "none", []string{CheckMRZ}},
		{"uto-passport", "photocopy", "none", []string{CheckUVPaper, CheckIRDropout}},
		{"uto-id-card", "mrz-ir-transparent", "rotate:90", []string{CheckIRMRZ}},
		{"uto-id-card", "portrait-substituted", "none", []string{CheckPortrait}},
	}
	for i, tc := range cases {
		c := render(t, tc.model, uint64(500+i), tc.forgery, tc.degrade)
		res, err := ck.Check(context.Background(), input(t, c))
		if err != nil {
			t.Fatal(err)
		}
		if res.Model != tc.model {
			t.Errorf("%s %s: identified as %q (%s)", tc.model, tc.forgery, res.Model, res.Identified)
			continue
		}
		got := statuses(res)
		if len(got) != len(CheckNames) {
			t.Errorf("%d checks reported, want %d", len(got), len(CheckNames))
		}
		for _, name := range tc.want {
			if got[name].Status != engine.Fail {
				t.Errorf("%s %s [%s]: %s %s (%s), want FAIL", tc.model, tc.forgery, tc.degrade, name, got[name].Status, got[name].Reason)
			}
		}
		if tc.want == nil {
			for _, ch := range res.Checks {
				if ch.Status == engine.Fail {
					t.Errorf("genuine %s [%s]: %s FAIL: %s", tc.model, tc.degrade, ch.Name, ch.Reason)
				}
			}
		}
	}
}

func TestNoProfileRunsTheProfileFreeChecks(t *testing.T) {
	ck, err := NewChecker(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		forgery string
		fail    string
	}{{"none", ""}, {"uv-bright-paper", CheckUVPaper}, {"mrz-ir-transparent", CheckIRMRZ}, {"mrz-check-digits", CheckMRZ}} {
		c := render(t, "uto-passport", 42, tc.forgery, "rotate:33")
		res, err := ck.Check(context.Background(), input(t, c))
		if err != nil {
			t.Fatal(err)
		}
		if res.Model != "" {
			t.Fatalf("model %q without profiles", res.Model)
		}
		got := statuses(res)
		for _, name := range []string{CheckUVPaper, CheckIRMRZ, CheckMRZ} {
			want := engine.Pass
			if name == tc.fail {
				want = engine.Fail
			}
			if got[name].Status != want {
				t.Errorf("%s: %s %s (%s), want %s", tc.forgery, name, got[name].Status, got[name].Reason, want)
			}
		}
		for _, name := range []string{CheckUVFeatures, CheckPattern, CheckPortrait, CheckIRDropout} {
			if got[name].Status != engine.NotPerformed || got[name].Reason == "" {
				t.Errorf("%s: %s %s %q, want NOT_PERFORMED with a reason", tc.forgery, name, got[name].Status, got[name].Reason)
			}
		}
	}
}

func TestNoProfileUsesTheReadersMRZOutline(t *testing.T) {
	ck, err := NewChecker(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, forgery := range []string{"none", "mrz-ir-transparent"} {
		c := render(t, "uto-passport", 43, forgery, "rotate:171")
		in := input(t, c)
		r, _ := c.Truth.Region("mrz")
		in.MRZQuad, in.MRZSide = &r.Quad, "front"
		res, err := ck.Check(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		got := statuses(res)[CheckIRMRZ]
		want := engine.Pass
		if forgery != "none" {
			want = engine.Fail
		}
		if got.Status != want {
			t.Errorf("%s: %s %s (%s), want %s", forgery, CheckIRMRZ, got.Status, got.Reason, want)
		}
		if len(got.Regions) != 1 || got.Regions[0].X > r.X+40 || got.Regions[0].X+got.Regions[0].W < r.X+r.W-40 {
			t.Errorf("%s: MRZ region %+v, the reader's %d,%d %dx%d", forgery, got.Regions, r.X, r.Y, r.W, r.H)
		}
	}
}

// substitutedVisa is a checker holding a learnt uto-visa profile and the
// input of a visa whose portrait was substituted, turned by 10°.
func substitutedVisa(t *testing.T) (*Checker, Input) {
	t.Helper()
	p := learnSim(t, "uto-visa")
	ck, err := NewChecker([]*profile.Profile{p})
	if err != nil {
		t.Fatal(err)
	}
	return ck, input(t, render(t, "uto-visa", 900, "portrait-substituted", "rotate:10"))
}

func TestEvidenceOnlyWhenAsked(t *testing.T) {
	ck, in := substitutedVisa(t)
	res, err := ck.Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Evidence) != 0 {
		t.Errorf("%d evidence crops without asking", len(res.Evidence))
	}
	in.Evidence = true
	res, err = ck.Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	portrait := statuses(res)[CheckPortrait]
	if portrait.Status != engine.Fail || len(portrait.Evidence) == 0 || len(portrait.Regions) == 0 {
		t.Fatalf("portrait check %+v", portrait)
	}
	truth, _ := in.Capture.Truth.Region("portrait")
	r := portrait.Regions[0]
	if dx, dy := r.X-truth.X, r.Y-truth.Y; dx*dx+dy*dy > 30*30 {
		t.Errorf("portrait region at %d,%d, truth %d,%d", r.X, r.Y, truth.X, truth.Y)
	}
	found := false
	for _, ev := range res.Evidence {
		if ev.Name == portrait.Evidence[0] {
			found = true
			if ev.Image == nil || ev.Image.Bounds().Dx() != r.W || ev.Image.Bounds().Dy() != r.H {
				t.Errorf("evidence %s: image %v for region %+v", ev.Name, ev.Image.Bounds(), r)
			}
		}
	}
	if !found {
		t.Errorf("evidence %q named by the check is not in the result", portrait.Evidence[0])
	}
}

func TestCheckIsSafeForConcurrentUse(t *testing.T) {
	p := learnSim(t, "uto-passport")
	ck, err := NewChecker([]*profile.Profile{p})
	if err != nil {
		t.Fatal(err)
	}
	caps := []*devices.Capture{render(t, "uto-passport", 700, "none", "none"), render(t, "uto-passport", 701, "uv-bright-paper", "none")}
	want := make([]*Result, len(caps))
	for i, c := range caps {
		if want[i], err = ck.Check(context.Background(), input(t, c)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			i := g % len(caps)
			res, err := ck.Check(context.Background(), input(t, caps[i]))
			if err != nil {
				errs <- err.Error()
				return
			}
			for k, c := range res.Checks {
				if c.Status != want[i].Checks[k].Status {
					errs <- c.Name + " differs between concurrent calls"
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// BenchmarkCheck times every optical check (and the MRZ and printed-field
// comparisons) on one 300 ppi capture, page finding and registration
// included; the target is a median of at most 60 ms on one core
// (go test -bench Check -cpu 1).
func BenchmarkCheck(b *testing.B) {
	for _, model := range []string{"uto-passport", "uto-id-card"} {
		p := learnSim(b, model)
		ck, err := NewChecker([]*profile.Profile{p})
		if err != nil {
			b.Fatal(err)
		}
		c := render(b, model, 800, "none", "rotate:7")
		in := input(b, c)
		b.Run(model+"-300ppi", func(b *testing.B) {
			b.ReportAllocs()
			times := make([]float64, 0, b.N)
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := ck.Check(context.Background(), in); err != nil {
					b.Fatal(err)
				}
				times = append(times, float64(time.Since(t0).Microseconds())/1000)
			}
			// The machine is shared: the process's CPU time per check says
			// what one core spends, whatever else runs.
			b.ReportMetric((cpuTime()-cpu0)/float64(b.N), "cpu-ms/op")
			sort.Float64s(times)
			b.ReportMetric(times[len(times)/2], "median-ms")
		})
	}
}

// cpuTime returns the process's user and system CPU time in milliseconds.
func cpuTime() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// TestPortraitMeasuredBesideAThumb: a thumb over a substituted portrait
// takes the pasted face's skin with it into the hidden cells; the rest
// is still measured, and the check FAILs rather than being UNDETERMINED
// (two of the 5 substituted portraits under a thumb missed on tuning
// seeds 13604000..13604999, their degradations as eval docauth drew
// them); the genuine portraits of the same captures PASS.
func TestPortraitMeasuredBesideAThumb(t *testing.T) {
	ck, err := NewChecker([]*profile.Profile{learnSim(t, "uto-id-card"), learnSim(t, "uto-visa")})
	if err != nil {
		t.Fatal(err)
	}
	for _, cp := range []struct {
		model   string
		seed    uint64
		degrade string
	}{
		{"uto-id-card", 13604537, "occlusion:0.7949,noise:8.747,jpeg:30.25"},
		{"uto-visa", 13604917, "occlusion:0.5734"},
	} {
		for _, tc := range []struct {
			forgery string
			want    engine.Status
		}{{"none", engine.Pass}, {"portrait-substituted", engine.Fail}} {
			seed := cp.seed
			c := render(t, cp.model, seed, tc.forgery, cp.degrade)
			res, err := ck.Check(context.Background(), input(t, c))
			if err != nil {
				t.Fatal(err)
			}
			if got := statuses(res)[CheckPortrait]; got.Status != tc.want {
				t.Errorf("seed %d %s, a thumb over the portrait: %s %s (%s), want %s", seed, tc.forgery, CheckPortrait, got.Status, got.Reason, tc.want)
			}
		}
	}
}
