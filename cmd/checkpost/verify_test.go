package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"checkpost/devices"
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

// makePDF wraps a JPEG in a one-page PDF whose page is the image at ppi,
// as a document reader's PDF export holds its scan.
func makePDF(t *testing.T, img image.Image, ppi float64) []byte {
	t.Helper()
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, img, &jpeg.Options{Quality: 92}); err != nil {
		t.Fatal(err)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	pw, ph := float64(w)*72/ppi, float64(h)*72/ppi
	content := fmt.Sprintf("q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", pw, ph)
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>", pw, ph),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream", w, h, jb.Len(), jb.String()),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// TestVerifyPDF reads a passport from a PDF export: the page rendered at
// 300 ppi, the MRZ read under white light.
func TestVerifyPDF(t *testing.T) {
	useTestOCRCache(t)
	dir := t.TempDir()
	capDir, truth := simulateOne(t, filepath.Join(dir, "c"), 95, "")
	c, err := devices.Load(capDir)
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "scan.pdf")
	if err := os.WriteFile(pdf, makePDF(t, c.White, 300), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "verify", "--json", "--profiles", filepath.Join(dir, "none"), pdf)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		MRZ struct {
			Found bool     `json:"found"`
			Lines []string `json:"lines"`
			Light string   `json:"light"`
		} `json:"mrz"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.MRZ.Found || strings.Join(rep.MRZ.Lines, "\n") != strings.Join(truth.MRZ, "\n") || rep.MRZ.Light != "white" {
		t.Errorf("MRZ from the PDF: %+v, want %q", rep.MRZ, truth.MRZ)
	}
	os.WriteFile(pdf, []byte("%PDF-1.4\ngarbage"), 0o644)
	if code, _, _ := run(t, "verify", pdf); code != 1 {
		t.Errorf("damaged PDF: exit %d, want 1", code)
	}
}
