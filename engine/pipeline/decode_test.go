package pipeline_test

import (
	"context"
	"errors"
	"fmt"
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
	"checkpost/engine"
	"checkpost/engine/pipeline"
)

// signalGallery says when it is first searched.
type signalGallery struct {
	*fpwatch.Gallery
	searched chan struct{}
	once     sync.Once
}

func (g *signalGallery) Search(ctx context.Context, probes []fpwatch.Probe, opt fpwatch.SearchOptions) (*fpwatch.Result, error) {
	g.once.Do(func() { close(g.searched) })
	return g.Gallery.Search(ctx, probes, opt)
}

func smallGallery(t *testing.T, n int) (*fpwatch.Gallery, *synth.Generator) {
	t.Helper()
	gen := synth.New(11)
	g := fpwatch.NewGallery()
	var batch []fpwatch.Enrollment
	for i := range n {
		tm := gen.Template()
		tm.Position = biometric.Position(2)
		pt, err := match.Prepare(&tm)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, fpwatch.Enrollment{Subject: fmt.Sprintf("D%05d", i), Fingers: []fpwatch.Finger{{Position: tm.Position, Template: pt}}})
	}
	if err := g.EnrollBatch(batch); err != nil {
		t.Fatal(err)
	}
	return g, gen
}

// TestDecodeRunsWhileTheFingersAreSearched: a request whose capture is
// still to be decoded has its fingers searched meanwhile (the decoder
// below waits for the search to start), and is then verified as if the
// capture had been given.
func TestDecodeRunsWhileTheFingersAreSearched(t *testing.T) {
	setup(t)
	g, gen := smallGallery(t, 300)
	stranger := gen.Template()
	data, err := native.Encode(&stranger)
	if err != nil {
		t.Fatal(err)
	}
	fingers := []pipeline.Finger{{Position: biometric.Position(2), Data: data}}
	c := render(t, 9600, "none")

	sg := &signalGallery{Gallery: g, searched: make(chan struct{})}
	p := newPipeline(t, pipeline.Watchlists{Fingerprints: sg}, pipeline.Limits{})
	decodes := 0
	rep := verify(t, p, pipeline.Request{Fingers: fingers, Decode: func(ctx context.Context) (*devices.Capture, error) {
		decodes++
		select {
		case <-sg.searched:
			return c, nil
		case <-time.After(20 * time.Second):
			return nil, errors.New("the fingers were not searched while the capture was decoded")
		}
	}})
	if decodes != 1 {
		t.Fatalf("decoded %d times", decodes)
	}
	given := verify(t, p, pipeline.Request{Capture: c, Fingers: fingers})
	if rep.Recommendation != given.Recommendation || len(rep.Checks) != len(given.Checks) {
		t.Fatalf("decoded: %s, %d checks; given: %s, %d checks%s", rep.Recommendation, len(rep.Checks), given.Recommendation, len(given.Checks), explain(rep))
	}
	for i := range rep.Checks {
		if rep.Checks[i].Name != given.Checks[i].Name || rep.Checks[i].Status != given.Checks[i].Status {
			t.Errorf("check %d: decoded %s %s, given %s %s", i, rep.Checks[i].Name, rep.Checks[i].Status, given.Checks[i].Name, given.Checks[i].Status)
		}
	}
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
		t.Errorf("mrz.read of the decoded capture: %s%s", s, explain(rep))
	}
	var decodeStage *pipeline.Stage
	for i := range rep.Stages {
		if rep.Stages[i].Name == "decode" {
			decodeStage = &rep.Stages[i]
		}
	}
	if decodeStage == nil || decodeStage.Status != pipeline.StageDone || decodeStage.MS <= 0 {
		t.Errorf("decode stage: %+v in %+v", decodeStage, rep.Stages)
	}
	for _, s := range given.Stages {
		if s.Name == "decode" {
			t.Errorf("a given capture reports a decode stage: %+v", s)
		}
	}
}

// TestUndecodableCaptureIsBadInput: a capture that cannot be made fails
// the verification as the caller's fault, after the finger search it
// started has stopped.
func TestUndecodableCaptureIsBadInput(t *testing.T) {
	setup(t)
	g, gen := smallGallery(t, 50)
	tm := gen.Template()
	data, _ := native.Encode(&tm)
	p := newPipeline(t, pipeline.Watchlists{Fingerprints: g}, pipeline.Limits{})
	for name, decode := range map[string]func(context.Context) (*devices.Capture, error){
		"error":    func(context.Context) (*devices.Capture, error) { return nil, errors.New("png: invalid format") },
		"nil":      func(context.Context) (*devices.Capture, error) { return nil, nil },
		"unusable": func(context.Context) (*devices.Capture, error) { return &devices.Capture{PPI: 300}, nil },
	} {
		rep, err := p.Verify(context.Background(), pipeline.Request{Fingers: []pipeline.Finger{{Data: data}}, Decode: decode})
		if !errors.Is(err, pipeline.ErrBadInput) || rep != nil {
			t.Errorf("%s: %v, report %v", name, err, rep != nil)
		}
		if name == "error" && !strings.Contains(err.Error(), "png: invalid format") {
			t.Errorf("the decoder's error is lost: %v", err)
		}
	}
	// A decoder alone (no finger) is a request too.
	c := render(t, 9601, "none")
	rep := verify(t, p, pipeline.Request{Decode: func(context.Context) (*devices.Capture, error) { return c, nil }})
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
		t.Errorf("capture only, decoded: mrz.read %s", s)
	}
}
