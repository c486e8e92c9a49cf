package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/internal/shareddata"
)

func TestEnrollFingerprintAndIdentify(t *testing.T) {
	fvc := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	dir := t.TempDir()
	db := filepath.Join(dir, "fp.db")
	img := func(name string) string { return filepath.Join(fvc, name+".tif") }
	// One subject from a template file, two from images (one with two
	// impressions).
	tmpl := filepath.Join(dir, "103_1.iso")
	if code, _, errOut := run(t, "fingerprint", "template", "--format", "iso", img("103_1"), "-o", tmpl); code != 0 {
		t.Fatalf("template: %s", errOut)
	}
	for _, e := range [][]string{
		{"--subject", "S101", "--finger", "right-index", img("101_1"), img("101_2")},
		{"--subject", "S102", img("102_1")},
		{"--subject", "S103", tmpl},
	} {
		args := append([]string{"enroll", "fingerprint", "--db", db}, e...)
		if code, out, errOut := run(t, args...); code != 0 || !strings.Contains(out, "enrolled subject") {
			t.Fatalf("enroll %v: exit %d: %s %s", e, code, out, errOut)
		}
	}
	// A file that is not a fingerprint enrols nothing.
	bad := writeTemp(t, "bad.png", "not an image")
	if code, _, _ := run(t, "enroll", "fingerprint", "--db", db, "--subject", "S104", img("104_1"), bad); code != 1 {
		t.Errorf("enrolling a bad file: exit %d, want 1", code)
	}
	if code, _, _ := run(t, "enroll", "fingerprint", "--db", db, "--subject", "", img("104_1")); code != 2 {
		t.Errorf("empty subject: exit %d, want 2", code)
	}

	probes := []string{img("101_5"), img("102_4"), img("103_3"), img("104_2")}
	for _, mode := range []string{"two-stage", "exhaustive"} {
		code, out, errOut := run(t, append([]string{"identify", "--db", db, "--json", "--mode", mode}, probes...)...)
		if code != 0 {
			t.Fatalf("identify: exit %d: %s", code, errOut)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != len(probes) {
			t.Fatalf("%d lines for %d probes: %s", len(lines), len(probes), out)
		}
		for i, l := range lines {
			var res struct {
				File       string `json:"file"`
				Candidates []struct {
					Subject string  `json:"subject"`
					Score   float64 `json:"score"`
					FMR     float64 `json:"fmr"`
				} `json:"candidates"`
			}
			if err := json.Unmarshal([]byte(l), &res); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			if res.File != probes[i] || len(res.Candidates) != 3 {
				t.Fatalf("line %d: %+v", i, res)
			}
			for k := 1; k < len(res.Candidates); k++ {
				if res.Candidates[k].Score > res.Candidates[k-1].Score || res.Candidates[k].FMR < res.Candidates[k-1].FMR {
					t.Errorf("%s: candidates not best first: %+v", mode, res.Candidates)
				}
			}
			best := res.Candidates[0]
			if i < 3 {
				if want := "S10" + string(rune('1'+i)); best.Subject != want || best.FMR > 1e-4 {
					t.Errorf("%s: probe %s: best %+v, want %s with FMR under 1e-4", mode, probes[i], best, want)
				}
			} else if best.FMR < 1e-3 {
				t.Errorf("%s: unenrolled finger 104 matched %+v", mode, best)
			}
		}
	}
	// Removal: S102 is no longer found.
	if code, _, errOut := run(t, "enroll", "fingerprint", "--db", db, "--subject", "S102", "--remove"); code != 0 {
		t.Fatalf("remove: %s", errOut)
	}
	_, out, _ := run(t, "identify", "--db", db, "--json", img("102_4"))
	if strings.Contains(out, `"S102"`) {
		t.Errorf("removed subject returned: %s", out)
	}
	// A probe that cannot be read: an error line and exit 1.
	code, out, _ := run(t, "identify", "--db", db, "--json", bad)
	if code != 1 || !strings.Contains(out, `"error"`) {
		t.Errorf("bad probe: exit %d, %s", code, out)
	}
}

// The exhaustive sample of a large gallery takes the asked group's
// fingers one probe each before any second probe.
func TestExhaustiveSample(t *testing.T) {
	var probes []*fpProbe
	for f := 0; f < 6; f++ {
		group := "tuning"
		if f >= 3 {
			group = "report"
		}
		for imp := 2; imp <= 4; imp++ {
			probes = append(probes, &fpProbe{finger: f, imp: imp, group: group})
		}
	}
	got := exhaustiveSample(probes, "report", 5)
	if len(got) != 5 {
		t.Fatalf("%d probes, want 5", len(got))
	}
	for i, p := range got {
		if p.group != "report" {
			t.Fatalf("probe %d of group %s", i, p.group)
		}
		if wantImp := 2 + i/3; p.imp != wantImp || p.finger != 3+i%3 {
			t.Fatalf("probe %d: finger %d impression %d, want finger %d impression %d", i, p.finger, p.imp, 3+i%3, wantImp)
		}
	}
	if n := len(exhaustiveSample(probes, "report", 100)); n != 9 {
		t.Fatalf("the whole group: %d probes, want 9", n)
	}
	if n := len(exhaustiveSample(probes, "all", 100)); n != 18 {
		t.Fatalf("all groups: %d probes, want 18", n)
	}
}
