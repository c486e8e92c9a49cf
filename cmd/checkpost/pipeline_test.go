package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
	"checkpost/biometric/watchlist/synth"
	"checkpost/devices"
	"checkpost/engine/watchlist"
	"checkpost/internal/shareddata"
	"checkpost/mrz/ocr"
	"checkpost/mrz/ocr/ocrb"
	"checkpost/server"
	"checkpost/server/crypt"
	"checkpost/server/store"
)

// testOCRCache is the OCR-B classifier's cache that the engine's tests
// share, so that it is trained once per machine (about 40 s on two cores).
var testOCRCache = filepath.Join(os.TempDir(), "checkpost-test-cache", "ocrb")

// TestMain points the commands, and the servers the tests start as child
// processes, at the shared classifier cache, and fills it first: a server
// then becomes ready in well under a second instead of training.
func TestMain(m *testing.M) {
	if os.Getenv(ocrb.CacheDirEnv) == "" {
		os.Setenv(ocrb.CacheDirEnv, testOCRCache)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	r := ocr.New(ocr.Options{})
	if err := r.Wait(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "OCR-B classifier:", err)
	}
	r.Close()
	cancel()
	os.Exit(m.Run())
}

// useTestOCRCache points the OCR-B classifier's cache at the shared one.
func useTestOCRCache(t *testing.T) {
	if os.Getenv(ocrb.CacheDirEnv) == "" {
		t.Setenv(ocrb.CacheDirEnv, testOCRCache)
	}
}

// simulateOne writes one simulated passport capture and returns its folder
// and ground truth.
func simulateOne(t *testing.T, dir string, seed int, forgery string) (string, *devices.Truth) {
	t.Helper()
	args := []string{"simulate", "--count", "1", "--seed", fmt.Sprint(seed), "--model", "uto-passport", "--ppi", "300", "--out", dir}
	if forgery != "" {
		args = append(args, "--forgery", forgery)
	}
	if code, _, errOut := run(t, args...); code != 0 {
		t.Fatalf("simulate: %s", errOut)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(m) != 1 {
		t.Fatalf("captures in %s: %v", dir, m)
	}
	c, err := devices.Load(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return m[0], c.Truth
}

// learnProfile learns the uto-passport profile from three simulated
// captures into a profiles folder.
func learnProfile(t *testing.T, dir string) string {
	t.Helper()
	sims := filepath.Join(dir, "learn")
	if code, _, errOut := run(t, "simulate", "--count", "3", "--seed", "3", "--model", "uto-passport", "--ppi", "300", "--out", sims); code != 0 {
		t.Fatalf("simulate: %s", errOut)
	}
	caps, _ := filepath.Glob(filepath.Join(sims, "*"))
	profiles := filepath.Join(dir, "profiles")
	if code, _, errOut := run(t, append([]string{"profile", "learn", "--profiles", profiles, "--model", "uto-passport"}, caps...)...); code != 0 {
		t.Fatalf("profile learn: %s", errOut)
	}
	return profiles
}

type apiFixture struct {
	url, token string
	db         *store.DB
	vault      *store.Vault
	profiles   string
}

// newAPIFixture serves the real server with the real pipeline over a new
// database, and waits until it is ready.
func newAPIFixture(t *testing.T, dir string, enroll func(v *store.Vault)) *apiFixture {
	t.Helper()
	useTestOCRCache(t)
	ctx := context.Background()
	f := &apiFixture{profiles: learnProfile(t, dir)}
	db, err := store.Open(ctx, filepath.Join(dir, "cp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	t.Setenv(crypt.EnvVar, "")
	keys, _, err := loadKeys(ctx, db, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if f.vault, err = store.NewVault(ctx, db, keys); err != nil {
		t.Fatal(err)
	}
	f.db = db
	if enroll != nil {
		enroll(f.vault)
	}
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	log := slog.New(slog.DiscardHandler)
	v, watch, err := startPipeline(sctx, log, db, f.vault, pipelineConfig{profiles: f.profiles, reload: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go watch(sctx)
	srv := server.New(server.Config{Vault: f.vault, Verifier: v}, db, log)
	v.attach(srv)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f.url = ts.URL
	if f.token, _, err = db.CreateToken(ctx, store.RoleCounter, "counter-1"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Minute); ; {
		resp, err := http.Get(f.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready in 3 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return f
}

type part struct{ name, file, value string }

// post sends a multipart verification and decodes the answer.
func (f *apiFixture) post(t *testing.T, capture string, fingers [][2]string, extra ...part) (int, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("counter", "C1")
	mw.WriteField("direction", "entry")
	if capture != "" {
		for _, l := range []string{"white", "ir", "uv"} {
			data, err := os.ReadFile(filepath.Join(capture, l+".png"))
			if err != nil {
				t.Fatal(err)
			}
			w, _ := mw.CreateFormFile(l, l+".png")
			w.Write(data)
		}
	}
	for _, fg := range fingers {
		mw.WriteField("finger_position", fg[0])
		w, _ := mw.CreateFormFile("finger", filepath.Base(fg[1]))
		data, err := os.ReadFile(fg[1])
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	for _, p := range extra {
		w, _ := mw.CreateFormFile(p.name, p.file)
		w.Write([]byte(p.value))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", f.url+"/api/v1/verifications", &b)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	return resp.StatusCode, out
}

func (f *apiFixture) get(t *testing.T, path string) (int, string, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// checkStatuses maps check names to statuses in an API answer.
func checkStatuses(t *testing.T, rep map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	cs, _ := rep["checks"].([]any)
	for _, c := range cs {
		m := c.(map[string]any)
		out[m["name"].(string)] = m["status"].(string)
	}
	if len(out) == 0 {
		t.Fatalf("no checks in %v", rep)
	}
	return out
}

func reasonChecks(rep map[string]any) []string {
	var out []string
	rs, _ := rep["reasons"].([]any)
	for _, r := range rs {
		out = append(out, r.(map[string]any)["check"].(string))
	}
	return out
}

func writeNative(t *testing.T, path string, tm biometric.Template) string {
	t.Helper()
	b, err := native.Encode(&tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestVerificationAPIEndToEnd submits simulated captures with fingers to
// the real server running the real pipeline: a genuine passport is
// CLEAR, a forged and listed one with a watchlisted finger is referred
// with each reason named and its evidence stored; a list changed while
// serving is seen; a capture whose lights do not fit together is 422.
func TestVerificationAPIEndToEnd(t *testing.T) {
	dir := t.TempDir()
	genuine, _ := simulateOne(t, filepath.Join(dir, "genuine"), 77, "")
	forged, forgedTruth := simulateOne(t, filepath.Join(dir, "forged"), 78, "mrz-ir-transparent")
	later, laterTruth := simulateOne(t, filepath.Join(dir, "later"), 79, "")

	// A gallery of 500 generated subjects; the traveller's finger is a
	// distorted impression of subject S00123's.
	gen := synth.New(11)
	var mate, stranger biometric.Template
	f := newAPIFixture(t, dir, func(v *store.Vault) {
		var batch []store.FingerprintEnrollment
		for i := range 500 {
			tm := gen.Template()
			tm.Position = biometric.Position(2)
			p, err := match.Prepare(&tm)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, store.FingerprintEnrollment{Subject: fmt.Sprintf("S%05d", i),
				Fingers: []store.EnrolledFinger{{Position: tm.Position, Template: tm, Prepared: p}}})
			if i == 123 {
				mate = gen.Distort(tm)
			}
		}
		if _, err := v.EnrollFingerprints(context.Background(), cliActor(), batch); err != nil {
			t.Fatal(err)
		}
		stranger = gen.Template()
		csv := "issuer,number,reason,authority\n" + forgedTruth.Document.IssuingState + "," + forgedTruth.Document.DocumentNumber + ",stolen,test police\n"
		src, err := watchlist.NewDocumentCSV(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.DB().ImportDocuments(context.Background(), "test.csv", src); err != nil {
			t.Fatal(err)
		}
	})
	mateFile := writeNative(t, filepath.Join(dir, "mate.cpt"), mate)
	strangerFile := writeNative(t, filepath.Join(dir, "stranger.cpt"), stranger)

	code, rep := f.post(t, genuine, [][2]string{{"right-index", strangerFile}})
	if code != 201 {
		t.Fatalf("genuine: %d %v", code, rep)
	}
	for _, k := range []string{"id", "recommendation", "checks", "mrz", "watchlist", "stages", "versions"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("answer has no %q", k)
		}
	}
	st := checkStatuses(t, rep)
	if rep["recommendation"] != "CLEAR" {
		t.Errorf("genuine passport: %v %v %v", rep["recommendation"], rep["reasons"], st)
	}
	if st["watchlist.fingerprint"] != "PASS" || st["watchlist.document"] != "PASS" || st["mrz.read"] != "PASS" {
		t.Errorf("genuine: %v", st)
	}

	code, rep = f.post(t, forged, [][2]string{{"right-index", mateFile}})
	if code != 201 {
		t.Fatalf("forged: %d %v", code, rep)
	}
	if r := rep["recommendation"]; r != "REFER" && r != "ALERT" {
		t.Errorf("forged, listed, watchlisted: %v", r)
	}
	st = checkStatuses(t, rep)
	for _, c := range []string{"ir.mrz.absorption", "watchlist.document", "watchlist.fingerprint"} {
		if st[c] != "FAIL" {
			t.Errorf("%s: %s", c, st[c])
		}
		if !strings.Contains(strings.Join(reasonChecks(rep), " "), c) {
			t.Errorf("reasons %v do not name %s", reasonChecks(rep), c)
		}
	}
	wl := rep["watchlist"].(map[string]any)
	cands := wl["fingerprints"].(map[string]any)["candidates"].([]any)
	if len(cands) == 0 || cands[0].(map[string]any)["subject"] != "S00123" || cands[0].(map[string]any)["hit"] != true {
		t.Errorf("fingerprint candidates: %v", cands)
	}
	if _, ok := cands[0].(map[string]any)["fmr"].(float64); !ok {
		t.Errorf("candidate without fmr: %v", cands[0])
	}
	if docs := wl["documents"].([]any); len(docs) != 1 || docs[0].(map[string]any)["reason"] != "stolen" {
		t.Errorf("document hits: %v", docs)
	}
	// The failed check's evidence is stored and served by the name the
	// check gives.
	id := rep["id"].(string)
	var evName string
	for _, c := range rep["checks"].([]any) {
		m := c.(map[string]any)
		if m["name"] == "ir.mrz.absorption" {
			if ev, _ := m["evidence"].([]any); len(ev) > 0 {
				evName = ev[0].(string)
			}
		}
	}
	if evName == "" {
		t.Fatal("ir.mrz.absorption names no evidence")
	}
	if code, ct, body := f.get(t, "/api/v1/verifications/"+id+"/evidence/"+evName); code != 200 || ct != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Errorf("evidence %s: %d %s", evName, code, ct)
	}
	if code, _, body := f.get(t, "/api/v1/verifications/"+id); code != 200 || !strings.Contains(string(body), "watchlist.document") {
		t.Errorf("GET verification: %d %.200s", code, body)
	}

	// The same in JSON, files in base64.
	js := map[string]any{"counter": "C2", "direction": "exit",
		"fingers": []map[string]any{{"finger_position": "right-index", "data": mustRead(t, mateFile)}}}
	for _, l := range []string{"white", "ir", "uv"} {
		js[l] = mustRead(t, filepath.Join(genuine, l+".png"))
	}
	body, _ := json.Marshal(js)
	req, _ := http.NewRequest("POST", f.url+"/api/v1/verifications", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var jrep map[string]any
	json.NewDecoder(resp.Body).Decode(&jrep)
	resp.Body.Close()
	if resp.StatusCode != 201 || checkStatuses(t, jrep)["watchlist.fingerprint"] != "FAIL" || checkStatuses(t, jrep)["mrz.read"] != "PASS" {
		t.Errorf("JSON submission: %d %v", resp.StatusCode, jrep["reasons"])
	}

	// A document listed while serving is found after the reload.
	csv := "issuer,number,reason,authority\n" + laterTruth.Document.IssuingState + "," + laterTruth.Document.DocumentNumber + ",lost,test police\n"
	src, _ := watchlist.NewDocumentCSV(strings.NewReader(csv))
	if _, err := f.db.ImportDocuments(context.Background(), "later.csv", src); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, rep = f.post(t, later, nil)
		if code != 201 {
			t.Fatalf("later: %d %v", code, rep)
		}
		if checkStatuses(t, rep)["watchlist.document"] == "FAIL" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("document listed while serving never hit: %v", rep["watchlist"])
		}
		time.Sleep(200 * time.Millisecond)
	}

	// White and IR of different sizes cannot be one capture.
	code, rep = f.post(t, "", nil, part{"white", "w.png", smallPNG(t, 64, 48)}, part{"ir", "i.png", smallPNG(t, 80, 40)})
	if code != 422 {
		t.Errorf("unregistered lights: %d %v", code, rep)
	}
}

// TestVerificationAPIFingerImages sends finger images (FVC2002 DB1_B): a
// second impression of an enrolled finger is a hit.
func TestVerificationAPIFingerImages(t *testing.T) {
	enrolled := shareddata.Path(t, "fingerprints/fvc2002/DB1_B/101_1.tif")
	probe := shareddata.Path(t, "fingerprints/fvc2002/DB1_B/101_2.tif")
	other := shareddata.Path(t, "fingerprints/fvc2002/DB1_B/102_2.tif")
	dir := t.TempDir()
	genuine, _ := simulateOne(t, filepath.Join(dir, "genuine"), 81, "")
	f := newAPIFixture(t, dir, func(v *store.Vault) {
		views, err := readFingerViews(enrolled, 0)
		if err != nil {
			t.Fatal(err)
		}
		fv := views[0]
		if _, err := v.EnrollFingerprints(context.Background(), cliActor(), []store.FingerprintEnrollment{{Subject: "FIA-101",
			Fingers: []store.EnrolledFinger{{Position: biometric.Position(2), Template: fv.template, Prepared: fv.prepared}}}}); err != nil {
			t.Fatal(err)
		}
	})
	code, rep := f.post(t, genuine, [][2]string{{"right-index", probe}, {"left-index", other}})
	if code != 201 {
		t.Fatalf("%d %v", code, rep)
	}
	if st := checkStatuses(t, rep); st["watchlist.fingerprint"] != "FAIL" {
		t.Errorf("second impression of an enrolled finger: %s %v", st["watchlist.fingerprint"], rep["watchlist"])
	}
	fingers := rep["watchlist"].(map[string]any)["fingerprints"].(map[string]any)["fingers"].([]any)
	if len(fingers) != 2 || fingers[0].(map[string]any)["minutiae"].(float64) < 10 {
		t.Errorf("fingers read: %v", fingers)
	}
}

// smallPNG is a grey PNG of w x h pixels.
func smallPNG(t *testing.T, w, h int) string {
	t.Helper()
	var b bytes.Buffer
	if err := devices.EncodePNG(&b, image.NewGray(image.Rect(0, 0, w, h)), 300); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
