package pipeline_test

import (
	"context"
	"errors"
	"image"
	"sync"
	"testing"
	"time"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/pipeline"
	"checkpost/mrz/ocr"
)

// recordingReader records what the MRZ reader was given.
type recordingReader struct {
	*ocr.Reader
	mu    sync.Mutex
	reads []*devices.Capture
	// irOnly is closed on the first read of a capture holding nothing but
	// an IR image.
	irOnly chan struct{}
	once   sync.Once
}

func (r *recordingReader) ReadCapture(ctx context.Context, c *devices.Capture, opts ...ocr.ReadOption) (*ocr.Result, error) {
	r.mu.Lock()
	r.reads = append(r.reads, c)
	r.mu.Unlock()
	if c.White == nil && c.UV == nil && c.IR != nil && c.Back == nil {
		r.once.Do(func() { close(r.irOnly) })
	}
	return r.Reader.ReadCapture(ctx, c, opts...)
}

func (r *recordingReader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reads)
}

func recordingPipeline(t *testing.T) (*pipeline.Pipeline, *recordingReader) {
	t.Helper()
	setup(t)
	rr := &recordingReader{Reader: reader, irOnly: make(chan struct{})}
	p := pipeline.New(pipeline.Config{Reader: rr,
		Documents: pipeline.Documents{Checker: checker, Profiles: []pipeline.ProfileVersion{{ID: "uto-passport", Revision: 1}}}})
	return p, rr
}

func sameOutcome(t *testing.T, got, want *pipeline.Report) {
	t.Helper()
	if got.Recommendation != want.Recommendation || len(got.Checks) != len(want.Checks) {
		t.Fatalf("early: %s, %d checks; given capture: %s, %d checks%s", got.Recommendation, len(got.Checks), want.Recommendation, len(want.Checks), explain(got))
	}
	for i := range got.Checks {
		if got.Checks[i].Name != want.Checks[i].Name || got.Checks[i].Status != want.Checks[i].Status {
			t.Errorf("check %d: early %s %s, given capture %s %s", i, got.Checks[i].Name, got.Checks[i].Status, want.Checks[i].Name, want.Checks[i].Status)
		}
	}
	g, w := got.MRZResult(), want.MRZResult()
	if g == nil || w == nil || g.Lines != w.Lines || got.MRZ.Light != want.MRZ.Light || got.MRZ.Quad != want.MRZ.Quad {
		t.Errorf("MRZ read early %v (%s), from the capture %v (%s)", g, got.MRZ.Light, w, want.MRZ.Light)
	}
}

// TestEarlyIRReadsTheMRZWhileTheCaptureIsDecoded: with EarlyIR the MRZ is
// read from the IR image before the capture is complete (the decoder
// below waits for that read), once, and the verification comes out as
// with the capture given.
func TestEarlyIRReadsTheMRZWhileTheCaptureIsDecoded(t *testing.T) {
	p, rr := recordingPipeline(t)
	c := render(t, 9610, "none")
	rep := verify(t, p, pipeline.Request{
		EarlyIR: func(context.Context) (*image.Gray, error) { return c.IR, nil },
		Decode: func(context.Context) (*devices.Capture, error) {
			select {
			case <-rr.irOnly:
				return c, nil
			case <-time.After(20 * time.Second):
				return nil, errors.New("the MRZ was not read from the IR image while the capture was decoded")
			}
		},
	})
	if n := rr.count(); n != 1 {
		t.Errorf("the MRZ reader was called %d times, want once", n)
	}
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
		t.Fatalf("mrz.read %s%s", s, explain(rep))
	}
	if rep.MRZ.Light != devices.IR || rep.MRZ.Side != "front" {
		t.Errorf("read under %s on the %s side, want IR, front", rep.MRZ.Light, rep.MRZ.Side)
	}
	sameOutcome(t, rep, verify(t, p, pipeline.Request{Capture: c}))
}

// TestEarlyIRWithoutAValidReadingReadsTheCapture: an IR image that gives
// no valid MRZ (here a blank one: an IR-transparent MRZ ink) is not the
// answer: the whole capture is read, as without EarlyIR, and its white
// light gives the MRZ.
func TestEarlyIRWithoutAValidReadingReadsTheCapture(t *testing.T) {
	p, rr := recordingPipeline(t)
	c := render(t, 9611, "none")
	blank := image.NewGray(c.IR.Bounds())
	for i := range blank.Pix {
		blank.Pix[i] = 230
	}
	c.IR = blank
	rep := verify(t, p, pipeline.Request{
		EarlyIR: func(context.Context) (*image.Gray, error) { return blank, nil },
		Decode:  func(context.Context) (*devices.Capture, error) { return c, nil },
	})
	if n := rr.count(); n != 2 {
		t.Errorf("the MRZ reader was called %d times, want twice (IR alone, then the capture)", n)
	}
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass || rep.MRZ.Light != devices.White {
		t.Fatalf("mrz.read %s under %s, want PASS under white%s", s, rep.MRZ.Light, explain(rep))
	}
	var mrzStages int
	for _, s := range rep.Stages {
		if s.Name == "mrz" {
			mrzStages++
		}
	}
	if mrzStages != 1 {
		t.Errorf("%d mrz stages reported", mrzStages)
	}
	sameOutcome(t, rep, verify(t, p, pipeline.Request{Capture: c}))
}

// TestEarlyIRErrorLeavesItToTheCapture: an IR image that cannot be made
// early is no reading: the capture is decoded and read as usual, and a
// capture that cannot be made is still the caller's fault.
func TestEarlyIRErrorLeavesItToTheCapture(t *testing.T) {
	p, rr := recordingPipeline(t)
	c := render(t, 9612, "none")
	fail := func(context.Context) (*image.Gray, error) { return nil, errors.New("png: invalid format") }
	rep := verify(t, p, pipeline.Request{EarlyIR: fail, Decode: func(context.Context) (*devices.Capture, error) { return c, nil }})
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass || rr.count() != 1 {
		t.Errorf("mrz.read %s after %d reads", s, rr.count())
	}
	_, err := p.Verify(context.Background(), pipeline.Request{EarlyIR: fail,
		Decode: func(context.Context) (*devices.Capture, error) { return nil, errors.New("png: invalid format") }})
	if !errors.Is(err, pipeline.ErrBadInput) {
		t.Errorf("undecodable capture: %v", err)
	}
	none := func(context.Context) (*image.Gray, error) { return nil, nil }
	rep = verify(t, p, pipeline.Request{EarlyIR: none, Decode: func(context.Context) (*devices.Capture, error) { return c, nil }})
	if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
		t.Errorf("no IR image early: mrz.read %s", s)
	}
}

// TestDecodePanicReachesTheCaller: Decode runs in a goroutine of its own;
// its panic still reaches Verify's caller (the server's recoverer), not
// the end of the process.
func TestDecodePanicReachesTheCaller(t *testing.T) {
	p, _ := recordingPipeline(t)
	defer func() {
		if r := recover(); r != "decoder bug" {
			t.Errorf("recovered %v", r)
		}
	}()
	p.Verify(context.Background(), pipeline.Request{Decode: func(context.Context) (*devices.Capture, error) { panic("decoder bug") }})
	t.Error("Verify returned")
}

// TestDecodesAreBounded: no more captures are decoded at once than the
// pipeline has workers; the others wait their turn (their decode stage
// does not count the wait).
func TestDecodesAreBounded(t *testing.T) {
	setup(t)
	p := pipeline.New(pipeline.Config{Reader: reader, Workers: 1,
		Documents: pipeline.Documents{Checker: checker, Profiles: []pipeline.ProfileVersion{{ID: "uto-passport", Revision: 1}}}})
	c := render(t, 9613, "none")
	var mu sync.Mutex
	inFlight, peak := 0, 0
	decode := func(context.Context) (*devices.Capture, error) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		return c, nil
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := p.Verify(context.Background(), pipeline.Request{Decode: decode,
				EarlyIR: func(context.Context) (*image.Gray, error) { return c.IR, nil }})
			if err != nil {
				t.Error(err)
				return
			}
			if s := status(t, rep, pipeline.CheckMRZRead); s != engine.Pass {
				t.Errorf("mrz.read %s", s)
			}
		}()
	}
	wg.Wait()
	if peak != 1 {
		t.Errorf("%d captures decoded at once with one worker", peak)
	}
	// A verification whose context ends while it waits for its turn
	// returns the context's error.
	busy := make(chan struct{})
	release := make(chan struct{})
	go p.Verify(context.Background(), pipeline.Request{Decode: func(context.Context) (*devices.Capture, error) {
		close(busy)
		<-release
		return c, nil
	}})
	<-busy
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := p.Verify(ctx, pipeline.Request{Decode: decode}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past its deadline: %v", err)
	}
	close(release)
}
