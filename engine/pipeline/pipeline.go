package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"checkpost/biometric"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth"
	"checkpost/engine/watchlist"
	"checkpost/mrz/ocr"
)

// MRZReader finds and reads the machine readable zone of a capture: the
// front (then the back) under IR, then white light (*ocr.Reader is one).
type MRZReader interface {
	// Ready returns nil once the reader can read (ocr.ErrLoading while its
	// classifier loads).
	Ready(ctx context.Context) error
	ReadCapture(ctx context.Context, c *devices.Capture, opts ...ocr.ReadOption) (*ocr.Result, error)
}

// DocumentChecker authenticates a capture against the document profiles
// (*docauth.Checker is one).
type DocumentChecker interface {
	Check(ctx context.Context, in docauth.Input) (*docauth.Result, error)
}

// FingerprintGallery is the 1:N fingerprint watchlist
// (*biometric/watchlist.Gallery is one).
type FingerprintGallery interface {
	Search(ctx context.Context, probes []fpwatch.Probe, opt fpwatch.SearchOptions) (*fpwatch.Result, error)
	Len() int
}

// Watchlists are the lists a verification is screened against. A nil
// list is not searched (its check is NOT_PERFORMED).
type Watchlists struct {
	Documents    watchlist.DocumentList
	Persons      watchlist.PersonList
	Fingerprints FingerprintGallery
	// Versions identify the lists in reports.
	Versions []ListVersion
}

// ListVersion identifies the state of one watchlist that a verification
// was screened against.
type ListVersion struct {
	// List is "documents", "persons" or "fingerprints".
	List string `json:"list"`
	// Entries is the number of documents, persons or templates.
	Entries int `json:"entries"`
	// Version changes whenever the list does (the store's change marker).
	Version  string    `json:"version"`
	LoadedAt time.Time `json:"loaded_at,omitzero"`
}

// ProfileVersion identifies a document profile.
type ProfileVersion struct {
	ID       string `json:"id"`
	Revision int    `json:"revision"`
}

// Documents is the document checker with the profiles it holds.
type Documents struct {
	Checker  DocumentChecker
	Profiles []ProfileVersion
}

// Limits are the time limits of the stages. A stage waiting for a slot of
// the image pool is not yet running: the wait does not count.
type Limits struct {
	MRZ          time.Duration
	Document     time.Duration
	Fingerprints time.Duration
	DocumentList time.Duration
	PersonList   time.Duration
}

// DefaultLimits are generous on this project's 2-core reference machine:
// a stage normally takes a tenth of its limit.
var DefaultLimits = Limits{
	MRZ:          5 * time.Second,
	Document:     10 * time.Second,
	Fingerprints: 10 * time.Second,
	DocumentList: 2 * time.Second,
	PersonList:   2 * time.Second,
}

// DefaultFingerprintFPIR is the false-positive identification rate a
// fingerprint hit is held to: a candidate is a hit when the number of
// unrelated templates expected to score as high by chance (its FMR times
// the templates searched) is at most this.
const DefaultFingerprintFPIR = 0.01

// Config sets up a Pipeline.
type Config struct {
	// Reader reads the MRZ (required when captures are verified).
	Reader MRZReader
	// Documents checks the document (nil Checker: a checker without
	// profiles, which runs the profile-free checks).
	Documents Documents
	// Watchlists are the lists to screen against.
	Watchlists Watchlists
	// Policy decides (nil: engine.DefaultPolicy).
	Policy *engine.Policy
	// Limits of the stages (zero fields: DefaultLimits).
	Limits Limits
	// Workers is the number of image stages that run at once, across all
	// verifications, and of captures decoded at once (default
	// GOMAXPROCS).
	Workers int
	// Searches is the number of fingerprint 1:N searches that run at once
	// (default 1): each search already spreads over every core, so more at
	// once only makes each slower, until all run out of time together.
	Searches int
	// FingerprintFPIR is the hit rule (0: DefaultFingerprintFPIR).
	FingerprintFPIR float64
	// FingerprintCandidates is how many candidates a report lists
	// (default 3), hits or not.
	FingerprintCandidates int
	// FingerprintMode is the 1:N search mode (default two-stage).
	FingerprintMode fpwatch.Mode
	// VIZ reads the printed fields for viz.mrz.consistency (see viz.go).
	VIZ VIZ
}

// Pipeline runs verifications. It is safe for concurrent use; the
// documents and watchlists can be replaced while it runs (SetDocuments,
// SetWatchlists): a verification uses the ones it started with.
type Pipeline struct {
	cfg      Config
	slots    chan struct{} // image stages
	searches chan struct{} // fingerprint searches
	vizSlots chan struct{} // printed-field readings
	decodes  chan struct{} // captures being decoded
	docs     atomic.Pointer[Documents]
	lists    atomic.Pointer[Watchlists]
}

// New returns a pipeline.
func New(cfg Config) *Pipeline {
	if cfg.Policy == nil {
		cfg.Policy = engine.DefaultPolicy()
	}
	d := DefaultLimits
	for _, l := range []struct{ v, def *time.Duration }{{&cfg.Limits.MRZ, &d.MRZ}, {&cfg.Limits.Document, &d.Document},
		{&cfg.Limits.Fingerprints, &d.Fingerprints}, {&cfg.Limits.DocumentList, &d.DocumentList}, {&cfg.Limits.PersonList, &d.PersonList}} {
		if *l.v <= 0 {
			*l.v = *l.def
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Searches <= 0 {
		cfg.Searches = 1
	}
	if cfg.FingerprintFPIR <= 0 {
		cfg.FingerprintFPIR = DefaultFingerprintFPIR
	}
	if cfg.FingerprintCandidates <= 0 {
		cfg.FingerprintCandidates = 3
	}
	if cfg.VIZ.Concurrent <= 0 {
		cfg.VIZ.Concurrent = 1
	}
	p := &Pipeline{cfg: cfg, slots: make(chan struct{}, cfg.Workers), searches: make(chan struct{}, cfg.Searches),
		vizSlots: make(chan struct{}, cfg.VIZ.Concurrent), decodes: make(chan struct{}, cfg.Workers)}
	p.SetDocuments(cfg.Documents)
	p.SetWatchlists(cfg.Watchlists)
	return p
}

// SetDocuments replaces the document checker and its profiles.
func (p *Pipeline) SetDocuments(d Documents) {
	if d.Checker == nil {
		ck, _ := docauth.NewChecker(nil)
		d.Checker = ck
	}
	p.docs.Store(&d)
}

// SetWatchlists replaces the watchlists.
func (p *Pipeline) SetWatchlists(w Watchlists) { p.lists.Store(&w) }

// Watchlists returns the watchlists in use.
func (p *Pipeline) Watchlists() Watchlists { return *p.lists.Load() }

// Policy returns the policy in use.
func (p *Pipeline) Policy() *engine.Policy { return p.cfg.Policy }

// Ready reports whether the MRZ reader is ready (for /readyz).
func (p *Pipeline) Ready(ctx context.Context) error {
	if p.cfg.Reader == nil {
		return errors.New("pipeline: no MRZ reader")
	}
	return p.cfg.Reader.Ready(ctx)
}

// EvidenceMode says which evidence images a verification keeps.
type EvidenceMode int

// The evidence modes.
const (
	// NoEvidence: no images (the fastest).
	NoEvidence EvidenceMode = iota
	// FailedEvidence: the images of checks that did not pass (what a
	// reviewer looks at), and the MRZ zone.
	FailedEvidence
	// AllEvidence: the images of every check.
	AllEvidence
)

// Request is one verification.
type Request struct {
	// Capture is the document as scanned (nil: no document, fingers only).
	Capture *devices.Capture
	// Decode, when Capture is nil, makes the capture from what was
	// submitted (e.g. decodes its PNGs, tens of milliseconds for three
	// 300-ppi lights). Verify calls it after starting the fingers, so
	// that their extraction and search do not wait for it. Its error
	// makes Verify return ErrBadInput.
	Decode func(ctx context.Context) (*devices.Capture, error)
	// EarlyIR, with Decode, gives the front's IR image alone (it may
	// block until that image is decoded; nil, nil when there is none).
	// A gray IR image decodes in a fraction of the time of the white
	// one, so the MRZ is read from it while Decode finishes the capture.
	// It must be the very image Decode puts in Capture.IR. The MRZ
	// reader takes a valid reading of the front under IR before any
	// other, so that reading is kept; any other outcome is read again
	// from the whole capture, as without EarlyIR.
	EarlyIR func(ctx context.Context) (*image.Gray, error)
	// Fingers are the traveller's fingers.
	Fingers []Finger
	// Evidence says which evidence images to make.
	Evidence EvidenceMode
}

// Finger is one submitted finger: an image or a minutiae template.
type Finger struct {
	// Position is the finger's position (0 when unknown; a template's own
	// position is used then).
	Position biometric.Position
	// Data is a finger image (PNG, BMP, TIFF, JPEG, PGM, WSQ) or a
	// template (ISO/IEC 19794-2, ANSI INCITS 378, checkpost native).
	Data []byte
	// PPI is the image's resolution when the file states none (0: 500).
	PPI float64
}

// ErrBadInput wraps errors about a request that cannot be verified at all
// (no capture and no finger, images of one side not registered): the
// caller's fault, not the pipeline's.
var ErrBadInput = errors.New("pipeline: unusable input")

// Verify runs one verification. It returns an error only for unusable
// input (ErrBadInput) or when ctx ends; whatever a stage does, the others
// are reported.
func (p *Pipeline) Verify(ctx context.Context, req Request) (*Report, error) {
	start := time.Now()
	if req.Capture == nil && req.Decode == nil && len(req.Fingers) == 0 {
		return nil, fmt.Errorf("%w: no document image and no finger", ErrBadInput)
	}
	if req.Capture != nil {
		if err := req.Capture.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
	}
	docs, lists := p.docs.Load(), p.lists.Load()
	rep := &Report{Watchlist: WatchlistReport{Documents: []DocumentHit{}, Persons: []PersonHit{}}}
	rep.Versions = Versions{Policy: p.cfg.Policy.Version, Profiles: docs.Profiles, Watchlists: lists.Versions}
	if rep.Versions.Profiles == nil {
		rep.Versions.Profiles = []ProfileVersion{}
	}
	if rep.Versions.Watchlists == nil {
		rep.Versions.Watchlists = []ListVersion{}
	}

	var mu sync.Mutex // guards rep.Stages
	addStage := func(s Stage) {
		mu.Lock()
		rep.Stages = append(rep.Stages, s)
		mu.Unlock()
	}

	// Fingerprints need nothing else: they start at once, before the
	// capture is decoded.
	var wg sync.WaitGroup
	var fpCheck engine.Check
	fpCtx, cancelFingers := context.WithCancel(ctx)
	defer cancelFingers()
	fpReq := req
	wg.Add(1)
	go func() {
		defer wg.Done()
		fpCheck = p.fingerprints(fpCtx, fpReq, lists, &rep.Watchlist.Fingerprints, addStage)
	}()
	var early *earlyMRZ
	if req.Capture == nil && req.Decode != nil {
		// At most Workers captures are decoded at once: with many
		// counters, all decoding at once made every decode as slow as
		// all of them together, and the stages behind waited for all.
		if err := acquire(ctx, p.decodes); err != nil {
			cancelFingers()
			wg.Wait()
			return nil, err
		}
		type decoded struct {
			c     *devices.Capture
			err   error
			d     time.Duration
			panic any
		}
		done := make(chan decoded, 1)
		go func() {
			start := time.Now()
			defer func() {
				<-p.decodes
				// A panic goes on in the caller's goroutine, as when
				// Decode ran there.
				if r := recover(); r != nil {
					done <- decoded{panic: r}
				}
			}()
			c, err := req.Decode(ctx)
			done <- decoded{c, err, time.Since(start), nil}
		}()
		if req.EarlyIR != nil {
			early = p.readEarlyMRZ(ctx, req)
		}
		d := <-done
		if d.panic != nil {
			panic(d.panic)
		}
		c, err := d.c, d.err
		addStage(Stage{Name: "decode", Status: StageDone, MS: ms(d.d), Duration: d.d})
		if err == nil && c == nil {
			err = errors.New("no capture made")
		}
		if err == nil {
			err = c.Validate()
		}
		if err != nil {
			cancelFingers()
			wg.Wait()
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		req.Capture = c
	}

	// The MRZ, then what needs it, side by side.
	mrzCheck, read := p.readMRZ(ctx, req, early, addStage)
	rep.MRZ = read.report()
	rep.mrzResult = read.parsed()
	var docChecks []engine.Check
	var docEvidence []Evidence
	var docCheck, personCheck engine.Check
	wg.Add(3)
	go func() {
		defer wg.Done()
		docChecks, rep.Document, docEvidence = p.checkDocument(ctx, req, docs, read, addStage)
	}()
	go func() {
		defer wg.Done()
		docCheck = p.documentList(ctx, lists, read, &rep.Watchlist, addStage)
	}()
	go func() {
		defer wg.Done()
		personCheck = p.personList(ctx, lists, read, &rep.Watchlist, addStage)
	}()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.VIZ = rep.Document.readings()

	rep.Checks = append(rep.Checks, mrzCheck)
	rep.Checks = append(rep.Checks, docChecks...)
	rep.Checks = append(rep.Checks, fpCheck, docCheck, personCheck)
	rep.Evidence = selectEvidence(req.Evidence, rep.Checks, read, docEvidence)
	dec := p.cfg.Policy.Decide(rep.Checks)
	rep.Recommendation, rep.Reasons = dec.Recommendation, dec.Reasons
	if rep.Reasons == nil {
		rep.Reasons = []engine.Reason{}
	}
	sortStages(rep.Stages)
	rep.ElapsedMS = ms(time.Since(start))
	rep.MS = rep.ElapsedMS
	if rep.Document != nil {
		rep.Model = rep.Document.Model
	}
	return rep, nil
}

// acquire takes a slot of a pool, or gives up when ctx ends.
func acquire(ctx context.Context, pool chan struct{}) error {
	select {
	case pool <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errTimeout is a stage's own time limit running out.
var errTimeout = errors.New("time limit reached")

// runStage runs fn under the stage's time limit. fn runs in a goroutine of
// its own, so that a stage that does not watch its context still cannot
// hold the verification past its limit; its result is then dropped. With a
// pool, fn first waits for a slot of it (the wait does not count against
// the limit) and holds it until it really returns.
func runStage[T any](ctx context.Context, pool chan struct{}, name string, limit time.Duration, fn func(ctx context.Context) (T, error)) (T, Stage, error) {
	var zero T
	heavy := pool != nil
	if heavy {
		if err := acquire(ctx, pool); err != nil {
			return zero, Stage{Name: name, Status: StageFailed, Error: err.Error()}, err
		}
	}
	start := time.Now()
	sctx, cancel := context.WithTimeoutCause(ctx, limit, errTimeout)
	type out struct {
		v   T
		err error
	}
	done := make(chan out, 1)
	go func() {
		defer func() {
			if heavy {
				<-pool
			}
			if r := recover(); r != nil {
				done <- out{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		v, err := fn(sctx)
		done <- out{v, err}
	}()
	var o out
	select {
	case o = <-done:
	case <-sctx.Done():
		o.err = context.Cause(sctx)
	}
	cancel()
	st := Stage{Name: name, Status: StageDone, MS: ms(time.Since(start)), Duration: time.Since(start)}
	if o.err != nil {
		st.Status, st.Error = StageFailed, o.err.Error()
		if errors.Is(o.err, errTimeout) {
			st.Status, st.Error = StageTimeout, fmt.Sprintf("time limit of %s reached", limit)
		}
		return zero, st, o.err
	}
	return o.v, st, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// aborted is a check that did not complete because its stage did not.
func aborted(name string, st Stage) engine.Check {
	return engine.Check{Name: name, Status: engine.Aborted, Reason: fmt.Sprintf("stage %s: %s", st.Name, st.Error)}
}
