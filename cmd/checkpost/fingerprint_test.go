package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/biometric/native"
	"checkpost/internal/shareddata"
)

func TestFingerprintTemplateAndCompare(t *testing.T) {
	db := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	dir := t.TempDir()
	for _, format := range []string{"native", "iso", "ansi"} {
		out := filepath.Join(dir, "101_1."+format)
		code, _, errOut := run(t, "fingerprint", "template", "--format", format, "--position", "right-index", filepath.Join(db, "101_1.tif"), "-o", out)
		if code != 0 {
			t.Fatalf("template %s: exit %d: %s", format, code, errOut)
		}
		if !strings.Contains(errOut, "minutiae, quality") {
			t.Errorf("template %s: no summary on stderr: %q", format, errOut)
		}
		// The template compared with another impression of the same finger
		// (an image) is accepted at FMR 0.1%; with another finger, not at 1%.
		code, stdout, errOut := run(t, "fingerprint", "compare", "--json", out, filepath.Join(db, "101_3.tif"))
		if code != 0 {
			t.Fatalf("compare %s: exit %d: %s", format, code, errOut)
		}
		var res struct {
			Score    float64 `json:"score"`
			FMR      float64 `json:"fmr"`
			Decision string  `json:"decision"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("compare output %q: %v", stdout, err)
		}
		if !strings.HasPrefix(res.Decision, "same finger") || res.FMR > 1e-3 {
			t.Errorf("%s template vs same finger: %+v", format, res)
		}
		_, stdout, _ = run(t, "fingerprint", "compare", "--json", out, filepath.Join(db, "105_3.tif"))
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatal(err)
		}
		if res.Decision != "different fingers" {
			t.Errorf("%s template vs another finger: %+v", format, res)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "101_1.native"))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := native.Decode(b)
	if err != nil || tp.Position != 2 || len(tp.Minutiae) == 0 {
		t.Errorf("native file: %v, position %v, %d minutiae", err, tp.Position, len(tp.Minutiae))
	}
}

func TestFingerprintErrors(t *testing.T) {
	dir := t.TempDir()
	blank := filepath.Join(dir, "blank.pgm")
	data := append([]byte("P5 200 200 255\n"), make([]byte, 200*200)...)
	for i := 15; i < len(data); i++ {
		data[i] = 200
	}
	if err := os.WriteFile(blank, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "fingerprint", "template", blank, "-o", filepath.Join(dir, "x"))
	if code != 1 || !strings.Contains(errOut, "no fingerprint") {
		t.Errorf("blank image: exit %d, %q", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("an output file was written for a blank image")
	}
	if code, _, _ := run(t, "fingerprint", "template", "--format", "xml", blank, "-o", "x"); code != 2 {
		t.Errorf("bad format: exit %d", code)
	}
	if code, _, _ := run(t, "fingerprint", "compare", blank); code != 2 {
		t.Errorf("one argument: exit %d", code)
	}
	bad := filepath.Join(dir, "bad.cpft")
	os.WriteFile(bad, []byte("CPFT\x01\x00garbage"), 0o644)
	if code, _, errOut := run(t, "fingerprint", "compare", bad, bad); code != 1 || !strings.Contains(errOut, "native") {
		t.Errorf("damaged template: exit %d, %q", code, errOut)
	}
}
