package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"checkpost/engine/docauth"
	"checkpost/internal/tesseract"
	"checkpost/mrz"
	"checkpost/mrz/ocr/viz"
)

// VIZReader reads the printed fields of the visual inspection zone
// (*viz.Reader is one: Tesseract, in this process).
type VIZReader interface {
	ReadFields(ctx context.Context, fields []viz.Field) ([]viz.Reading, error)
	ReadPage(ctx context.Context, page viz.Page) ([]viz.Reading, error)
}

// VIZ configures the reading of the printed fields, which the document
// stage runs beside its other checks once the page is registered to its
// profile. With a nil Reader the printed fields are not read and
// viz.mrz.consistency is NOT_PERFORMED.
type VIZ struct {
	Reader VIZReader
	// Limit bounds the reading of a known model's fields (0:
	// DefaultVIZLimit). When it runs out, the fields read by then are
	// compared; with none, the check is NOT_PERFORMED with the reason.
	Limit time.Duration
	// PageLimit bounds the reading of a whole page when no profile fits
	// (0: DefaultVIZPageLimit; negative: pages are not read). A page
	// takes Tesseract about a second and holds one of its engines.
	PageLimit time.Duration
	// Concurrent is how many verifications read their printed fields at
	// once (default 1: one verification's fields already spread over
	// every engine of the reader). A reading waiting for its turn is not
	// yet timed: with several counters, readings queued behind each
	// other for the reader's engines ran out of their time limit, and a
	// field-altered document then had viz.mrz.consistency NOT_PERFORMED
	// instead of FAIL. The wait is still bounded by the document
	// stage's limit.
	Concurrent int
}

// DefaultVIZLimit and DefaultVIZPageLimit are the VIZ time limits. Nine
// fields take about 200 ms on one core of the 2-core reference machine
// (two engines read at once).
const (
	DefaultVIZLimit     = 400 * time.Millisecond
	DefaultVIZPageLimit = 2 * time.Second
)

// vizRun adapts the VIZ reader to docauth for one verification, under the
// limits, and records the stage.
type vizRun struct {
	cfg   VIZ
	slots chan struct{} // the pipeline's turns to read (nil: no waiting)
	mu    sync.Mutex
	stage *Stage
}

func (p *Pipeline) vizRun() *vizRun {
	if p.cfg.VIZ.Reader == nil {
		return nil
	}
	cfg := p.cfg.VIZ
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultVIZLimit
	}
	if cfg.PageLimit == 0 {
		cfg.PageLimit = DefaultVIZPageLimit
	}
	return &vizRun{cfg: cfg, slots: p.vizSlots}
}

// DocauthVIZReader adapts a VIZ configuration to docauth (for tools that
// call docauth without a pipeline, such as the evaluation); nil when
// there is no reader.
func DocauthVIZReader(v VIZ) docauth.VIZReader {
	p := &Pipeline{cfg: Config{VIZ: v}}
	return p.vizRun().reader()
}

// reader returns the docauth side of the run (nil when there is none, so
// that docauth sees a nil interface).
func (v *vizRun) reader() docauth.VIZReader {
	if v == nil {
		return nil
	}
	return v
}

// ReadFields implements docauth.VIZReader.
func (v *vizRun) ReadFields(ctx context.Context, fields []docauth.FieldImage) ([]docauth.Reading, error) {
	in := make([]viz.Field, len(fields))
	for i, f := range fields {
		in[i] = viz.Field{Name: f.Name, Image: f.Image, Alt: f.IR}
	}
	return v.run(ctx, "viz", v.cfg.Limit, func(ctx context.Context) ([]viz.Reading, error) {
		return v.cfg.Reader.ReadFields(ctx, in)
	})
}

// ReadPage implements docauth.VIZReader.
func (v *vizRun) ReadPage(ctx context.Context, pg docauth.PageImage) ([]docauth.Reading, error) {
	if v.cfg.PageLimit < 0 {
		v.record(Stage{Name: "viz", Status: StageSkipped})
		return nil, errors.New("whole pages are not read at the counter (no profile gives the fields' places)")
	}
	page := viz.Page{Image: pg.Image, Bottom: pg.MRZTop, Hint: mrzHints(pg.MRZ)}
	return v.run(ctx, "viz", v.cfg.PageLimit, func(ctx context.Context) ([]viz.Reading, error) {
		return v.cfg.Reader.ReadPage(ctx, page)
	})
}

func (v *vizRun) run(ctx context.Context, name string, limit time.Duration, fn func(ctx context.Context) ([]viz.Reading, error)) ([]docauth.Reading, error) {
	release := func() {}
	if v.slots != nil {
		if err := acquire(ctx, v.slots); err != nil {
			v.record(Stage{Name: name, Status: StageFailed, Error: "waiting for the reader: " + err.Error()})
			return nil, fmt.Errorf("waiting for the reader: %w (%w)", err, docauth.ErrVIZCutShort)
		}
		release = sync.OnceFunc(func() { <-v.slots })
	}
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, limit, errTimeout)
	defer cancel()
	// The turn ends with the limit even if the reader does not return.
	stop := context.AfterFunc(ctx, release)
	rs, err := fn(ctx)
	stop()
	release()
	st := Stage{Name: name, Status: StageDone, MS: ms(time.Since(start)), Duration: time.Since(start)}
	if err != nil {
		st.Status, st.Error = StageFailed, err.Error()
		switch {
		case errors.Is(err, errTimeout):
			st.Status, st.Error = StageTimeout, fmt.Sprintf("time limit of %s reached", limit)
			err = fmt.Errorf("time limit of %s reached after %d field(s) read: %w", limit, len(rs), docauth.ErrVIZCutShort)
		case errors.Is(err, tesseract.ErrDeadline), errors.Is(err, viz.ErrTimeLimit):
			// A field's own deadline, or the reader's: out of time as well.
			err = fmt.Errorf("%w (%w)", err, docauth.ErrVIZCutShort)
		}
	}
	v.record(st)
	out := make([]docauth.Reading, len(rs))
	for i, r := range rs {
		// docauth reads a confidence of 0 as "unknown" (typed in): an
		// OCR reading is never that sure of nothing.
		out[i] = docauth.Reading{Field: r.Field, Text: r.Text, Confidence: max(r.Confidence, 0.001), Chars: r.Chars}
	}
	return out, err
}

func (v *vizRun) record(st Stage) {
	v.mu.Lock()
	v.stage = &st
	v.mu.Unlock()
}

// addStage reports the reading's stage (skipped when nothing was read).
func (v *vizRun) addStage(add func(Stage)) {
	if v == nil {
		add(Stage{Name: "viz", Status: StageSkipped})
		return
	}
	v.mu.Lock()
	st := v.stage
	v.mu.Unlock()
	if st == nil {
		add(Stage{Name: "viz", Status: StageSkipped})
		return
	}
	add(*st)
}

// mrzHints are the MRZ's values a page of unknown layout is searched
// for.
func mrzHints(r *mrz.Result) map[string]string {
	if r == nil {
		return nil
	}
	h := map[string]string{}
	for name, f := range map[string]mrz.FieldName{"surname": mrz.Surname, "given_names": mrz.GivenNames, "document_number": mrz.DocumentNumber} {
		if v := r.Value(f); v != "" {
			h[name] = v
		}
	}
	return h
}

// readings converts docauth's readings for the report ("viz": field,
// text, confidence), never nil.
func vizReadings(rs []docauth.Reading) []VIZReading {
	out := make([]VIZReading, 0, len(rs))
	for _, r := range rs {
		out = append(out, VIZReading{Field: r.Field, Text: r.Text, Confidence: round3(r.Confidence)})
	}
	return out
}

// VIZReading is a printed field as read, in the report.
type VIZReading struct {
	Field      string  `json:"field"`
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
}

func round3(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 3, 64), 64)
	return f
}
