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
