package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/engine/watchlist"
	"checkpost/server/store"
)

func TestVerifyCommand(t *testing.T) {
	useTestOCRCache(t)
	dir := t.TempDir()
	profiles := learnProfile(t, dir)
	genuine, _ := simulateOne(t, filepath.Join(dir, "genuine"), 91, "")
	forged, _ := simulateOne(t, filepath.Join(dir, "forged"), 92, "uv-bright-paper")
	listed, listedTruth := simulateOne(t, filepath.Join(dir, "listed"), 93, "")
	missing := filepath.Join(dir, "no-such-capture")

	code, out, errOut := run(t, "verify", "--json", "--profiles", profiles, genuine, forged, missing)
	if code != 1 {
		t.Fatalf("a missing PATH must give exit 1, got %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one line per PATH:\n%s", out)
	}
	var reps []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		reps = append(reps, m)
	}
	if reps[0]["path"] != genuine || reps[0]["recommendation"] != "CLEAR" {
		t.Errorf("genuine: %v %v", reps[0]["recommendation"], reps[0]["reasons"])
	}
	if doc, _ := reps[0]["document"].(map[string]any); doc == nil || doc["model"] != "uto-passport" {
		t.Errorf("genuine checked against %v", reps[0]["document"])
	}
	if reps[1]["recommendation"] != "REFER" || checkStatuses(t, reps[1])["uv.paper.dullness"] != "FAIL" {
		t.Errorf("forged: %v %v", reps[1]["recommendation"], reps[1]["reasons"])
	}
	if reps[2]["path"] != missing || reps[2]["error"] == nil {
		t.Errorf("missing PATH: %v", reps[2])
	}

	// Text output names the failed check; evidence images are written.
	ev := filepath.Join(dir, "evidence")
	code, out, errOut = run(t, "verify", "--profiles", profiles, "--evidence", ev, forged)
	if code != 0 || !strings.Contains(out, "REFER") || !strings.Contains(out, "uv.paper.dullness      FAIL") {
		t.Fatalf("text: exit %d\n%s\n%s", code, out, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(ev, filepath.Base(forged), "uv.paper.dullness*.png"))
	if len(files) == 0 {
		t.Errorf("no evidence of uv.paper.dullness written under %s", ev)
	}

	// With --db the lost/stolen list of the database is searched.
	dbPath := filepath.Join(dir, "cp.db")
	d, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	src, _ := watchlist.NewDocumentCSV(strings.NewReader("issuer,number,reason,authority\n" +
		listedTruth.Document.IssuingState + "," + listedTruth.Document.DocumentNumber + ",stolen,test police\n"))
	if _, err := d.ImportDocuments(context.Background(), "t.csv", src); err != nil {
		t.Fatal(err)
	}
	d.Close()
	code, out, errOut = run(t, "verify", "--json", "--profiles", profiles, "--db", dbPath, listed)
	if code != 0 {
		t.Fatalf("--db: exit %d: %s", code, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if checkStatuses(t, rep)["watchlist.document"] != "FAIL" || rep["recommendation"] == "CLEAR" {
		t.Errorf("listed document: %v %v", rep["recommendation"], rep["watchlist"])
	}

	if code, _, _ := run(t, "verify"); code != 2 {
		t.Errorf("no PATH: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "verify", "--finger", "nose=x.png", genuine); code != 2 {
		t.Errorf("bad --finger: exit %d, want 2", code)
	}
	os.RemoveAll(ev)
}
