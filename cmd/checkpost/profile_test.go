package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileCommands(t *testing.T) {
	dir := t.TempDir()
	sims := filepath.Join(dir, "sim")
	if code, _, errOut := run(t, "simulate", "--count", "3", "--seed", "5", "--ppi", "150", "--out", sims); code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, errOut)
	}
	caps, _ := filepath.Glob(filepath.Join(sims, "*"))
	profiles := filepath.Join(dir, "profiles")
	code, out, errOut := run(t, append([]string{"profile", "learn", "--profiles", profiles, "--model", "uto-passport"}, caps...)...)
	if code != 0 || !strings.Contains(out, "learned uto-passport revision 1 from 3 captures") {
		t.Fatalf("learn: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "profile", "list", "--profiles", profiles)
	if code != 0 || !strings.Contains(out, "uto-passport") || !strings.Contains(out, "UTO") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "profile", "show", "--profiles", profiles, "uto-passport")
	if code != 0 || !strings.Contains(out, "uv.paper.ratio") || !strings.Contains(out, "portrait") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	exported := filepath.Join(dir, "p.json")
	if code, _, errOut := run(t, "profile", "export", "--profiles", profiles, "--out", exported, "uto-passport"); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	code, out, errOut = run(t, "profile", "import", "--profiles", profiles, exported)
	if code != 0 || !strings.Contains(out, "revision 2") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(profiles, "history", "uto-passport.r1.json")); err != nil {
		t.Errorf("revision 1 not kept: %v", err)
	}
	// Bad input is refused with a reason, nothing stored.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"format":"checkpost-docauth-profile","version":1,"id":"x"}`), 0o644)
	if code, _, errOut := run(t, "profile", "import", "--profiles", profiles, bad); code != 1 || !strings.Contains(errOut, "invalid") {
		t.Errorf("bad import: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run(t, "profile", "learn", "--profiles", profiles, caps[0]); code != 2 || !strings.Contains(errOut, "--model") {
		t.Errorf("learn without --model: exit %d: %s", code, errOut)
	}
	if code, _, _ := run(t, "profile", "show", "--profiles", profiles, "nope"); code != 1 {
		t.Errorf("show of an unknown profile: exit %d", code)
	}
}
