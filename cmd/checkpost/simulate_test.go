package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimulateListNamesEverything(t *testing.T) {
	code, out, _ := run(t, "simulate", "--list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"uto-passport", "uto-id-card", "uto-visa", "uv-bright-paper", "photocopy", "mrz-check-digits", "rotate", "jpeg", "perspective"} {
		if !strings.Contains(out, s) {
			t.Errorf("--list lacks %s", s)
		}
	}
}

func TestSimulateIsReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	args := []string{"simulate", "--count", "2", "--seed", "9", "--ppi", "100", "--forgery", "mrz-altered", "--degrade", "rotate,noise:5"}
	for _, dir := range []string{a, b} {
		code, _, errOut := run(t, append(args, "--out", dir)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(errOut, "2/2") {
			t.Errorf("no progress on stderr: %q", errOut)
		}
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 2 {
		t.Fatalf("%d capture folders, want 2", len(entries))
	}
	for _, e := range entries {
		for _, f := range []string{"white.png", "ir.png", "uv.png", "truth.json"} {
			x, err1 := os.ReadFile(filepath.Join(a, e.Name(), f))
			y, err2 := os.ReadFile(filepath.Join(b, e.Name(), f))
			if err1 != nil || err2 != nil {
				t.Fatalf("%s/%s: %v %v", e.Name(), f, err1, err2)
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s/%s differs between two runs with one seed", e.Name(), f)
			}
		}
		var truth struct {
			Model   string   `json:"model"`
			Forgery string   `json:"forgery"`
			MRZ     []string `json:"mrz"`
		}
		data, _ := os.ReadFile(filepath.Join(a, e.Name(), "truth.json"))
		if err := json.Unmarshal(data, &truth); err != nil {
			t.Fatal(err)
		}
		if truth.Model != "uto-passport" || truth.Forgery != "mrz-altered" || len(truth.MRZ) != 2 || len(truth.MRZ[0]) != 44 {
			t.Errorf("truth %+v", truth)
		}
	}
	// A second run keeps what is there.
	code, _, errOut := run(t, append(args, "--out", a)...)
	if code != 0 || !strings.Contains(errOut, "kept 2") {
		t.Errorf("rerun: exit %d, %q", code, errOut)
	}
}

func TestSimulateBadFlagsAreUsageErrors(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"--count", "1", "--out", out},                                       // no seed
		{"--seed", "1", "--out", out},                                        // no count
		{"--count", "1", "--seed", "1"},                                      // no out
		{"--count", "1", "--seed", "1", "--out", out, "--model", "nope"},     // bad model
		{"--count", "1", "--seed", "1", "--out", out, "--forgery", "nope"},   // bad forgery
		{"--count", "1", "--seed", "1", "--out", out, "--degrade", "jpeg:0"}, // bad strength
		{"--count", "1", "--seed", "1", "--out", out, "--ppi", "20"},         // bad ppi
		{"--count", "x"},
	} {
		code, _, errOut := run(t, append([]string{"simulate"}, args...)...)
		if code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut)
		}
	}
}
