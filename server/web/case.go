package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"image"
	"image/png"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "image/jpeg" // evidence formats the counters submit
	_ "image/png"

	"github.com/go-chi/chi/v5"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"

	"checkpost/biometric"
	_ "checkpost/biometric/pnm"
	_ "checkpost/biometric/wsq"
	"checkpost/engine/pipeline"
	"checkpost/server/store"
)

// lightOrder is the order of the document images on the case page.
var lightOrder = []string{"white", "ir", "uv", "coaxial"}

var lightLabels = map[string]string{"white": "White light", "ir": "Infrared (870 nm)", "uv": "Ultraviolet (365 nm)",
	"coaxial": "Coaxial light"}

type imageView struct {
	Name, Label, URL string
	W, H             int
	Regions          []regionView
	Purged           string
	Unreadable       string
}

type evidenceView struct {
	Name, Label, URL, ContentType string
	Image                         bool
	Purged                        string
	Size                          string
	W, H                          int // image size, when it could be read
	// PPI is a finger image's resolution (the matched minutiae are at
	// 500 ppi); tmpl the submitted finger template, when no image was sent.
	PPI  float64
	tmpl *biometric.Template
}

type timelineEntry struct {
	At     time.Time
	Actor  string
	What   string
	Detail string
	Note   string
	read   bool // a read, which later reads may be folded into
}

type caseData struct {
	V            *store.Verification
	Review       store.Review
	Report       *reportView
	ReportErr    string
	Images       []imageView
	Fingers      []evidenceView
	Other        []evidenceView
	Timeline     []timelineEntry
	Waiting      string
	CSRF         string
	Reviewer     bool // a supervisor or chief (sees the watchlist records)
	CanDecide    bool
	WhyNot       string // why the signed-in user may not decide
	CanAssign    bool
	CanEscalate  bool
	AssignedToMe bool
	Chiefs       []store.Account
	Supervisors  []store.Account
	Outcomes     []option
	Actions      []option
	// Unplaced are failing regions whose light has no image.
	Unplaced  []regionView
	Watchlist int // how many watchlist hits (counters see only this)
}

// Outcomes of a decision on the review page, and the actions that may go
// with them (stored as in the counter API: store.Decisions and
// decisionActions of server/verifications.go).
var outcomeLabels = []struct{ Value, Label string }{
	{store.DecisionAllowed, "Allow"},
	{store.DecisionRefused, "Refuse"},
	{store.DecisionOffloaded, "Off-load (keep from departing)"},
}

var actionLabels = []struct{ Value, Label string }{
	{"document_seized", "Seize the document"},
	{"handed_to_anti_trafficking", "Hand over to the anti-trafficking unit"},
}

// MaxComment bounds a decision's comment and an escalation's note.
const MaxComment = 4000

// loadCase reads a case the signed-in user may see: reviewers see every
// case, a counter terminal only what it submitted (others' are "not
// found", as in the API).
func (u *UI) loadCase(w http.ResponseWriter, r *http.Request) (*store.Verification, bool) {
	if !u.needVault(w, r) {
		return nil, false
	}
	id := chi.URLParam(r, "id")
	v, err := u.vault.GetVerification(r.Context(), id)
	s, _ := SessionFrom(r.Context())
	if errors.Is(err, store.ErrVerificationNotFound) || err == nil && !mayRead(s, v) {
		u.fail(w, r, http.StatusNotFound, "There is no case "+id+".")
		return nil, false
	}
	if err != nil {
		u.log.Error("read case", "id", id, "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The case could not be read; it has been logged.")
		return nil, false
	}
	return v, true
}

func isReviewer(s store.Session) bool {
	return s.Role == store.RoleSupervisor || s.Role == store.RoleChief
}

func mayRead(s store.Session, v *store.Verification) bool {
	if isReviewer(s) {
		return true
	}
	a := s.Actor()
	return s.TokenID != 0 && v.Actor.Kind == a.Kind && v.Actor.ID == a.ID
}

func (u *UI) handleCase(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	s, _ := SessionFrom(r.Context())
	ctx := r.Context()
	d := &caseData{V: v, CSRF: s.CSRF, Reviewer: isReviewer(s), Waiting: ageText(u.now().Sub(v.CreatedAt))}
	var err error
	if d.Review, err = u.vault.ReviewOf(ctx, v.ID); err != nil {
		u.log.Error("review state", "id", v.ID, "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The case's review state could not be read; it has been logged.")
		return
	}
	if d.Report, err = parseReport(v.Report); err != nil {
		d.ReportErr = err.Error()
		d.Report = &reportView{}
	}
	d.Watchlist = len(d.Report.Fingerprints) + len(d.Report.Documents) + len(d.Report.Persons)
	if d.Reviewer {
		u.fillRecords(r, d.Report)
	} else {
		// A counter is not told why someone is listed (tipping-off).
		d.Report.Fingerprints, d.Report.Documents, d.Report.Persons = nil, nil, nil
	}
	u.fillEvidence(r, d)
	u.decisionRights(r, s, d)
	if d.Reviewer {
		if d.Chiefs, err = u.db.Accounts(ctx, store.RoleChief); err == nil {
			d.Supervisors, err = u.db.Accounts(ctx, store.RoleSupervisor)
		}
		if err != nil {
			u.log.Error("accounts", "err", err)
		}
	}
	if d.Timeline, err = u.timeline(r, v, d.Review); err != nil {
		u.log.Error("timeline", "id", v.ID, "err", err)
	}
	// The page shows personal data: not without its audit entry.
	if err := u.audit(r, "verification.read", v.ID, map[string]string{"via": "review page"}); err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The read could not be audited, so the case is not shown. Try again.")
		return
	}
	title := fmt.Sprintf("Case %s — %s", v.ID, v.Recommendation)
	u.render(w, r, http.StatusOK, "case", page{Title: title, Nav: navOf(s), Data: d})
}

func navOf(s store.Session) string {
	if isReviewer(s) {
		return "queue"
	}
	return "mine"
}

// decisionRights says what the signed-in user may do with the case: a
// supervisor decides an open case or one assigned to them, a chief any
// undecided one; escalated cases are the chiefs'.
func (u *UI) decisionRights(r *http.Request, s store.Session, d *caseData) {
	for _, o := range outcomeLabels {
		if o.Value == store.DecisionOffloaded && d.V.Direction != store.Exit {
			continue // off-loading keeps a traveller from departing
		}
		d.Outcomes = append(d.Outcomes, option{Value: o.Value, Label: o.Label})
	}
	for _, a := range actionLabels {
		d.Actions = append(d.Actions, option{Value: a.Value, Label: a.Label})
	}
	rv := d.Review
	d.AssignedToMe = rv.AssignedTo != nil && rv.AssignedTo.ID == s.AccountID
	if !isReviewer(s) {
		d.WhyNot = "Referred cases are decided by a supervisor."
		return
	}
	if d.V.Recommendation == "CLEAR" {
		d.WhyNot = "A CLEAR verification is decided at the counter."
		return
	}
	if rv.Status == store.StatusDecided {
		return
	}
	d.CanAssign = rv.Status != store.StatusEscalated || s.Role == store.RoleChief
	d.CanEscalate = s.Role == store.RoleSupervisor && rv.Status != store.StatusEscalated
	d.CanDecide, d.WhyNot = mayDecide(s, rv)
}

func mayDecide(s store.Session, rv store.Review) (bool, string) {
	switch {
	case rv.Status == store.StatusDecided:
		return false, "The case is decided."
	case s.Role == store.RoleChief:
		return true, ""
	case s.Role != store.RoleSupervisor:
		return false, "Referred cases are decided by a supervisor."
	case rv.Status == store.StatusEscalated:
		return false, "The case was escalated to " + rv.EscalatedTo.Name + ": a chief decides it."
	case rv.AssignedTo != nil && rv.AssignedTo.ID != s.AccountID:
		return false, rv.AssignedTo.Name + " has this case. Take it over to decide it."
	}
	return true, ""
}

// fillRecords adds the watchlist records of the hits: the enrolled
// subject's person record (the listing authority's reference is the
// fingerprint subject id) and the listed person of each person hit.
func (u *UI) fillRecords(r *http.Request, rv *reportView) {
	ctx := r.Context()
	for i := range rv.Fingerprints {
		c := &rv.Fingerprints[i]
		if c.Record != nil || c.Subject == "" {
			continue
		}
		p, err := u.db.ListedPersonByRef(ctx, c.Subject)
		if err != nil {
			u.log.Error("listed person", "err", err)
			continue
		}
		if p != nil {
			c.Record = recordOf(p)
		}
	}
	for i := range rv.Persons {
		h := &rv.Persons[i]
		var p *store.ListedPerson
		var err error
		switch {
		case h.PersonID > 0:
			p, err = u.db.ListedPersonByID(ctx, h.PersonID)
		case h.Ref != "":
			p, err = u.db.ListedPersonByRef(ctx, h.Ref)
		}
		if err != nil {
			u.log.Error("listed person", "err", err)
		}
		if p != nil {
			h.Record = recordOf(p)
		}
	}
}

func recordOf(p *store.ListedPerson) *recordView {
	return &recordView{List: p.List, Ref: p.Ref, Reason: p.Reason, BirthDate: p.BirthDate, Nationality: p.Nationality,
		ListedAt: p.ListedAt, Names: p.Names, Removed: p.Removed}
}

func evidenceURL(id, name string) string { return "/ui/cases/" + id + "/evidence/" + name }

// fillEvidence sorts the evidence into the document images (one per light,
// with the failing regions to outline), the probe fingers, and the rest.
func (u *UI) fillEvidence(r *http.Request, d *caseData) {
	v := d.V
	byName := map[string]store.EvidenceRef{}
	for _, e := range v.Evidence {
		byName[e.Name] = e
	}
	var docNames []string
	for _, e := range v.Evidence {
		if e.Kind == store.KindDocumentImage && strings.HasPrefix(e.ContentType, "image/") {
			docNames = append(docNames, e.Name)
		}
	}
	docNames = orderDocumentImages(docNames)
	for _, name := range docNames {
		e := byName[name]
		iv := imageView{Name: name, Label: labelOf(name), URL: evidenceURL(v.ID, name)}
		if !e.PurgedAt.IsZero() {
			iv.Purged = e.PurgedAt.Format(time.DateOnly)
		} else if _, data, err := u.vault.GetBlob(r.Context(), e.BlobID); err != nil {
			if errors.Is(err, store.ErrBlobPurged) {
				iv.Purged = "earlier"
			} else {
				iv.Unreadable = "could not be read"
				u.log.Error("read evidence", "id", v.ID, "name", name, "err", err)
			}
		} else if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil {
			iv.Unreadable = "not an image this page can read"
		} else {
			iv.W, iv.H = cfg.Width, cfg.Height
		}
		d.Images = append(d.Images, iv)
	}
	for _, c := range d.Report.Checks {
		if !c.Failing() {
			continue
		}
		for _, rg := range c.Regions {
			if i := imageFor(d.Images, rg); i >= 0 {
				d.Images[i].Regions = append(d.Images[i].Regions, rg)
			} else {
				d.Unplaced = append(d.Unplaced, rg)
			}
		}
	}
	for _, e := range v.Evidence {
		if slices.Contains(docNames, e.Name) {
			continue
		}
		ev := evidenceView{Name: e.Name, Label: labelOf(e.Name), URL: evidenceURL(v.ID, e.Name), ContentType: e.ContentType,
			Image: strings.HasPrefix(e.ContentType, "image/"), Size: sizeText(e.Size)}
		if !e.PurgedAt.IsZero() {
			ev.Purged = e.PurgedAt.Format(time.DateOnly)
		}
		if strings.HasPrefix(e.Name, "finger.") {
			if ev.Purged == "" {
				if _, data, err := u.vault.GetBlob(r.Context(), e.BlobID); err == nil {
					if ev.Image {
						if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
							ev.W, ev.H = cfg.Width, cfg.Height
						}
						ev.PPI = biometric.StandardPPI
						if fi, err := biometric.DecodeImageBytes(data, biometric.ImageOptions{}); err == nil && fi.PPI > 0 {
							ev.PPI = fi.PPI
						}
					} else if ts, _, _, err := pipeline.FingerTemplates(data, 0); err == nil && len(ts) > 0 {
						ev.tmpl = &ts[0]
					}
				}
			}
			d.Fingers = append(d.Fingers, ev)
		} else {
			d.Other = append(d.Other, ev)
		}
	}
	// Each candidate is shown next to the probe finger it was found with.
	for i := range d.Report.Fingerprints {
		c := &d.Report.Fingerprints[i]
		probe := 0
		if len(c.Fingers) > 0 {
			probe, c.ProbePairs = c.Fingers[0].Probe, c.Fingers[0].Pairs
		}
		prefix := "finger." + strconv.Itoa(probe+1) + "."
		for j := range d.Fingers {
			if strings.HasPrefix(d.Fingers[j].Name, prefix) {
				c.Probe = &d.Fingers[j]
				break
			}
		}
		if c.Probe == nil && len(d.Fingers) > 0 {
			c.Probe = &d.Fingers[0]
		}
		if c.Probe == nil {
			continue
		}
		// The pairs are at 500 ppi: onto the image as submitted.
		if c.Probe.PPI > 0 && c.Probe.PPI != 500 {
			k := c.Probe.PPI / 500
			scaled := make([]pairView, len(c.ProbePairs))
			for j, p := range c.ProbePairs {
				scaled[j] = pairView{p.PX * k, p.PY * k, p.CX, p.CY}
			}
			c.ProbePairs = scaled
		}
		if t := c.Probe.tmpl; t != nil {
			c.ProbeDrawing = template.HTML(minutiaeSVG(t, c.ProbePairs, true, "submitted probe template"))
		}
	}
}

// minutiaeSVG draws a template's minutiae (a circle with a tick in its
// direction; endings blue, forks brown) on a blank canvas, with the
// matched minutiae ringed in red and numbered as on the other print.
// rings are in 500-ppi pixels; probe says which end of each pair to draw.
func minutiaeSVG(t *biometric.Template, pairs []pairView, probe bool, what string) string {
	wd, ht := t.Width, t.Height
	if wd <= 0 || ht <= 0 {
		for _, m := range t.Minutiae {
			wd, ht = max(wd, m.X+20), max(ht, m.Y+20)
		}
	}
	k := 1.0
	if t.ResolutionPPI > 0 && t.ResolutionPPI != 500 && !probe {
		k = float64(t.ResolutionPPI) / 500
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%d minutiae of the %s (no image kept: drawn from the template)%s">`,
		wd, ht, len(t.Minutiae), htmlEscape(what), map[bool]string{true: fmt.Sprintf(", %d matched ones ringed", len(pairs)), false: ""}[len(pairs) > 0])
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#f4f4f0"/>`, wd, ht)
	fmt.Fprintf(&b, `<text x="6" y="16" font-size="13" fill="#333">Template drawing (no image)</text>`)
	for _, m := range t.Minutiae {
		dx, dy := 14*math.Cos(m.Angle), -14*math.Sin(m.Angle)
		colour := "#1b4f8a"
		if m.Type == 2 {
			colour = "#8a3b12"
		}
		fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="4" fill="none" stroke="%s" stroke-width="2"/><line x1="%d" y1="%d" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`,
			m.X, m.Y, colour, m.X, m.Y, float64(m.X)+dx, float64(m.Y)+dy, colour)
	}
	for i, p := range pairs {
		x, y := p.CX*k, p.CY*k
		if probe {
			x, y = p.PX, p.PY
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="9" fill="none" stroke="#c00" stroke-width="3" class="pair-ring"/><text x="%.1f" y="%.1f" font-size="17" font-weight="bold" fill="#a00" stroke="#fff" stroke-width="3" paint-order="stroke">%d</text>`,
			x, y, x+10, y-9, i+1)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// orderDocumentImages sorts image names into one row per side (front,
// back), the lights in their usual order.
func orderDocumentImages(names []string) []string {
	rank := func(name string) int {
		light := name
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			light = name[i+1:]
		}
		if i := slices.Index(lightOrder, light); i >= 0 {
			return i
		}
		return len(lightOrder)
	}
	side := func(name string) string {
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			return name[:i]
		}
		return ""
	}
	slices.SortStableFunc(names, func(a, b string) int {
		sa, sb := side(a), side(b)
		if c := sideRank(sa) - sideRank(sb); c != 0 {
			return c
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
		return rank(a) - rank(b)
	})
	return names
}

func sideRank(side string) int {
	switch side {
	case "", "front":
		return 0
	case "back":
		return 1
	}
	return 2
}

// imageFor finds the image a region was measured on: by side and light
// ("front.uv", "uv.front"), else by light alone.
func imageFor(images []imageView, rg regionView) int {
	light := strings.ToLower(rg.Light)
	if light == "" {
		light = "white"
	}
	if rg.Side != "" {
		for i, im := range images {
			if im.Name == rg.Side+"."+light || im.Name == light+"."+rg.Side {
				return i
			}
		}
	}
	for i, im := range images {
		if im.Name == light {
			return i
		}
	}
	return -1
}

func labelOf(name string) string {
	if l, ok := lightLabels[name]; ok {
		return l
	}
	if side, light, ok := strings.Cut(name, "."); ok {
		if l, ok := lightLabels[light]; ok {
			return l + ", " + side
		}
	}
	if strings.HasPrefix(name, "finger.") {
		parts := strings.SplitN(name, ".", 3)
		if len(parts) == 3 {
			return "Finger " + parts[1] + " (" + strings.ReplaceAll(parts[2], "-", " ") + ")"
		}
	}
	return name
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

var actionText = map[string]string{
	"verification.create": "Submitted by the counter",
	"verification.read":   "Opened the case",
	"evidence.read":       "Viewed evidence",
	"review.assign":       "Assigned",
	"review.escalate":     "Escalated",
	"movement.decide":     "Decided",
	"fingerprint.read":    "Viewed an enrolled fingerprint",
}

// timeline is the case's audit entries in words; runs of evidence views by
// one person are folded into one line.
func (u *UI) timeline(r *http.Request, v *store.Verification, rv store.Review) ([]timelineEntry, error) {
	entries, err := u.db.AuditOf(r.Context(), "verification", v.ID, 1000)
	if err != nil {
		return nil, err
	}
	var out []timelineEntry
	for _, e := range entries {
		te := timelineEntry{At: e.At, Actor: e.Actor.Name, What: actionText[e.Action]}
		if te.What == "" {
			te.What = e.Action
		}
		switch e.Action {
		case "verification.create":
			te.Detail = fmt.Sprintf("%s, counter %s, %s", e.Details["recommendation"], e.Details["counter"], e.Details["direction"])
		case "verification.read", "evidence.read", "fingerprint.read":
			// Reads by one person within minutes of each other are one line.
			unit := "files"
			if e.Action == "verification.read" {
				unit = "times"
			}
			merged := false
			for k := len(out) - 1; k >= 0 && out[k].read && !merged; k-- {
				if out[k].What == te.What && out[k].Actor == te.Actor && e.At.Sub(out[k].At) < 10*time.Minute {
					n := 1
					fmt.Sscanf(out[k].Detail, "%d", &n)
					out[k].Detail = fmt.Sprintf("%d %s", n+1, unit)
					merged = true
				}
			}
			if merged {
				continue
			}
			te.read = true
			te.Detail = "1 " + strings.TrimSuffix(unit, "s")
			if unit == "times" {
				te.Detail = "once"
			}
		case "review.assign":
			if e.Details["to"] == "" {
				te.What, te.Detail = "Returned to the open queue", ""
			} else {
				te.Detail = "to " + e.Details["to"]
			}
			if e.Details["escalation"] == "ended" {
				te.What = "Handed back from the escalation"
			}
		case "review.escalate":
			te.Detail = "to " + e.Details["to"]
			te.Note = rv.EscalationNote
		case "movement.decide":
			te.Detail = e.Details["decision"]
			if a := e.Details["actions"]; a != "" && a != "[]" {
				te.Detail += ", " + strings.NewReplacer(`"`, "", "[", "", "]", "", ",", ", ", "_", " ").Replace(a)
			}
			te.Note = rv.DecisionComment
		}
		out = append(out, te)
	}
	return out, nil
}

// browserImage says whether browsers show a content type as it is.
func browserImage(ct string) bool {
	return ct == "image/png" || ct == "image/jpeg" || ct == "image/bmp"
}

// handleEvidence serves one evidence file of a case, audited. Images that
// browsers cannot show (TIFF, WSQ, PNM) are converted to PNG.
func (u *UI) handleEvidence(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	name := chi.URLParam(r, "name")
	blob, err := u.vault.EvidenceBlob(r.Context(), v.ID, name)
	if errors.Is(err, store.ErrBlobNotFound) {
		u.fail(w, r, http.StatusNotFound, "The case has no evidence "+strconv.Quote(name)+".")
		return
	}
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The evidence could not be read.")
		return
	}
	info, data, err := u.vault.GetBlob(r.Context(), blob)
	if errors.Is(err, store.ErrBlobPurged) {
		u.fail(w, r, http.StatusGone, "This evidence was purged after its retention period; the report is kept.")
		return
	}
	if err != nil {
		u.log.Error("read evidence", "id", v.ID, "name", name, "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The evidence could not be decrypted; it has been logged.")
		return
	}
	if err := u.audit(r, "evidence.read", v.ID, map[string]string{"evidence": name, "via": "review page"}); err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The read could not be audited, so the evidence is not shown.")
		return
	}
	ct := info.ContentType
	if strings.HasPrefix(ct, "image/") && !browserImage(ct) {
		im, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			u.fail(w, r, http.StatusUnsupportedMediaType, "This image cannot be shown: "+err.Error())
			return
		}
		var b bytes.Buffer
		if err := png.Encode(&b, im); err != nil {
			u.fail(w, r, http.StatusInternalServerError, "The image could not be converted.")
			return
		}
		data, ct = b.Bytes(), "image/png"
	}
	if !strings.HasPrefix(ct, "image/") && ct != "application/pdf" {
		ct = "application/octet-stream"
		w.Header().Set("Content-Disposition", "attachment; filename="+strconv.Quote(name))
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(data)
}

// handleEnrolled draws the enrolled minutiae of a fingerprint candidate of
// the case as SVG (the gallery keeps templates, not images), with the
// matched minutiae the report names ringed. Only a candidate of this case
// can be drawn, and the view is audited.
func (u *UI) handleEnrolled(w http.ResponseWriter, r *http.Request) {
	v, ok := u.loadCase(w, r)
	if !ok {
		return
	}
	subject := chi.URLParam(r, "subject")
	rv, err := parseReport(v.Report)
	var cand *candidateView
	if err == nil {
		for i := range rv.Fingerprints {
			if rv.Fingerprints[i].Subject == subject {
				cand = &rv.Fingerprints[i]
			}
		}
	}
	if cand == nil {
		u.fail(w, r, http.StatusNotFound, "The subject is not a candidate of this case.")
		return
	}
	tpls, err := u.vault.EnrolledFingers(r.Context(), subject)
	if err != nil {
		u.log.Error("enrolled fingers", "subject", subject, "err", err)
		u.fail(w, r, http.StatusInternalServerError, "The enrolled fingerprint could not be read.")
		return
	}
	if len(tpls) == 0 {
		u.fail(w, r, http.StatusNotFound, "The subject has no enrolled fingerprint (removed from the watchlist?).")
		return
	}
	if err := u.audit(r, "fingerprint.read", v.ID, map[string]string{"subject": subject}); err != nil {
		u.fail(w, r, http.StatusInternalServerError, "The read could not be audited.")
		return
	}
	// The finger compared: the candidate's best finger position, else the
	// first enrolled.
	t := tpls[0]
	var pairs []pairView
	if len(cand.Fingers) > 0 {
		for _, tp := range tpls {
			if fmt.Sprint(tp.Position) == cand.Fingers[0].Position || strconv.Itoa(int(tp.Position)) == cand.Fingers[0].Position {
				t = tp
			}
		}
		pairs = cand.Fingers[0].Pairs
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, no-store")
	fmt.Fprint(w, minutiaeSVG(&t, pairs, false, "enrolled template of "+subject))
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}
