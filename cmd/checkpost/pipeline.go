package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gen2brain/go-fitz"

	fpwatch "checkpost/biometric/watchlist"
	"checkpost/devices"
	"checkpost/engine/docauth"
	"checkpost/engine/docauth/profile"
	"checkpost/engine/pipeline"
	"checkpost/engine/watchlist"
	"checkpost/mrz"
	"checkpost/mrz/ocr"
	"checkpost/server"
	"checkpost/server/store"
)

// The glue between the engine's pipeline (engine/pipeline) and the
// commands: profiles from their folder, watchlists from the database, the
// MRZ reader, and the server.Verifier that "checkpost serve" answers
// POST /api/v1/verifications with.

// pdfPPI is the resolution PDF pages are rendered at, and maxPDFPages how
// many are used: the first is the front (data page), the second the back.
const (
	pdfPPI      = 300
	maxPDFPages = 2
)

// loadDocuments reads every profile of the folder; a folder that does not
// exist gives no profiles (the profile-free checks run), not an error.
func loadDocuments(dir string) (pipeline.Documents, error) {
	var d pipeline.Documents
	var ps []*profile.Profile
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		s, err := profile.OpenStore(dir)
		if err != nil {
			return d, err
		}
		if ps, err = s.List(); err != nil {
			return d, fmt.Errorf("profiles in %s: %w", dir, err)
		}
	}
	ck, err := docauth.NewChecker(ps)
	if err != nil {
		return d, err
	}
	d.Checker = ck
	d.Profiles = []pipeline.ProfileVersion{}
	for _, p := range ps {
		d.Profiles = append(d.Profiles, pipeline.ProfileVersion{ID: p.ID, Revision: p.Revision})
	}
	return d, nil
}

// newMRZReader starts loading the OCR-B classifier (trained and cached on
// the first start) and logs when it is there.
func newMRZReader(log *slog.Logger) *ocr.Reader {
	start := time.Now()
	r := ocr.New(ocr.Options{})
	go func() {
		if err := r.Wait(context.Background()); err != nil {
			log.Error("OCR-B classifier could not be loaded: verifications cannot read MRZs", "err", err)
			return
		}
		_, trained := r.Model()
		log.Info("OCR-B classifier loaded", "trained", trained, "elapsed", time.Since(start).Round(time.Millisecond))
	}()
	return r
}

// listMarkers are the store's change markers of the three watchlists: a
// list whose marker changed is reloaded.
type listMarkers struct{ documents, persons, fingerprints string }

func readListMarkers(ctx context.Context, db *store.DB) (listMarkers, error) {
	var m listMarkers
	for _, q := range []struct {
		dst *string
		sql string
	}{
		{&m.documents, `SELECT COUNT(*), COALESCE(MAX(id), 0), (SELECT COUNT(*) FROM lost_documents_history) FROM lost_documents`},
		{&m.persons, `SELECT COUNT(*), COALESCE(MAX(id), 0), (SELECT COUNT(*) FROM watchlist_persons WHERE removed_at IS NOT NULL) FROM watchlist_persons`},
		{&m.fingerprints, `SELECT COUNT(*), COALESCE(MAX(id), 0), (SELECT COUNT(*) FROM fingerprint_templates WHERE removed_at IS NOT NULL) FROM fingerprint_templates`},
	} {
		var n, maxID, removed int64
		if err := db.QueryRowContext(ctx, q.sql).Scan(&n, &maxID, &removed); err != nil {
			return m, fmt.Errorf("watchlist markers: %w", err)
		}
		*q.dst = fmt.Sprintf("%d.%d.%d", maxID, n, removed)
	}
	return m, nil
}

// watchlistLoader loads the watchlists from the database and, while
// serving, reloads the lists that changed (enrolments and imports made by
// other commands on the same database).
type watchlistLoader struct {
	db    *store.DB
	vault *store.Vault // nil: no keys, the fingerprint gallery is not loaded
	log   *slog.Logger

	mu      sync.Mutex
	markers listMarkers
	lists   pipeline.Watchlists
	gauge   *server.GaugeVec // watchlist sizes for /metrics, when set
}

// publish sets the size gauges of the lists loaded.
func (l *watchlistLoader) publish() {
	if l.gauge == nil {
		return
	}
	for _, v := range l.lists.Versions {
		l.gauge.Set(float64(v.Entries), v.List)
	}
}

// exportSizes makes /metrics show the watchlists' sizes, now and after
// every reload.
func (l *watchlistLoader) exportSizes(m *server.Metrics) {
	g := m.Gauge("checkpost_watchlist_entries", "Entries in each watchlist (documents, persons, fingerprint templates).", "list")
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gauge = &g
	l.publish()
}

// load (re)loads the lists whose marker differs from the last load.
func (l *watchlistLoader) load(ctx context.Context) (pipeline.Watchlists, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, err := readListMarkers(ctx, l.db)
	if err != nil {
		return l.lists, false, err
	}
	first := l.lists.Documents == nil
	changed := false
	version := func(list string, n int, marker string) pipeline.ListVersion {
		return pipeline.ListVersion{List: list, Entries: n, Version: marker, LoadedAt: time.Now().UTC().Truncate(time.Second)}
	}
	versions := map[string]pipeline.ListVersion{}
	for _, v := range l.lists.Versions {
		versions[v.List] = v
	}
	if first || m.documents != l.markers.documents {
		start := time.Now()
		x := watchlist.NewDocumentIndex()
		if err := l.db.LoadDocuments(ctx, x, nil); err != nil {
			return l.lists, false, err
		}
		l.lists.Documents, changed = x, true
		versions["documents"] = version("documents", x.Len(), m.documents)
		l.log.Info("lost/stolen documents loaded", "documents", x.Len(), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if first || m.persons != l.markers.persons {
		start := time.Now()
		x := watchlist.NewPersonIndex()
		if err := l.db.LoadPersons(ctx, x, nil); err != nil {
			return l.lists, false, err
		}
		l.lists.Persons, changed = x, true
		versions["persons"] = version("persons", x.Len(), m.persons)
		l.log.Info("person watchlist loaded", "persons", x.Len(), "elapsed", time.Since(start).Round(time.Millisecond))
	}
	if l.vault != nil && (first || m.fingerprints != l.markers.fingerprints) {
		g := fpwatch.NewGallery()
		res, err := l.vault.LoadFingerprints(ctx, g, nil)
		if err != nil {
			return l.lists, false, err
		}
		l.lists.Fingerprints, changed = g, true
		versions["fingerprints"] = version("fingerprints", res.Templates, m.fingerprints)
		l.log.Info("fingerprint watchlist loaded", "subjects", res.Subjects, "templates", res.Templates, "elapsed", res.Elapsed.Round(time.Millisecond))
		if res.Reprepared > 0 {
			l.log.Warn("fingerprint templates stored by another matcher version were prepared again and stored back in the current format",
				"templates", res.Reprepared, "stored_back", res.Rewritten, "write_back_error", res.WriteBackErr)
		}
	}
	l.markers = m
	l.lists.Versions = nil
	for _, name := range []string{"documents", "persons", "fingerprints"} {
		if v, ok := versions[name]; ok {
			l.lists.Versions = append(l.lists.Versions, v)
		}
	}
	l.publish()
	return l.lists, changed, nil
}

// watch reloads the changed lists every period until ctx ends.
func (l *watchlistLoader) watch(ctx context.Context, period time.Duration, p *pipeline.Pipeline) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		lists, changed, err := l.load(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.log.Error("watchlist reload failed: the lists loaded before stay in use", "err", err)
			}
			continue
		}
		if changed {
			p.SetWatchlists(lists)
		}
	}
}

// counterVerifier runs the pipeline on the server's submissions.
type counterVerifier struct {
	p        *pipeline.Pipeline
	evidence pipeline.EvidenceMode
	lists    *watchlistLoader
}

// attach wires the verifier into the server: the MRZ reader's readiness
// in /readyz, the watchlists' sizes in /metrics.
func (v *counterVerifier) attach(srv *server.Server) {
	srv.AddReadyCheck("ocr", v.p.Ready)
	if v.lists != nil {
		v.lists.exportSizes(srv.Metrics())
	}
}

var _ server.Verifier = (*counterVerifier)(nil)

// Verify turns the submission into a capture and fingers, runs the
// pipeline and hands the server its verdict.
func (v *counterVerifier) Verify(ctx context.Context, sub *server.Submission) (*server.Verdict, error) {
	req, err := requestOf(sub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", server.ErrUnusableSubmission, err)
	}
	req.Evidence = v.evidence
	var decoded *devices.Capture // for the evidence images' resolution
	if decode := req.Decode; decode != nil {
		req.Decode = func(ctx context.Context) (*devices.Capture, error) {
			c, err := decode(ctx)
			decoded = c
			return c, err
		}
	}
	rep, err := v.p.Verify(ctx, req)
	if errors.Is(err, pipeline.ErrBadInput) {
		return nil, fmt.Errorf("%w: %v", server.ErrUnusableSubmission, err)
	}
	if err != nil {
		return nil, err
	}
	return verdictOf(rep, capturePPI(decoded))
}

func capturePPI(c *devices.Capture) float64 {
	if c == nil {
		return 0
	}
	return c.PPI
}

// requestOf passes the fingers on, and how to decode the submitted images
// (or render the PDF's pages) into a capture: the pipeline does that while
// the fingers are already searched, and reads the MRZ from the IR image as
// soon as that one is decoded.
func requestOf(sub *server.Submission) (pipeline.Request, error) {
	var req pipeline.Request
	for _, f := range sub.Fingers {
		req.Fingers = append(req.Fingers, pipeline.Finger{Position: f.Position, Data: f.Data})
	}
	switch {
	case len(sub.Images) > 0:
		d := newLightsDecoder(sub)
		req.Decode = d.capture
		req.EarlyIR = d.frontIR
	case len(sub.PDF) > 0:
		req.Decode = func(context.Context) (*devices.Capture, error) {
			return captureFromPDF(sub.PDF, "counter "+sub.Counter)
		}
	}
	return req, nil
}

// lightsDecoder decodes the submitted images of one capture, each light
// in a goroutine of its own (three PNGs of a 300-ppi page take tens of
// milliseconds each, the IR one the least), started by the first of its
// methods called.
type lightsDecoder struct {
	sub   *server.Submission
	start sync.Once
	imgs  []image.Image
	errs  []error
	done  []chan struct{}
}

func newLightsDecoder(sub *server.Submission) *lightsDecoder {
	d := &lightsDecoder{sub: sub, imgs: make([]image.Image, len(sub.Images)), errs: make([]error, len(sub.Images)),
		done: make([]chan struct{}, len(sub.Images))}
	for i := range d.done {
		d.done[i] = make(chan struct{})
	}
	return d
}

func (d *lightsDecoder) run() {
	d.start.Do(func() {
		for i, im := range d.sub.Images {
			go func() {
				defer close(d.done[i])
				img, err := devices.DecodeImage(im.Data)
				if err != nil {
					d.errs[i] = fmt.Errorf("image %s: %w", im.Light, err)
					return
				}
				switch im.Light {
				case "white", "uv":
					d.imgs[i] = devices.ToRGBA(img)
				case "ir":
					d.imgs[i] = devices.ToGray(img)
				default:
					d.errs[i] = fmt.Errorf("image of unknown light %q", im.Light)
				}
			}()
		}
	})
}

// frontIR waits for the IR image alone (nil when none was submitted or it
// cannot be decoded: capture says why).
func (d *lightsDecoder) frontIR(ctx context.Context) (*image.Gray, error) {
	d.run()
	for i := len(d.sub.Images) - 1; i >= 0; i-- { // the last wins, as in capture
		if d.sub.Images[i].Light != "ir" {
			continue
		}
		select {
		case <-d.done[i]:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if d.errs[i] != nil {
			return nil, d.errs[i]
		}
		return d.imgs[i].(*image.Gray), nil
	}
	return nil, nil
}

// capture waits for every image and makes the capture.
func (d *lightsDecoder) capture(context.Context) (*devices.Capture, error) {
	d.run()
	for _, ch := range d.done {
		<-ch
	}
	if err := errors.Join(d.errs...); err != nil {
		return nil, err
	}
	c := &devices.Capture{Source: devices.SourceDevice, Origin: "counter " + d.sub.Counter}
	for i, im := range d.sub.Images {
		switch im.Light {
		case "white":
			c.White = d.imgs[i].(*image.RGBA)
		case "ir":
			c.IR = d.imgs[i].(*image.Gray)
		case "uv":
			c.UV = d.imgs[i].(*image.RGBA)
		}
		if c.PPI == 0 {
			c.PPI = devices.Resolution(im.Data)
		}
	}
	return c, nil
}

// captureFromPDF renders a document reader's PDF export: page 1 is the
// front under white light, page 2 (when there is one) the back.
func captureFromPDF(data []byte, origin string) (*devices.Capture, error) {
	doc, err := fitz.NewFromMemory(data)
	if err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	defer doc.Close()
	n := doc.NumPage()
	if n == 0 {
		return nil, errors.New("pdf: no pages")
	}
	c := &devices.Capture{Source: devices.SourceFile, Origin: origin + " (pdf)", PPI: pdfPPI}
	for i := 0; i < min(n, maxPDFPages); i++ {
		// Bound is in points (1/72 inch): refuse a page too large to
		// render before MuPDF allocates for it.
		b, err := doc.Bound(i)
		if err != nil {
			return nil, fmt.Errorf("pdf: page %d: %w", i+1, err)
		}
		w, h := int64(b.Dx())*pdfPPI/72, int64(b.Dy())*pdfPPI/72
		if w*h > devices.MaxPixels {
			return nil, fmt.Errorf("pdf: page %d is %dx%d pixels at %d ppi, more than %d", i+1, w, h, pdfPPI, devices.MaxPixels)
		}
		img, err := doc.ImageDPI(i, pdfPPI)
		if err != nil {
			return nil, fmt.Errorf("pdf: page %d: %w", i+1, err)
		}
		if i == 0 {
			c.White = img
		} else {
			c.Back = &devices.Side{White: img}
		}
	}
	return c, nil
}

// travellerOf is what the MRZ says of the traveller, for the movement
// record.
func travellerOf(r *mrz.Result) *store.Traveller {
	if r == nil {
		return nil
	}
	raw := func(f mrz.FieldName) string {
		if fl := r.Field(f); fl != nil {
			return fl.Raw
		}
		return ""
	}
	return &store.Traveller{
		DocumentType: r.Value(mrz.DocumentCode), IssuingState: r.Value(mrz.IssuingState), DocumentNumber: r.Value(mrz.DocumentNumber),
		Surname: r.Value(mrz.Surname), GivenNames: r.Value(mrz.GivenNames), Nationality: r.Value(mrz.Nationality),
		BirthDate: raw(mrz.BirthDate), Sex: r.Value(mrz.Sex), ExpiryDate: raw(mrz.ExpiryDate),
	}
}

// verdictOf packs a report for the server: the JSON, the reason codes, the
// traveller, the evidence images as PNG and the stage times.
func verdictOf(rep *pipeline.Report, ppi float64) (*server.Verdict, error) {
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	v := &server.Verdict{Report: b, Recommendation: string(rep.Recommendation), Reasons: rep.ReasonCodes(),
		Traveller: travellerOf(rep.MRZResult()), Stages: map[string]time.Duration{}}
	for _, s := range rep.Stages {
		if s.Status != pipeline.StageSkipped {
			v.Stages[s.Name] = s.Duration
		}
	}
	ev, err := encodeEvidence(rep.Evidence, ppi)
	if err != nil {
		return nil, err
	}
	v.Evidence = ev
	return v, nil
}

func encodeEvidence(evs []pipeline.Evidence, ppi float64) ([]store.EvidenceInput, error) {
	out := make([]store.EvidenceInput, len(evs))
	errs := make([]error, len(evs))
	var wg sync.WaitGroup
	for i, e := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			if errs[i] = devices.EncodePNG(&buf, e.Image, ppi); errs[i] == nil {
				out[i] = store.EvidenceInput{Name: e.Name, Kind: store.KindEvidence, ContentType: "image/png", Data: buf.Bytes()}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	return out, nil
}

// pipelineConfig says how commands build the pipeline.
type pipelineConfig struct {
	profiles string        // folder of document profiles
	reload   time.Duration // how often serve looks for watchlist changes (0: never)
}

// startPipeline builds the pipeline of "checkpost serve": the profiles,
// the watchlists from the database (the fingerprint gallery needs the
// vault's keys), the MRZ reader loading in the background. It returns the
// verifier (attach it to the server) and a function that keeps the
// watchlists fresh until ctx ends.
func startPipeline(ctx context.Context, log *slog.Logger, db *store.DB, vault *store.Vault, cfg pipelineConfig) (*counterVerifier, func(context.Context), error) {
	docs, err := loadDocuments(cfg.profiles)
	if err != nil {
		return nil, nil, err
	}
	log.Info("document profiles loaded", "dir", cfg.profiles, "profiles", len(docs.Profiles))
	loader := &watchlistLoader{db: db, vault: vault, log: log}
	lists, _, err := loader.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	reader := newMRZReader(log)
	vizCfg, closeVIZ, err := newVIZ()
	if err != nil {
		log.Warn("printed fields will not be read (viz.mrz.consistency NOT_PERFORMED)", "err", err)
	}
	go func() { <-ctx.Done(); closeVIZ() }()
	p := pipeline.New(pipeline.Config{Reader: reader, Documents: docs, Watchlists: lists, VIZ: vizCfg})
	watch := func(ctx context.Context) {
		if cfg.reload > 0 {
			loader.watch(ctx, cfg.reload, p)
		}
	}
	return &counterVerifier{p: p, evidence: pipeline.FailedEvidence, lists: loader}, watch, nil
}
