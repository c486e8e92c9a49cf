package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth"
	"checkpost/engine/docauth/profile"
	"checkpost/engine/pipeline"
	"checkpost/internal/shareddata"
	"checkpost/mrz/ocr/viz"
)

var (
	vizOnce   sync.Once
	vizReader *viz.Reader
	vizErr    error
)

// tesseract returns the shared printed-field reader, or skips the test
// where Tesseract's English data is not installed.
func tesseract(t *testing.T) *viz.Reader {
	t.Helper()
	vizOnce.Do(func() {
		vizReader = viz.New(viz.Options{})
		vizErr = vizReader.Warm(context.Background())
	})
	if vizErr != nil {
		t.Skipf("Tesseract: %v", vizErr)
	}
	return vizReader
}

func vizPipeline(t *testing.T, r pipeline.VIZReader, limit time.Duration) *pipeline.Pipeline {
	t.Helper()
	setup(t)
	return pipeline.New(pipeline.Config{Reader: reader,
		Documents: pipeline.Documents{Checker: checker, Profiles: []pipeline.ProfileVersion{{ID: "uto-passport", Revision: 1}}},
		VIZ:       pipeline.VIZ{Reader: r, Limit: limit}})
}

func TestPrintedFieldsAreReadAtTheCounter(t *testing.T) {
	p := vizPipeline(t, tesseract(t), 5*time.Second)
	pass := 0
	for seed := uint64(31); seed < 37; seed++ {
		rep := verify(t, p, pipeline.Request{Capture: render(t, seed, "none")})
		ck := rep.Check(docauth.CheckVIZ)
		if ck.Status == engine.Fail {
			t.Errorf("genuine seed %d: %s", seed, ck.Reason)
		}
		if ck.Status == engine.Pass {
			pass++
		}
		if len(rep.VIZ) < 5 {
			t.Errorf("genuine seed %d: %d fields read: %+v", seed, len(rep.VIZ), rep.VIZ)
		}
		b, _ := json.Marshal(rep)
		var obj struct {
			VIZ []map[string]any `json:"viz"`
		}
		if err := json.Unmarshal(b, &obj); err != nil || len(obj.VIZ) != len(rep.VIZ) {
			t.Fatalf("report part viz: %v %s", err, b)
		}
		for _, f := range obj.VIZ {
			for _, k := range []string{"field", "text", "confidence"} {
				if _, ok := f[k]; !ok {
					t.Errorf("viz reading without %q: %v", k, f)
				}
			}
		}
		if !hasStage(rep, "viz", pipeline.StageDone) {
			t.Errorf("seed %d: stages %+v", seed, rep.Stages)
		}
	}
	if pass < 5 {
		t.Errorf("viz.mrz.consistency passed %d of 6 genuine passports", pass)
	}
	detected := 0
	for seed := uint64(41); seed < 47; seed++ {
		c := render(t, seed, "field-altered")
		rep := verify(t, p, pipeline.Request{Capture: c})
		ck := rep.Check(docauth.CheckVIZ)
		if ck.Status == engine.Fail {
			detected++
			if !strings.Contains(ck.Reason, c.Truth.Mismatched[0]) {
				t.Errorf("seed %d: altered %s, reason %s", seed, c.Truth.Mismatched[0], ck.Reason)
			}
		} else {
			t.Logf("field-altered seed %d (%s) not detected: %s %s; read %+v", seed, c.Truth.Mismatched, ck.Status, ck.Reason, rep.VIZ)
		}
	}
	if detected < 5 {
		t.Errorf("viz.mrz.consistency failed %d of 6 passports with an altered printed field", detected)
	}
}

func hasStage(rep *pipeline.Report, name, status string) bool {
	for _, s := range rep.Stages {
		if s.Name == name && s.Status == status {
			return true
		}
	}
	return false
}

// stuckVIZ reads nothing until its context ends.
type stuckVIZ struct{}

func (stuckVIZ) ReadFields(ctx context.Context, _ []viz.Field) ([]viz.Reading, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

func (stuckVIZ) ReadPage(ctx context.Context, _ viz.Page) ([]viz.Reading, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

// TestPrintedFieldsOutOfTimeAreAborted: a reading that runs out of its
// time leaves viz.mrz.consistency ABORTED, which the default policy
// refers: an altered printed field must not pass as CLEAR because the
// reader was late. The capture is genuine: an altered date or number
// would FAIL by the model's glyphs, which need no reading (docauth's
// glyphs.go).
func TestPrintedFieldsOutOfTimeAreAborted(t *testing.T) {
	p := vizPipeline(t, stuckVIZ{}, 50*time.Millisecond)
	start := time.Now()
	rep := verify(t, p, pipeline.Request{Capture: render(t, 51, "none")})
	ck := rep.Check(docauth.CheckVIZ)
	if ck.Status != engine.Aborted || !strings.Contains(ck.Reason, "time limit") {
		t.Errorf("reading out of time: %s %s", ck.Status, ck.Reason)
	}
	if rep.Recommendation == engine.Clear {
		t.Errorf("recommendation %s with the printed fields unread", rep.Recommendation)
	}
	if !hasStage(rep, "viz", pipeline.StageTimeout) {
		t.Errorf("stages %+v", rep.Stages)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("verification took %s", d)
	}
	if rep.VIZ == nil {
		t.Error("report part viz is nil, want []")
	}
}

func TestRealSpecimenPrintedFields(t *testing.T) {
	r := tesseract(t)
	setup(t)
	c, err := devices.Load(shareddata.Path(t, "scanner/de-specimen"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../docauth/testdata/de-specimen-regions.json")
	if err != nil {
		t.Fatal(err)
	}
	var regs map[string][]profile.Region
	if err := json.Unmarshal(data, &regs); err != nil {
		t.Fatal(err)
	}
	prof, err := docauth.Learn(context.Background(), []*devices.Capture{c}, docauth.LearnOptions{ID: "de-passport", Issuer: "D",
		DocumentCodes: []string{"P", "PO"}, MRZFormat: "TD3", Regions: regs})
	if err != nil {
		t.Fatal(err)
	}
	ck, err := docauth.NewChecker([]*profile.Profile{prof})
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline.New(pipeline.Config{Reader: reader, Documents: pipeline.Documents{Checker: ck}, VIZ: pipeline.VIZ{Reader: r, Limit: 5 * time.Second}})
	rep := verify(t, p, pipeline.Request{Capture: c})
	v := rep.Check(docauth.CheckVIZ)
	t.Logf("%s: %s; read %+v", v.Status, v.Reason, rep.VIZ)
	if v.Status != engine.Pass {
		t.Errorf("de-specimen: %s %s", v.Status, v.Reason)
	}
}

// oneEngineVIZ reads like a reader with a single engine that takes its
// time per call, and reads every field as printed.
type oneEngineVIZ struct {
	mu      sync.Mutex
	took    time.Duration
	printed map[string]string
}

func (r *oneEngineVIZ) ReadFields(ctx context.Context, fields []viz.Field) ([]viz.Reading, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-time.After(r.took):
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	var out []viz.Reading
	for _, f := range fields {
		if v, ok := r.printed[f.Name]; ok {
			out = append(out, viz.Reading{Field: f.Name, Text: v, Confidence: 0.9})
		}
	}
	return out, nil
}

func (r *oneEngineVIZ) ReadPage(ctx context.Context, _ viz.Page) ([]viz.Reading, error) {
	return nil, errors.New("no page reading here")
}

// TestPrintedFieldsWaitForTheReaderUntimed: verifications that come
// together wait their turn for the reader before their time limit starts,
// so an altered printed field still fails viz.mrz.consistency at every
// counter (it was NOT_PERFORMED, out of time, behind the others'
// readings).
func TestPrintedFieldsWaitForTheReaderUntimed(t *testing.T) {
	setup(t)
	c := render(t, 52, "field-altered")
	r := &oneEngineVIZ{took: 250 * time.Millisecond, printed: map[string]string{}}
	for _, f := range c.Truth.Fields {
		r.printed[f.Name] = f.Value
	}
	p := pipeline.New(pipeline.Config{Reader: reader, Workers: 4,
		Documents: pipeline.Documents{Checker: checker, Profiles: []pipeline.ProfileVersion{{ID: "uto-passport", Revision: 1}}},
		VIZ:       pipeline.VIZ{Reader: r, Limit: 400 * time.Millisecond}})
	const counters = 3
	reps := make([]*pipeline.Report, counters)
	var wg sync.WaitGroup
	for i := range counters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := p.Verify(context.Background(), pipeline.Request{Capture: c})
			if err != nil {
				t.Error(err)
				return
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	for i, rep := range reps {
		if rep == nil {
			continue
		}
		if ck := rep.Check(docauth.CheckVIZ); ck.Status != engine.Fail {
			t.Errorf("counter %d: altered %v, viz.mrz.consistency %s: %s", i, c.Truth.Mismatched, ck.Status, ck.Reason)
		}
		if !hasStage(rep, "viz", pipeline.StageDone) {
			t.Errorf("counter %d: stages %+v", i, rep.Stages)
		}
	}
}
