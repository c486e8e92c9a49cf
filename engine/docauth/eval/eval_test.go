package eval

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestRunCountsAndPrints(t *testing.T) {
	rep, err := Run(context.Background(), Config{
		Models: []string{"uto-passport"}, PerClass: 2, Seed: 77000, LearnSeed: 1, LearnCount: 4,
		Classes: []string{"none", "uv-bright-paper", "mrz-check-digits"}, Workers: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Classes) != 3 {
		t.Fatalf("%d classes", len(rep.Classes))
	}
	for _, c := range rep.Classes {
		if c.Count != 2 {
			t.Errorf("%s: %d captures, want 2", c.Name, c.Count)
		}
	}
	if c := rep.Classes[1]; c.Detected != 2 || c.Fail["uv.paper.dullness"] != 2 {
		t.Errorf("uv-bright-paper: detected %d, paper check failed %d, want 2 and 2", c.Detected, c.Fail["uv.paper.dullness"])
	}
	if c := rep.Classes[2]; c.Fail["mrz.plausibility"] != 2 {
		t.Errorf("mrz-check-digits: mrz.plausibility failed %d times, want 2", c.Fail["mrz.plausibility"])
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"seeds 77000..77005", "confusion table", "uv-bright-paper", "false alarm", "learned from 4 genuine captures per model, seeds 1..4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRandomDegradationsAreReproducible(t *testing.T) {
	seen := map[int]bool{}
	for seed := uint64(0); seed < 50; seed++ {
		a, b := RandomDegradations(seed), RandomDegradations(seed)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("seed %d: %v then %v", seed, a, b)
		}
		seen[len(a)] = true
	}
	if len(seen) < 3 {
		t.Errorf("50 seeds drew only %d different numbers of degradations", len(seen))
	}
}

func TestRunRejectsBadClasses(t *testing.T) {
	if _, err := Run(context.Background(), Config{PerClass: 1, Classes: []string{"hologram"}}); err == nil {
		t.Error("an unknown class was accepted")
	}
	if _, err := Run(context.Background(), Config{PerClass: 0}); err == nil {
		t.Error("PerClass 0 was accepted")
	}
}

func TestRunChecksGivenCapturesAgain(t *testing.T) {
	cfg := Config{
		Models: []string{"uto-passport", "uto-visa"}, PerClass: 2, Seed: 77100, LearnSeed: 1, LearnCount: 4,
		Classes: []string{"none", "uv-bright-paper"}, Workers: 2, Degrade: true,
	}
	var cases bytes.Buffer
	cfg.Cases = &cases
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(cases.String()), "\n")
	// The last capture again, alone: same class, model, seed, outcome.
	caps, err := ReadCaptures(strings.NewReader(lines[len(lines)-1] + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 1 {
		t.Fatalf("%d captures read from one line", len(caps))
	}
	again := cfg
	again.Captures, again.Profiles, again.PerClass = caps, rep.Profiles, 0
	var cases2 bytes.Buffer
	again.Cases = &cases2
	rep2, err := Run(context.Background(), again)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(cases2.String()); got != lines[len(lines)-1] {
		t.Errorf("checked again:\n%s\nfirst:\n%s", got, lines[len(lines)-1])
	}
	if len(rep2.Classes) != 1 || rep2.Classes[0].Name != caps[0].Class || rep2.Classes[0].Count != 1 {
		t.Errorf("classes of the second run: %+v", rep2.Classes)
	}
	for _, bad := range []string{"none\tuto-passport\n", "none\tuto-passport\tx1\n", "\n"} {
		if _, err := ReadCaptures(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadCaptures(%q) gave no error", bad)
		}
	}
}
