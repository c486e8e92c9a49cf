package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/engine/pipeline"
	"checkpost/internal/shareddata"
)

// A real fingerprint hit (FVC2002 DB1_B: impression 1 of ten fingers
// enrolled, impression 2 of one submitted as an image) carries the
// matched minutiae of its best candidates, within the prints.
func TestFingerprintCandidatesCarryMatchedMinutiae(t *testing.T) {
	dir := shareddata.Path(t, "fingerprints/fvc2002/DB1_B")
	g := fpwatch.NewGallery()
	for f := 101; f <= 110; f++ {
		data, err := os.ReadFile(fmt.Sprintf("%s/%d_1.tif", dir, f))
		if err != nil {
			t.Fatal(err)
		}
		ts, _, _, err := pipeline.FingerTemplates(data, 0)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := match.Prepare(&ts[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Enroll(fmt.Sprintf("F%d", f), fpwatch.Finger{Position: biometric.RightIndex, Template: pt}); err != nil {
			t.Fatal(err)
		}
	}
	probe, err := os.ReadFile(dir + "/103_2.tif")
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Watchlists: pipeline.Watchlists{Fingerprints: g}})
	rep, err := p.Verify(context.Background(), pipeline.Request{Fingers: []pipeline.Finger{{Position: biometric.RightIndex, Data: probe}}})
	if err != nil {
		t.Fatal(err)
	}
	cs := rep.Watchlist.Fingerprints.Candidates
	if len(cs) == 0 || cs[0].Subject != "F103" || len(cs[0].Fingers) != 1 {
		t.Fatalf("candidates %+v", cs)
	}
	best := cs[0].Fingers[0]
	if len(best.Pairs) < 8 {
		t.Fatalf("the mate has %d matched minutiae", len(best.Pairs))
	}
	for _, c := range cs[1:] {
		if len(c.Fingers) > 0 && len(c.Fingers[0].Pairs) >= len(best.Pairs) {
			t.Errorf("candidate %s has %d matched minutiae, the mate %d", c.Subject, len(c.Fingers[0].Pairs), len(best.Pairs))
		}
	}
	for _, pr := range best.Pairs {
		// DB1_B images are 388x374 at 500 ppi.
		if pr.Probe.X < 0 || pr.Probe.X >= 388 || pr.Probe.Y < 0 || pr.Probe.Y >= 374 ||
			pr.Candidate.X < 0 || pr.Candidate.X >= 388 || pr.Candidate.Y < 0 || pr.Candidate.Y >= 374 {
			t.Errorf("pair outside the prints: %+v", pr)
		}
	}
	js, err := json.Marshal(rep.Watchlist.Fingerprints)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"pairs":[{"probe":{"x":`) || !strings.Contains(string(js), `"probe":0,"position":2,"score":`) {
		t.Errorf("report JSON: %.400s", js)
	}
}
