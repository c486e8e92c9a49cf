package docauth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"sort"
	"strings"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

// The names of the checks, in the order they are reported.
const (
	CheckQuality     = "quality.image"
	CheckUVPaper     = "uv.paper.dullness"
	CheckUVFeatures  = "uv.features.presence"
	CheckUVFibres    = "uv.fibres.presence"
	CheckIRMRZ       = "ir.mrz.absorption"
	CheckIRFields    = "ir.fields.absorption"
	CheckIRDropout   = "ir.dropout.vanishing"
	CheckPattern     = "white.pattern.match"
	CheckPortrait    = "portrait.substitution"
	CheckVIZ         = "viz.mrz.consistency"
	CheckMRZ         = "mrz.plausibility"
	genericPaperHi   = 0.40 // UV/white ratio of paper without a profile
	genericMRZIRLo   = 0.5  // MRZ absorption without a profile
	minPPI           = 100
	maxBadFraction   = 0.3
	maxGlareFraction = 0.12
)

// CheckNames lists every check the Checker reports, in order.
var CheckNames = []string{CheckQuality, CheckUVPaper, CheckUVFeatures, CheckUVFibres, CheckIRMRZ, CheckIRFields,
	CheckIRDropout, CheckPattern, CheckPortrait, CheckVIZ, CheckMRZ}

// Checker authenticates captures against a set of profiles. It is
// immutable once made and safe for concurrent use.
type Checker struct {
	profiles []*compiled
}

type compiled struct {
	p     *profile.Profile
	sides map[string]*side
	// ref is the coarse (1 mm) white luminance of each side's template,
	// for orientation and identification.
	ref map[string]plane
}

// NewChecker prepares the profiles for checking.
func NewChecker(profiles []*profile.Profile) (*Checker, error) {
	c := &Checker{}
	seen := map[string]bool{}
	for _, p := range profiles {
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("docauth: profile %s: %w", p.ID, err)
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("docauth: profile %s given twice", p.ID)
		}
		seen[p.ID] = true
		cp := &compiled{p: p, sides: map[string]*side{}, ref: map[string]plane{}}
		for i := range p.Sides {
			s := compileSide(&p.Sides[i])
			cp.sides[p.Sides[i].Name] = s
			if s.white != nil {
				cp.ref[p.Sides[i].Name] = coarsen(s.white, s.tw, s.th, int(p.Page.WidthMM), int(p.Page.HeightMM))
			}
		}
		c.profiles = append(c.profiles, cp)
	}
	return c, nil
}

// NewCheckerFromStore reads every profile of a store.
func NewCheckerFromStore(st *profile.Store) (*Checker, error) {
	ps, err := st.List()
	if err != nil {
		return nil, err
	}
	return NewChecker(ps)
}

// Profiles returns the checker's profiles.
func (c *Checker) Profiles() []*profile.Profile {
	out := make([]*profile.Profile, len(c.profiles))
	for i, p := range c.profiles {
		out[i] = p.p
	}
	return out
}

// coarsen resamples a template plane (TemplateMM cells) to w x h cells of
// 1 mm by box averaging.
func coarsen(p plane, tw, th, w, h int) plane {
	out := make(plane, w*h)
	for j := 0; j < h; j++ {
		for i := 0; i < w; i++ {
			x0, x1 := i*tw/w, max((i+1)*tw/w, i*tw/w+1)
			y0, y1 := j*th/h, max((j+1)*th/h, j*th/h+1)
			var s float32
			n := 0
			for y := y0; y < min(y1, th); y++ {
				for x := x0; x < min(x1, tw); x++ {
					s += p[y*tw+x]
					n++
				}
			}
			if n > 0 {
				out[j*w+i] = s / float32(n)
			}
		}
	}
	return out
}

// Input is what Check looks at.
type Input struct {
	// Capture holds the images (required).
	Capture *devices.Capture
	// MRZ is the machine readable zone as read (nil when unread): it
	// identifies the model and feeds mrz.plausibility and
	// viz.mrz.consistency.
	MRZ *mrz.Result
	// MRZQuad, when not nil, is the MRZ's outline as the MRZ reader found
	// it (corners in reading order, pixels of the side MRZSide: "front"
	// or "back", default "front"). Without a profile it orients the page
	// and places the MRZ; otherwise the profile does.
	MRZQuad *[4]devices.Point
	MRZSide string
	// VIZ are the printed fields as read (nil when unread).
	VIZ []Reading
	// VIZReader, when not nil, reads the printed fields while the other
	// checks run: the profile's field regions after registration, or the
	// page when no profile fits. Its readings are compared with the MRZ
	// together with VIZ.
	VIZReader VIZReader
	// Evidence asks for image crops of every region a check looked at;
	// nothing is cropped when false.
	Evidence bool
	// EvidenceNotPassed, with Evidence, crops only the regions of checks
	// that did not pass (what a reviewer looks at): cropping every
	// region of every check costs copies of a page's worth of pixels
	// that a counter's verification then throws away.
	EvidenceNotPassed bool
}

// Result is the outcome of Check.
type Result struct {
	// Model is the id of the profile the document was checked against,
	// empty when none fitted; Revision its revision.
	Model    string
	Revision int
	// Identified says how the model was chosen.
	Identified string
	// Checks holds one check per name of CheckNames.
	Checks []engine.Check
	// Evidence holds the crops asked for; Check.Evidence names them.
	Evidence []Evidence
	// VIZ are the printed fields Input.VIZReader read.
	VIZ []Reading
}

// Evidence is an image crop showing what a check looked at.
type Evidence struct {
	Name  string
	Check string
	Side  string
	Light devices.Light
	// Region is where the crop lies in the side's image.
	Region image.Rectangle
	Image  image.Image
}

// Check authenticates one capture: it identifies the model (MRZ issuer,
// document code and format, then the page's shape and pattern), registers
// each side to the model's profile and runs every check. Without a
// fitting profile it runs the profile-free checks and reports the others
// NOT_PERFORMED. An error is returned only for unusable input (no capture,
// no image); what the images do not allow to judge is an UNDETERMINED
// check.
func (c *Checker) Check(ctx context.Context, in Input) (*Result, error) {
	if in.Capture == nil {
		return nil, errors.New("docauth: no capture")
	}
	if err := in.Capture.Validate(); err != nil {
		return nil, fmt.Errorf("docauth: %w", err)
	}
	res := &Result{}
	cands, why := c.candidates(in)
	var best *compiled
	var bestReg map[string]*registered
	bestScore := math.Inf(-1)
	for _, cp := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		regs, score := c.registerAll(in.Capture, cp)
		if regs == nil {
			continue
		}
		if score > bestScore {
			best, bestReg, bestScore = cp, regs, score
		}
	}
	// Identified by image alone: the pattern must agree.
	if best != nil && in.MRZ == nil && bestScore < 0.35 {
		best = nil
		why = fmt.Sprintf("no profile's page pattern matches (best correlation %.2f)", bestScore)
	}
	if best == nil {
		res.Identified = why
		job := startVIZPage(ctx, in)
		res.Checks = c.profileFree(ctx, in, why, res)
		if job != nil {
			job.finish(in, res)
		}
		return res, nil
	}
	res.Model, res.Revision = best.p.ID, best.p.Revision
	res.Identified = why
	job := startVIZ(ctx, in, best, bestReg)
	res.Checks = c.withProfile(in, best, bestReg, res)
	if job != nil {
		job.finish(in, res)
	}
	return res, nil
}

// candidates returns the profiles that may fit: by the MRZ's issuer,
// document code and format when it was read, else all of them.
func (c *Checker) candidates(in Input) ([]*compiled, string) {
	if in.MRZ == nil {
		if len(c.profiles) == 0 {
			return nil, "no profiles loaded"
		}
		return c.profiles, "by page pattern (MRZ not read)"
	}
	issuer := strings.Trim(in.MRZ.Value(mrz.IssuingState), "<")
	code := strings.Trim(in.MRZ.Value(mrz.DocumentCode), "<")
	format := in.MRZ.Format.String()
	var exact, loose []*compiled
	for _, cp := range c.profiles {
		p := cp.p
		if p.Issuer != issuer || (p.MRZFormat != "" && p.MRZFormat != format) {
			continue
		}
		for _, dc := range p.DocumentCodes {
			if dc == code {
				exact = append(exact, cp)
				break
			}
			if len(code) > 0 && dc[0] == code[0] {
				loose = append(loose, cp)
				break
			}
		}
	}
	desc := fmt.Sprintf("issuer %s, document code %s, format %s", issuer, code, format)
	if len(exact) > 0 {
		return exact, "by MRZ (" + desc + ")"
	}
	if len(loose) > 0 {
		return loose, "by MRZ (" + desc + ", document code's first letter)"
	}
	return nil, "no profile for " + desc
}

// registerAll registers every side the profile has; the score is the
// coarse white correlation of the front (or the only side).
func (c *Checker) registerAll(cap *devices.Capture, cp *compiled) (map[string]*registered, float64) {
	W, H := cp.p.Page.WidthMM, cp.p.Page.HeightMM
	regs := map[string]*registered{}
	score := math.Inf(-1)
	for _, ps := range cp.p.Sides {
		sd := sideOf(cap, ps.Name)
		if sd == nil {
			continue
		}
		ref := cp.ref[ps.Name]
		var orient orientFunc
		if ref != nil {
			orient = templateOrient(ref, int(W), int(H))
		} else if ps.MRZ {
			orient = mrzAtBottom
		}
		rg, err := register(sd, W, H, orient)
		if err != nil {
			regs[ps.Name] = nil
			continue
		}
		regs[ps.Name] = rg
		if ref != nil && (ps.Name == "front" || math.IsInf(score, -1)) {
			l := devices.White
			if rg.src.white == nil {
				l = devices.IR
			}
			p, w, h := rg.src.lumCoarse(l, rg.a.s.toImage, W, H)
			if p != nil && len(p) == len(ref) {
				v, _ := ncc(grid{w: w, h: h, p: p}, ref, w, imageRect(w, h), 0, 0, nil)
				score = v
			}
		}
	}
	if len(regs) == 0 {
		return nil, 0
	}
	if math.IsInf(score, -1) {
		score = 0
	}
	return regs, score
}

// status order for merging the sides of a check: the most telling first.
func rank(s engine.Status) int {
	switch s {
	case engine.Fail:
		return 5
	case engine.Aborted:
		return 4
	case engine.Undetermined:
		return 3
	case engine.Pass:
		return 2
	}
	return 1
}

// sideCheck is one check's verdict on one side.
type sideCheck struct {
	engine.Check
	side    string
	light   devices.Light
	regions []regionRef
}

type regionRef struct {
	name string
	box  [4]float64
}

func (c *Checker) withProfile(in Input, cp *compiled, regs map[string]*registered, res *Result) []engine.Check {
	byName := map[string][]sideCheck{}
	sideNames := make([]string, 0, len(cp.p.Sides))
	for _, ps := range cp.p.Sides {
		sideNames = append(sideNames, ps.Name)
	}
	for _, name := range sideNames {
		rg, ok := regs[name]
		sd := cp.sides[name]
		if !ok {
			for _, n := range CheckNames[:9] {
				byName[n] = append(byName[n], sideCheck{Check: engine.Check{Name: n, Status: engine.NotPerformed,
					Reason: fmt.Sprintf("the %s side was not captured", name)}, side: name})
			}
			continue
		}
		if rg == nil {
			for _, n := range CheckNames[:9] {
				byName[n] = append(byName[n], sideCheck{Check: engine.Check{Name: n, Status: engine.Undetermined,
					Reason: fmt.Sprintf("no page found on the %s side", name)}, side: name})
			}
			continue
		}
		for _, ck := range sideChecks(rg, sd, cp.p) {
			ck.side = name
			byName[ck.Name] = append(byName[ck.Name], ck)
		}
	}
	var out []engine.Check
	for _, n := range CheckNames[:9] {
		out = append(out, c.merge(n, byName[n], regs, in, res, len(sideNames) > 1))
	}
	out = append(out, checkVIZ(in.MRZ, in.VIZ), checkMRZPlausibility(in.MRZ))
	return out
}

// merge combines a check's verdicts on each side: the most telling status
// wins, its reason names the side on two-sided documents, and evidence
// is cropped on request.
func (c *Checker) merge(name string, cks []sideCheck, regs map[string]*registered, in Input, res *Result, twoSided bool) engine.Check {
	if len(cks) == 0 {
		return engine.Check{Name: name, Status: engine.NotPerformed, Reason: "the profile describes nothing this check measures"}
	}
	sort.SliceStable(cks, func(i, j int) bool { return rank(cks[i].Status) > rank(cks[j].Status) })
	w := cks[0]
	out := w.Check
	if twoSided {
		var parts []string
		for _, ck := range cks {
			if ck.Status == engine.NotPerformed && len(cks) > 1 {
				continue
			}
			parts = append(parts, ck.side+": "+ck.Reason)
		}
		out.Reason = strings.Join(parts, "; ")
	}
	evidence := in.Evidence && !(in.EvidenceNotPassed && out.Status == engine.Pass)
	rg := regs[w.side]
	if rg != nil {
		for _, r := range w.regions {
			box := rg.a.s.imageRegion(r.box, w.light)
			if box.Empty() {
				continue
			}
			out.Regions = append(out.Regions, engine.Region{Light: w.light, X: box.Min.X, Y: box.Min.Y, W: box.Dx(), H: box.Dy()})
			if evidence {
				ev := crop(regs, w.side, w.light, box)
				if ev != nil {
					evName := fmt.Sprintf("%s/%s/%s/%s", name, w.side, w.light, r.name)
					res.Evidence = append(res.Evidence, Evidence{Name: evName, Check: name, Side: w.side, Light: w.light, Region: box, Image: ev})
					out.Evidence = append(out.Evidence, evName)
				}
			}
		}
	}
	return out
}

// crop copies a box of one light's image of a side, row by row (the
// evidence images are gray or RGBA, as the capture's).
func crop(regs map[string]*registered, side string, l devices.Light, box image.Rectangle) image.Image {
	rg := regs[side]
	if rg == nil || rg.img == nil {
		return nil
	}
	im := rg.img.Image(l)
	if im == nil {
		return nil
	}
	box = box.Intersect(im.Bounds())
	if box.Empty() {
		return nil
	}
	switch m := im.(type) {
	case *image.Gray:
		out := image.NewGray(image.Rect(0, 0, box.Dx(), box.Dy()))
		copyRows(out.Pix, out.Stride, m.Pix[m.PixOffset(box.Min.X, box.Min.Y):], m.Stride, box.Dx(), box.Dy())
		return out
	case *image.RGBA:
		out := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
		copyRows(out.Pix, out.Stride, m.Pix[m.PixOffset(box.Min.X, box.Min.Y):], m.Stride, 4*box.Dx(), box.Dy())
		return out
	default:
		out := image.NewRGBA(image.Rect(0, 0, box.Dx(), box.Dy()))
		draw.Draw(out, out.Bounds(), m, box.Min, draw.Src)
		return out
	}
}

// copyRows copies h rows of n bytes between two strided buffers.
func copyRows(dst []byte, dstStride int, src []byte, srcStride, n, h int) {
	for y := 0; y < h; y++ {
		copy(dst[y*dstStride:y*dstStride+n], src[y*srcStride:y*srcStride+n])
	}
}

func threshold(m *profile.Measurement) string {
	switch {
	case m.Lo != nil && m.Hi != nil:
		return fmt.Sprintf("in [%.3g, %.3g]", *m.Lo, *m.Hi)
	case m.Lo != nil:
		return fmt.Sprintf(">= %.3g", *m.Lo)
	case m.Hi != nil:
		return fmt.Sprintf("<= %.3g", *m.Hi)
	}
	return "no bound"
}

func within(m *profile.Measurement, v float64) bool {
	return (m.Lo == nil || v >= *m.Lo) && (m.Hi == nil || v <= *m.Hi)
}

// judge compares one measurement with the profile's range.
func judge(name string, m measurement, pm *profile.Measurement, what string) engine.Check {
	ck := engine.Check{Name: name}
	if pm == nil {
		ck.Status, ck.Reason = engine.NotPerformed, "the profile has no reference for "+what
		return ck
	}
	ck.Threshold = threshold(pm)
	if !m.ok {
		ck.Status, ck.Reason = engine.Undetermined, what+": too little of it visible to measure (glare, a thumb, or out of view)"
		return ck
	}
	ck.Value = engine.Measured(m.value)
	if within(pm, m.value) {
		ck.Status = engine.Pass
		ck.Reason = fmt.Sprintf("%s %.3g, genuine documents %.3g ± %.2g", what, m.value, pm.Mean, pm.Std)
	} else {
		ck.Status = engine.Fail
		ck.Reason = fmt.Sprintf("%s %.3g outside %s (genuine documents %.3g ± %.2g)", what, m.value, ck.Threshold, pm.Mean, pm.Std)
	}
	return ck
}
