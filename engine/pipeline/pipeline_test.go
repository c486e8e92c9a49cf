package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"checkpost/biometric"
	"checkpost/biometric/match"
	"checkpost/biometric/native"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/biometric/watchlist/synth"
	"checkpost/devices"
	"checkpost/devices/sim"
	"checkpost/engine"
	"checkpost/engine/docauth"
	"checkpost/engine/docauth/profile"
	"checkpost/engine/pipeline"
	"checkpost/engine/watchlist"
	"checkpost/mrz/ocr"
)

// TestCacheDir is where the tests of this package and of the command keep
// the trained OCR-B classifier: trained once per machine (about 40 s on
// two cores), loaded in well under a second afterwards.
func testCacheDir() string { return filepath.Join(os.TempDir(), "checkpost-test-cache", "ocrb") }

var (
	setupOnce sync.Once
	simS      *sim.Simulator
	reader    *ocr.Reader
	checker   *docauth.Checker
	setupErr  error
)

// setup renders genuine passports, learns their profile and loads the MRZ
// reader, once for every test of the package.
func setup(t testing.TB) {
	t.Helper()
	setupOnce.Do(func() {
		start := time.Now()
		reader = ocr.New(ocr.Options{CacheDir: testCacheDir()})
		if simS, setupErr = sim.New(); setupErr != nil {
			return
		}
		var caps []*devices.Capture
		for i, d := range []string{"none", "none", "none", "rotate:180,noise:6", "perspective:0.5,light:0.5", "occlusion:0.6,jpeg:40"} {
			c, err := renderErr("uto-passport", uint64(i+1), "none", d)
			if err != nil {
				setupErr = err
				return
			}
			caps = append(caps, c)
		}
		var p *profile.Profile
		if p, setupErr = docauth.Learn(context.Background(), caps, docauth.LearnOptions{ID: "uto-passport"}); setupErr != nil {
			return
		}
		if checker, setupErr = docauth.NewChecker([]*profile.Profile{p}); setupErr != nil {
			return
		}
		setupErr = reader.Wait(context.Background())
		t.Logf("setup (profile learnt, OCR classifier loaded) in %s", time.Since(start).Round(time.Millisecond))
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

func renderErr(model string, seed uint64, forgery, degrade string) (*devices.Capture, error) {
	fs, err := sim.ParseForgeries(forgery)
	if err != nil {
		return nil, err
	}
	ds, err := sim.ParseDegradations(degrade)
	if err != nil {
		return nil, err
	}
	return simS.Render(sim.Spec{Model: model, Seed: seed, PPI: 300, Forgeries: fs, Degradations: ds})
}

func render(t testing.TB, seed uint64, forgery string) *devices.Capture {
	t.Helper()
	c, err := renderErr("uto-passport", seed, forgery, "none")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPipeline(t testing.TB, lists pipeline.Watchlists, limits pipeline.Limits) *pipeline.Pipeline {
	t.Helper()
	setup(t)
	return pipeline.New(pipeline.Config{Reader: reader,
		Documents:  pipeline.Documents{Checker: checker, Profiles: []pipeline.ProfileVersion{{ID: "uto-passport", Revision: 1}}},
		Watchlists: lists, Limits: limits})
}

func verify(t testing.TB, p *pipeline.Pipeline, req pipeline.Request) *pipeline.Report {
	t.Helper()
	rep, err := p.Verify(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	// Every report must be JSON with the fields the counter relies on.
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"recommendation", "reasons", "checks", "mrz", "watchlist", "stages", "versions"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("report has no %q: %s", k, b)
		}
	}
	return rep
}

func status(t testing.TB, rep *pipeline.Report, name string) engine.Status {
	t.Helper()
	c := rep.Check(name)
	if c == nil {
		t.Fatalf("no check %s", name)
	}
	return c.Status
}

func explain(rep *pipeline.Report) string {
	var b strings.Builder
	for _, c := range rep.Checks {
		b.WriteString("\n  " + c.Name + " " + string(c.Status) + ": " + c.Reason)
	}
	for _, s := range rep.Stages {
		b.WriteString("\n  stage " + s.Name + " " + s.Status + " " + s.Error)
	}
	return b.String()
}

func TestGenuinePassportIsClear(t *testing.T) {
	p := newPipeline(t, pipeline.Watchlists{Documents: watchlist.NewDocumentIndex(), Persons: watchlist.NewPersonIndex()}, pipeline.Limits{})
	c := render(t, 9001, "none")
	rep := verify(t, p, pipeline.Request{Capture: c, Evidence: pipeline.FailedEvidence})
	if rep.Recommendation != engine.Clear {
		t.Fatalf("genuine passport: %s %v%s", rep.Recommendation, rep.Reasons, explain(rep))
	}
	if !rep.MRZ.Found || !rep.MRZ.Valid || rep.MRZ.Parsed == nil {
		t.Fatalf("MRZ not read: %+v", rep.MRZ.Result)
	}
	if got, want := strings.Join(rep.MRZ.Lines, "\n"), strings.Join(c.Truth.MRZ, "\n"); got != want {
		t.Errorf("MRZ read\n%s\nwant\n%s", got, want)
	}
	if rep.Document == nil || rep.Document.Model != "uto-passport" || rep.Model != "uto-passport" || rep.MS <= 0 {
		t.Errorf("document identified as %+v", rep.Document)
	}
	for _, name := range []string{pipeline.CheckMRZRead, docauth.CheckUVPaper, docauth.CheckIRMRZ, pipeline.CheckDocument, pipeline.CheckPerson} {
		if s := status(t, rep, name); s != engine.Pass {
			t.Errorf("%s: %s", name, s)
		}
	}
	if s := status(t, rep, pipeline.CheckFingerprint); s != engine.NotPerformed {
		t.Errorf("no finger sent, but %s is %s", pipeline.CheckFingerprint, s)
	}
	for _, s := range rep.Stages {
		if s.Status == pipeline.StageFailed || s.Status == pipeline.StageTimeout {
			t.Errorf("stage %s %s: %s", s.Name, s.Status, s.Error)
		}
	}
	if len(rep.Versions.Profiles) != 1 || rep.Versions.Policy == "" {
		t.Errorf("versions: %+v", rep.Versions)
	}
}

func TestForgeryIsReferredWithItsCheck(t *testing.T) {
	p := newPipeline(t, pipeline.Watchlists{}, pipeline.Limits{})
	for i, tc := range []struct{ forgery, check string }{
		{"uv-bright-paper", docauth.CheckUVPaper},
		{"mrz-ir-transparent", docauth.CheckIRMRZ},
	} {
		rep := verify(t, p, pipeline.Request{Capture: render(t, uint64(9100+i), tc.forgery), Evidence: pipeline.FailedEvidence})
		if rep.Recommendation.Severity() < engine.Refer.Severity() {
			t.Errorf("%s: %s%s", tc.forgery, rep.Recommendation, explain(rep))
			continue
		}
		if s := status(t, rep, tc.check); s != engine.Fail {
			t.Errorf("%s: %s is %s%s", tc.forgery, tc.check, s, explain(rep))
		}
		named := false
		for _, r := range rep.Reasons {
			named = named || r.Check == tc.check
		}
		if !named {
			t.Errorf("%s: reasons do not name %s: %+v", tc.forgery, tc.check, rep.Reasons)
		}
		// The failed check's evidence images are there, under the names
		// the check gives.
		ev := map[string]bool{}
		for _, e := range rep.Evidence {
			ev[e.Name] = true
			if strings.ContainsAny(e.Name, "/ ") {
				t.Errorf("evidence name %q does not fit a URL segment", e.Name)
			}
		}
		c := rep.Check(tc.check)
		if len(c.Evidence) == 0 {
			t.Errorf("%s: %s names no evidence", tc.forgery, tc.check)
		}
		for _, n := range c.Evidence {
			if !ev[n] {
				t.Errorf("%s: evidence %s named but not made", tc.forgery, n)
			}
		}
		if tc.forgery == "mrz-ir-transparent" && rep.MRZ.Light != devices.White {
			t.Errorf("MRZ invisible under IR should have been read under white light, was read under %q", rep.MRZ.Light)
		}
	}
}

func TestListedDocumentAndPersonAreReferred(t *testing.T) {
	c := render(t, 9201, "none")
	d := c.Truth.Document
	docs := watchlist.NewDocumentIndex()
	if err := docs.Add(watchlist.DocumentEntry{Issuer: d.IssuingState, Number: d.DocumentNumber, Reason: "stolen", Authority: "test police"}); err != nil {
		t.Fatal(err)
	}
	if err := docs.Add(watchlist.DocumentEntry{Issuer: d.IssuingState, Number: "X0000001", Reason: "lost", Authority: "test police"}); err != nil {
		t.Fatal(err)
	}
	docs.Flush()
	persons := watchlist.NewPersonIndex()
	bd, err := watchlist.ParseDate(d.BirthDate)
	if err != nil {
		t.Fatal(err)
	}
	if err := persons.Add(watchlist.Person{ID: 7, List: "wanted", Reason: "test warrant",
		Names: []watchlist.PersonName{{Primary: d.Surname, Secondary: d.GivenNames}}, BirthDate: bd, Nationality: d.Nationality}); err != nil {
		t.Fatal(err)
	}
	p := newPipeline(t, pipeline.Watchlists{Documents: docs, Persons: persons,
		Versions: []pipeline.ListVersion{{List: "documents", Entries: 2, Version: "t1"}}}, pipeline.Limits{})
	rep := verify(t, p, pipeline.Request{Capture: c})
	// A hit refers the traveller to a person (REFER, or ALERT where the
	// policy holds the document): never CLEAR.
	if rep.Recommendation.Severity() < engine.Refer.Severity() {
		t.Fatalf("listed document: %s%s", rep.Recommendation, explain(rep))
	}
	if s := status(t, rep, pipeline.CheckDocument); s != engine.Fail {
		t.Errorf("%s: %s", pipeline.CheckDocument, s)
	}
	if len(rep.Watchlist.Documents) != 1 || rep.Watchlist.Documents[0].Number != strings.ToUpper(d.DocumentNumber) || rep.Watchlist.Documents[0].Reason != "stolen" {
		t.Errorf("document hits: %+v", rep.Watchlist.Documents)
	}
	if s := status(t, rep, pipeline.CheckPerson); s != engine.Fail {
		t.Errorf("%s: %s%s", pipeline.CheckPerson, s, explain(rep))
	}
	if len(rep.Watchlist.Persons) == 0 || rep.Watchlist.Persons[0].ID != 7 || rep.Watchlist.Persons[0].Reason == "" {
		t.Errorf("person hits: %+v", rep.Watchlist.Persons)
	}
	codes := rep.ReasonCodes()
	for _, want := range []string{pipeline.CheckDocument, pipeline.CheckPerson} {
		found := false
		for _, c := range codes {
			found = found || c == want
		}
		if !found {
			t.Errorf("reason codes %v lack %s", codes, want)
		}
	}
	if len(rep.Versions.Watchlists) != 1 || rep.Versions.Watchlists[0].Version != "t1" {
		t.Errorf("watchlist versions: %+v", rep.Versions.Watchlists)
	}
}

// stuckChecker never answers in time and ignores its context, as a hung
// stage would.
type stuckChecker struct{ d time.Duration }

func (s stuckChecker) Check(ctx context.Context, in docauth.Input) (*docauth.Result, error) {
	time.Sleep(s.d)
	return &docauth.Result{}, nil
}

func TestStageTimeoutIsAbortedAndTheRestReported(t *testing.T) {
	setup(t)
	c := render(t, 9301, "none")
	docs := watchlist.NewDocumentIndex()
	docs.Add(watchlist.DocumentEntry{Issuer: c.Truth.Document.IssuingState, Number: c.Truth.Document.DocumentNumber, Reason: "stolen", Authority: "test"})
	docs.Flush()
	p := pipeline.New(pipeline.Config{Reader: reader, Documents: pipeline.Documents{Checker: stuckChecker{3 * time.Second}},
		Watchlists: pipeline.Watchlists{Documents: docs}, Limits: pipeline.Limits{Document: 300 * time.Millisecond}})
	start := time.Now()
	rep := verify(t, p, pipeline.Request{Capture: c})
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("the verification waited %s for a stage limited to 300 ms", el)
	}
	for _, n := range docauth.CheckNames {
		if s := status(t, rep, n); s != engine.Aborted {
			t.Errorf("%s: %s, want ABORTED", n, s)
		}
	}
	var st *pipeline.Stage
	for i := range rep.Stages {
		if rep.Stages[i].Name == "document" {
			st = &rep.Stages[i]
		}
	}
	if st == nil || st.Status != pipeline.StageTimeout {
		t.Errorf("document stage: %+v", st)
	}
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
		t.Errorf("mrz.read: %s", s)
	}
	if s := status(t, rep, pipeline.CheckDocument); s != engine.Fail || len(rep.Watchlist.Documents) != 1 {
		t.Errorf("the document list's hit must still be reported: %s %+v", s, rep.Watchlist.Documents)
	}
	if rep.Recommendation.Severity() < engine.Refer.Severity() {
		t.Errorf("aborted checks: %s", rep.Recommendation)
	}
}

func TestFingerprintHitIsReferredWithItsFMR(t *testing.T) {
	setup(t)
	gen := synth.New(5)
	g := fpwatch.NewGallery()
	var batch []fpwatch.Enrollment
	var mate biometric.Template
	for i := range 2000 {
		tm := gen.Template()
		tm.Position = biometric.Position(2 + i%2)
		pt, err := match.Prepare(&tm)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, fpwatch.Enrollment{Subject: fmt.Sprintf("S%05d", i), Fingers: []fpwatch.Finger{{Position: tm.Position, Template: pt}}})
		if i == 1234 {
			mate = gen.Distort(tm)
		}
	}
	if err := g.EnrollBatch(batch); err != nil {
		t.Fatal(err)
	}
	probe, err := native.Encode(&mate)
	if err != nil {
		t.Fatal(err)
	}
	stranger := gen.Template()
	strangerData, _ := native.Encode(&stranger)
	p := newPipeline(t, pipeline.Watchlists{Fingerprints: g}, pipeline.Limits{})

	rep := verify(t, p, pipeline.Request{Fingers: []pipeline.Finger{{Position: mate.Position, Data: probe}}})
	fr := rep.Watchlist.Fingerprints
	if s := status(t, rep, pipeline.CheckFingerprint); s != engine.Fail {
		t.Fatalf("mate not hit: %s %+v%s", s, fr, explain(rep))
	}
	if len(fr.Candidates) == 0 || fr.Candidates[0].Subject != batch[1234].Subject || !fr.Candidates[0].Hit || fr.Candidates[0].FMR <= 0 || fr.Templates != 2000 {
		t.Errorf("candidates: %+v", fr)
	}
	if rep.Recommendation.Severity() < engine.Refer.Severity() {
		t.Errorf("fingerprint hit: %s", rep.Recommendation)
	}
	// No document sent: the MRZ and document checks say so.
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.NotPerformed {
		t.Errorf("mrz.read without a document: %s", s)
	}

	rep = verify(t, p, pipeline.Request{Fingers: []pipeline.Finger{{Data: strangerData}}})
	if s := status(t, rep, pipeline.CheckFingerprint); s != engine.Pass {
		t.Errorf("stranger: %s %+v", s, rep.Watchlist.Fingerprints)
	}
	for _, c := range rep.Watchlist.Fingerprints.Candidates {
		if c.Hit {
			t.Errorf("stranger hit %+v", c)
		}
	}

	rep = verify(t, p, pipeline.Request{Fingers: []pipeline.Finger{{Data: []byte("not a finger")}}})
	if s := status(t, rep, pipeline.CheckFingerprint); s != engine.Undetermined || rep.Watchlist.Fingerprints.Fingers[0].Error == "" {
		t.Errorf("unreadable finger: %s %+v", s, rep.Watchlist.Fingerprints)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	setup(t)
	p := pipeline.New(pipeline.Config{Reader: reader})
	if _, err := p.Verify(context.Background(), pipeline.Request{}); err == nil {
		t.Error("empty request accepted")
	}
}

// stuckReader never finds the MRZ in time, whatever its context says.
type stuckReader struct{ *ocr.Reader }

func (s stuckReader) ReadCapture(ctx context.Context, c *devices.Capture, opts ...ocr.ReadOption) (*ocr.Result, error) {
	time.Sleep(2 * time.Second)
	return &ocr.Result{}, nil
}

func TestMRZTimeoutStillChecksTheDocument(t *testing.T) {
	setup(t)
	p := pipeline.New(pipeline.Config{Reader: stuckReader{reader}, Documents: pipeline.Documents{Checker: checker},
		Watchlists: pipeline.Watchlists{Documents: watchlist.NewDocumentIndex()}, Limits: pipeline.Limits{MRZ: 200 * time.Millisecond}})
	rep := verify(t, p, pipeline.Request{Capture: render(t, 9401, "uv-bright-paper")})
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Aborted {
		t.Errorf("mrz.read: %s", s)
	}
	// Without the MRZ the document is identified by its page and still
	// checked; the list lookup needs the MRZ.
	if s := status(t, rep, docauth.CheckUVPaper); s != engine.Fail {
		t.Errorf("%s without the MRZ: %s%s", docauth.CheckUVPaper, s, explain(rep))
	}
	if s := status(t, rep, pipeline.CheckDocument); s != engine.NotPerformed {
		t.Errorf("%s without the MRZ: %s", pipeline.CheckDocument, s)
	}
	if rep.Recommendation != engine.Refer {
		t.Errorf("recommendation %s", rep.Recommendation)
	}
}

func TestSilentCheckIsRecordedButDoesNotDecide(t *testing.T) {
	setup(t)
	pol, err := engine.ParsePolicy(strings.NewReader(`{"version": "t-silent", "silent": ["uv.*"],
		"rules": [{"check": "*", "status": ["FAIL"], "then": "REFER", "reason": "{check}: {reason}"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Reader: reader, Documents: pipeline.Documents{Checker: checker}, Policy: pol})
	rep := verify(t, p, pipeline.Request{Capture: render(t, 9402, "uv-bright-paper")})
	c := rep.Check(docauth.CheckUVPaper)
	if c.Status != engine.Fail || !c.Silent {
		t.Errorf("silent check: %+v", c)
	}
	if rep.Recommendation != engine.Clear || rep.Versions.Policy != "t-silent" {
		t.Errorf("a silent check decided: %s %v", rep.Recommendation, rep.Reasons)
	}
}
