package pipeline

import (
	"context"
	"fmt"
	"image"
	"strings"
	"sync"

	"checkpost/biometric"
	"checkpost/biometric/match"
	fpwatch "checkpost/biometric/watchlist"
	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth"
	"checkpost/engine/watchlist"
	"checkpost/mrz"
	"checkpost/mrz/ocr"
)

// The names of the checks the pipeline itself reports (the document
// checks are docauth.CheckNames).
const (
	CheckMRZRead     = "mrz.read"
	CheckFingerprint = "watchlist.fingerprint"
	CheckDocument    = "watchlist.document"
	CheckPerson      = "watchlist.person"
)

// mrzRead is the MRZ stage's outcome.
type mrzRead struct {
	res *ocr.Result // nil when the stage did not complete or had no image
}

func (m *mrzRead) parsed() *mrz.Result {
	if m.res == nil || !m.res.Found {
		return nil
	}
	return m.res.MRZ
}

func (m *mrzRead) report() *MRZReport {
	if m.res == nil {
		return &MRZReport{Result: &ocr.Result{Reason: "not read"}}
	}
	r := *m.res
	r.Chars = nil // per-cell scores: for debugging, too long for every report
	return &MRZReport{Result: &r, Parsed: m.parsed()}
}

// earlyMRZ is the MRZ read from the front's IR image alone while the
// rest of the capture was decoded (Request.EarlyIR).
type earlyMRZ struct {
	res *ocr.Result
	st  Stage
	err error
}

// final says whether the early reading is what ReadCapture of the whole
// capture would give: ReadCapture returns a valid front IR reading, or
// the error of that first read, at once.
func (e *earlyMRZ) final() bool {
	return e != nil && (e.err != nil || e.res.Found && e.res.Valid)
}

func (p *Pipeline) mrzOptions(req Request) []ocr.ReadOption {
	var opts []ocr.ReadOption
	if req.Evidence != NoEvidence {
		opts = append(opts, ocr.WithEvidence())
	}
	return opts
}

// readEarlyMRZ reads the MRZ from Request.EarlyIR's image (nil when
// there is none or no reader).
func (p *Pipeline) readEarlyMRZ(ctx context.Context, req Request) *earlyMRZ {
	if p.cfg.Reader == nil {
		return nil
	}
	ir, err := req.EarlyIR(ctx)
	if err != nil || ir == nil {
		return nil // the whole capture tells what is wrong
	}
	c := &devices.Capture{Side: devices.Side{IR: ir}}
	opts := p.mrzOptions(req)
	res, st, err := runStage(ctx, p.slots, "mrz", p.cfg.Limits.MRZ, func(ctx context.Context) (*ocr.Result, error) {
		return p.cfg.Reader.ReadCapture(ctx, c, opts...)
	})
	return &earlyMRZ{res: res, st: st, err: err}
}

func (p *Pipeline) readMRZ(ctx context.Context, req Request, early *earlyMRZ, addStage func(Stage)) (engine.Check, *mrzRead) {
	read := &mrzRead{}
	ck := engine.Check{Name: CheckMRZRead}
	if req.Capture == nil {
		addStage(Stage{Name: "mrz", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "no document image submitted"
		return ck, read
	}
	if p.cfg.Reader == nil {
		addStage(Stage{Name: "mrz", Status: StageFailed, Error: "no MRZ reader"})
		ck.Status, ck.Reason = engine.Aborted, "no MRZ reader configured"
		return ck, read
	}
	var res *ocr.Result
	var st Stage
	var err error
	if early.final() {
		res, st, err = early.res, early.st, early.err
	} else {
		opts := p.mrzOptions(req)
		res, st, err = runStage(ctx, p.slots, "mrz", p.cfg.Limits.MRZ, func(ctx context.Context) (*ocr.Result, error) {
			return p.cfg.Reader.ReadCapture(ctx, req.Capture, opts...)
		})
		if early != nil {
			// The early reading's time was spent too.
			st.Duration += early.st.Duration
			st.MS = ms(st.Duration)
		}
	}
	addStage(st)
	if err != nil {
		return aborted(CheckMRZRead, st), read
	}
	read.res = res
	switch {
	case !res.Found:
		ck.Status, ck.Reason = engine.Fail, res.Reason
	case res.MRZ == nil:
		ck.Status, ck.Reason = engine.Fail, "a zone was found but does not parse as an MRZ"
	default:
		ck.Status = engine.Pass
		ck.Value = engine.Measured(res.MinConfidence)
		ck.Threshold = "lowest character confidence"
		ck.Reason = fmt.Sprintf("%s zone read under %s light on the %s side", res.Format, res.Light, res.Side)
		if n := len(res.Corrections); n > 0 {
			ck.Reason += fmt.Sprintf(", %d character(s) repaired by the check digits", n)
		}
		if !res.Valid {
			ck.Reason += "; some fields are invalid (see mrz.plausibility)"
		}
	}
	if res.Found {
		ck.Regions = []engine.Region{quadBox(res.Quad, res.Light)}
	}
	return ck, read
}

// imageRectMax bounds regions that need no clipping.
var imageRectMax = image.Rect(0, 0, 1<<24, 1<<24)

// quadBox is the bounding box of a quad.
func quadBox(q [4]devices.Point, l devices.Light) engine.Region {
	r := devices.Region{Quad: q}
	r.BoxFromQuad(imageRectMax)
	return engine.Region{Light: l, X: r.X, Y: r.Y, W: r.W, H: r.H}
}

func (p *Pipeline) checkDocument(ctx context.Context, req Request, docs *Documents, read *mrzRead, addStage func(Stage)) ([]engine.Check, *DocumentReport, []Evidence) {
	all := func(status engine.Status, reason string) []engine.Check {
		out := make([]engine.Check, len(docauth.CheckNames))
		for i, n := range docauth.CheckNames {
			out[i] = engine.Check{Name: n, Status: status, Reason: reason}
		}
		return out
	}
	if req.Capture == nil {
		addStage(Stage{Name: "document", Status: StageSkipped})
		return all(engine.NotPerformed, "no document image submitted"), nil, nil
	}
	in := docauth.Input{Capture: req.Capture, MRZ: read.parsed(), Evidence: req.Evidence != NoEvidence,
		EvidenceNotPassed: req.Evidence == FailedEvidence}
	if in.MRZ != nil {
		q := read.res.Quad
		in.MRZQuad, in.MRZSide = &q, read.res.Side
	}
	vr := p.vizRun()
	in.VIZReader = vr.reader()
	res, st, err := runStage(ctx, p.slots, "document", p.cfg.Limits.Document, func(ctx context.Context) (*docauth.Result, error) {
		return docs.Checker.Check(ctx, in)
	})
	addStage(st)
	vr.addStage(addStage)
	if err != nil {
		return all(engine.Aborted, fmt.Sprintf("stage document: %s", st.Error)), nil, nil
	}
	rename := map[string]string{}
	var ev []Evidence
	for _, e := range res.Evidence {
		name := evidenceName(e.Name)
		for k := 2; ; k++ {
			if _, dup := rename[name]; !dup && name != "mrz.zone" {
				break
			}
			name = fmt.Sprintf("%s.%d", evidenceName(e.Name), k)
		}
		rename[e.Name] = name
		ev = append(ev, Evidence{Name: name, Check: e.Check, Image: e.Image})
	}
	checks := res.Checks
	for i := range checks {
		for j, n := range checks[i].Evidence {
			if r, ok := rename[n]; ok {
				checks[i].Evidence[j] = r
			}
		}
	}
	return checks, &DocumentReport{Model: res.Model, Revision: res.Revision, Identified: res.Identified, viz: vizReadings(res.VIZ)}, ev
}

// fingerprints reads the submitted fingers and searches them 1:N.
func (p *Pipeline) fingerprints(ctx context.Context, req Request, lists *Watchlists, fr *FingerprintReport, addStage func(Stage)) engine.Check {
	fr.Fingers, fr.Candidates = []FingerReport{}, []FingerprintCandidate{}
	ck := engine.Check{Name: CheckFingerprint}
	if len(req.Fingers) == 0 {
		addStage(Stage{Name: "fingerprints.extract", Status: StageSkipped})
		addStage(Stage{Name: "fingerprints.search", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "no finger submitted"
		return ck
	}
	type extracted struct {
		probes  []fpwatch.Probe
		reports []FingerReport
	}
	// One slot of the image pool for the stage; the fingers of one
	// traveller are extracted side by side within it (tens of
	// milliseconds each).
	ex, st, err := runStage(ctx, p.slots, "fingerprints.extract", p.cfg.Limits.Fingerprints, func(ctx context.Context) (extracted, error) {
		views := make([][]fpwatch.Probe, len(req.Fingers))
		reps := make([]FingerReport, len(req.Fingers))
		var wg sync.WaitGroup
		for i, f := range req.Fingers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				reps[i] = FingerReport{Position: f.Position.String()}
				ts, source, q, err := FingerTemplates(f.Data, f.PPI)
				reps[i].Source, reps[i].Quality = source, q
				if err != nil {
					reps[i].Error = err.Error()
					return
				}
				for k := range ts {
					if f.Position != biometric.PositionUnknown {
						ts[k].Position = f.Position
					}
					reps[i].Minutiae += len(ts[k].Minutiae)
					mt, err := match.Prepare(&ts[k])
					if err != nil {
						reps[i].Error = err.Error()
						views[i] = nil
						return
					}
					views[i] = append(views[i], fpwatch.Probe{Position: ts[k].Position, Template: mt})
				}
				if len(ts) == 1 {
					reps[i].Position = ts[0].Position.String()
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return extracted{}, err
		}
		var out extracted
		for i := range views {
			out.probes = append(out.probes, views[i]...)
		}
		out.reports = reps
		return out, nil
	})
	addStage(st)
	if err != nil {
		addStage(Stage{Name: "fingerprints.search", Status: StageSkipped})
		return aborted(CheckFingerprint, st)
	}
	fr.Fingers = ex.reports
	if len(ex.probes) == 0 {
		addStage(Stage{Name: "fingerprints.search", Status: StageSkipped})
		var errs []string
		for _, r := range ex.reports {
			errs = append(errs, r.Position+": "+r.Error)
		}
		ck.Status, ck.Reason = engine.Undetermined, "no submitted finger could be read ("+strings.Join(errs, "; ")+")"
		return ck
	}
	g := lists.Fingerprints
	if g == nil || g.Len() == 0 {
		addStage(Stage{Name: "fingerprints.search", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "the fingerprint watchlist is empty"
		return ck
	}
	probes := ex.probes
	if len(probes) > 16 {
		probes = probes[:16]
	}
	opt := fpwatch.SearchOptions{Mode: p.cfg.FingerprintMode, Candidates: p.cfg.FingerprintCandidates}
	res, st, err := runStage(ctx, p.searches, "fingerprints.search", p.cfg.Limits.Fingerprints, func(ctx context.Context) (*fpwatch.Result, error) {
		return g.Search(ctx, probes, opt)
	})
	addStage(st)
	if err != nil {
		return aborted(CheckFingerprint, st)
	}
	fpir := p.cfg.FingerprintFPIR
	fr.Templates, fr.Mode = res.Templates, res.Mode.String()
	fr.HitRule = fmt.Sprintf("FMR x %d templates <= %g", res.Templates, fpir)
	var hits []string
	for i, c := range res.Candidates {
		fc := FingerprintCandidate{Subject: c.Subject, Score: c.Score, FMR: c.FMR, ExpectedFalse: c.FMR * float64(res.Templates),
			Fingers: candidateFingers(g, c.Subject, c.Fingers, probes, i < PairedCandidates)}
		fc.Hit = fc.ExpectedFalse <= fpir
		if fc.Hit {
			hits = append(hits, fmt.Sprintf("subject %s (score %.5f, FMR %.2g)", c.Subject, c.Score, c.FMR))
		}
		fr.Candidates = append(fr.Candidates, fc)
	}
	ck.Threshold = fmt.Sprintf("hit when <= %g expected false matches", fpir)
	if len(fr.Candidates) > 0 {
		ck.Value = engine.Measured(fr.Candidates[0].ExpectedFalse)
	}
	if len(hits) > 0 {
		ck.Status = engine.Fail
		ck.Reason = fmt.Sprintf("%d finger(s) match %s among %d templates", len(probes), strings.Join(hits, ", "), res.Templates)
		return ck
	}
	ck.Status = engine.Pass
	ck.Reason = fmt.Sprintf("no candidate among %d templates meets the hit rule", res.Templates)
	return ck
}

func (p *Pipeline) documentList(ctx context.Context, lists *Watchlists, read *mrzRead, wr *WatchlistReport, addStage func(Stage)) engine.Check {
	ck := engine.Check{Name: CheckDocument}
	r := read.parsed()
	switch {
	case r == nil:
		addStage(Stage{Name: "watchlist.documents", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "the MRZ was not read"
		return ck
	case lists.Documents == nil:
		addStage(Stage{Name: "watchlist.documents", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "no lost/stolen document list loaded"
		return ck
	}
	issuer, number := r.Value(mrz.IssuingState), r.Value(mrz.DocumentNumber)
	type found struct {
		hit watchlist.DocumentHit
		ok  bool
	}
	f, st, err := runStage(ctx, nil, "watchlist.documents", p.cfg.Limits.DocumentList, func(ctx context.Context) (found, error) {
		h, ok := lists.Documents.Lookup(issuer, number)
		return found{h, ok}, nil
	})
	addStage(st)
	if err != nil {
		return aborted(CheckDocument, st)
	}
	if !f.ok {
		ck.Status, ck.Reason = engine.Pass, fmt.Sprintf("not on the lost/stolen list (%d documents)", lists.Documents.Len())
		return ck
	}
	h := f.hit
	dh := DocumentHit{Issuer: h.Entry.Issuer, Number: h.Entry.Number, Read: h.Read, Exact: h.Exact, Reason: h.Entry.Reason,
		Authority: h.Entry.Authority, Text: h.Describe()}
	if h.Entry.Reported.Known() {
		dh.Reported = h.Entry.Reported.String()
	}
	wr.Documents = append(wr.Documents, dh)
	ck.Status, ck.Reason = engine.Fail, h.Describe()
	return ck
}

// personQuery is the traveller as the MRZ names them.
func personQuery(r *mrz.Result) watchlist.PersonQuery {
	q := watchlist.PersonQuery{Primary: r.Value(mrz.Surname), Secondary: r.Value(mrz.GivenNames), Nationality: r.Value(mrz.Nationality)}
	sur, giv := r.Field(mrz.Surname), r.Field(mrz.GivenNames)
	if sur != nil && giv != nil && sur.Span.Line == giv.Span.Line && sur.Span.Line < r.NumLines {
		// The whole name field, from the surname's start to the given
		// names' last character including fillers, tells truncation.
		line := r.Lines[sur.Span.Line]
		start, end := sur.Span.Start, giv.Span.Start+len(giv.Raw)
		if 0 <= start && start < end && end <= len(line) {
			if p, s, trunc := watchlist.ParseMRZName(line[start:end]); p != "" || s != "" {
				q.Primary, q.Secondary, q.Truncated = p, s, trunc
			}
		}
	}
	if f := r.Field(mrz.BirthDate); f != nil {
		if d, err := watchlist.DateFromMRZ(f.Raw); err == nil {
			q.BirthDate = d
		}
	}
	return q
}

func (p *Pipeline) personList(ctx context.Context, lists *Watchlists, read *mrzRead, wr *WatchlistReport, addStage func(Stage)) engine.Check {
	ck := engine.Check{Name: CheckPerson}
	r := read.parsed()
	switch {
	case r == nil:
		addStage(Stage{Name: "watchlist.persons", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "the MRZ was not read"
		return ck
	case lists.Persons == nil:
		addStage(Stage{Name: "watchlist.persons", Status: StageSkipped})
		ck.Status, ck.Reason = engine.NotPerformed, "no person watchlist loaded"
		return ck
	}
	q := personQuery(r)
	hits, st, err := runStage(ctx, nil, "watchlist.persons", p.cfg.Limits.PersonList, func(ctx context.Context) ([]watchlist.PersonHit, error) {
		return lists.Persons.Screen(q), nil
	})
	addStage(st)
	if err != nil {
		return aborted(CheckPerson, st)
	}
	if len(hits) == 0 {
		ck.Status, ck.Reason = engine.Pass, fmt.Sprintf("no listed person resembles the traveller (%d persons)", lists.Persons.Len())
		return ck
	}
	for _, h := range hits {
		name := ""
		if h.Name >= 0 && h.Name < len(h.Person.Names) {
			name = h.Person.Names[h.Name].String()
		}
		wr.Persons = append(wr.Persons, PersonHit{ID: h.Person.ID, Ref: h.Person.Ref, List: h.Person.List, Name: name,
			Score: h.Score, NameScore: h.NameScore, Reason: h.Reason, Listed: h.Person.Reason})
	}
	best := wr.Persons[0]
	ck.Status = engine.Fail
	ck.Value = engine.Measured(best.Score)
	ck.Threshold = fmt.Sprintf(">= %g", watchlist.DefaultThreshold)
	ck.Reason = fmt.Sprintf("%s on list %s: %s", best.Name, best.List, best.Reason)
	if len(hits) > 1 {
		ck.Reason += fmt.Sprintf(" (and %d more)", len(hits)-1)
	}
	return ck
}

// selectEvidence keeps the evidence images the mode asks for and makes
// the checks name only those kept.
func selectEvidence(mode EvidenceMode, checks []engine.Check, read *mrzRead, doc []Evidence) []Evidence {
	if mode == NoEvidence {
		for i := range checks {
			checks[i].Evidence = nil
		}
		return nil
	}
	status := map[string]engine.Status{}
	for _, c := range checks {
		status[c.Name] = c.Status
	}
	keep := map[string]bool{}
	var out []Evidence
	if read.res != nil && read.res.Evidence != nil && read.res.Evidence.Rectified != nil {
		out = append(out, Evidence{Name: "mrz.zone", Check: CheckMRZRead, Image: read.res.Evidence.Rectified})
		keep["mrz.zone"] = true
		for i := range checks {
			if checks[i].Name == CheckMRZRead {
				checks[i].Evidence = append(checks[i].Evidence, "mrz.zone")
			}
		}
	}
	for _, e := range doc {
		if mode == AllEvidence || status[e.Check] != engine.Pass {
			out = append(out, e)
			keep[e.Name] = true
		}
	}
	for i := range checks {
		kept := checks[i].Evidence[:0]
		for _, n := range checks[i].Evidence {
			if keep[n] {
				kept = append(kept, n)
			}
		}
		checks[i].Evidence = kept
		if len(kept) == 0 {
			checks[i].Evidence = nil
		}
	}
	return out
}
