package docauth

import (
	"context"
	"fmt"
	"math"
	"strings"

	"checkpost/devices"
	"checkpost/engine"
	"checkpost/engine/docauth/profile"
)

var wholePage = [4]float64{0, 0, 1, 1}

// sideChecks runs the optical checks of one registered side against its
// profile side.
func sideChecks(rg *registered, sd *side, p *profile.Profile) []sideCheck {
	a := rg.a
	ms := measureAll(a, sd)
	ps := sd.ps
	var out []sideCheck
	add := func(ck engine.Check, l devices.Light, regs ...regionRef) {
		out = append(out, sideCheck{Check: ck, light: l, regions: regs})
	}
	page := regionRef{"page", wholePage}

	// 1. Image quality: never a FAIL.
	q := engine.Check{Name: CheckQuality, Threshold: fmt.Sprintf("resolution >= %d ppi, page in view, glare <= %.0f%%, thumb or glare <= %.0f%%, sharpness >= 0.5 of the profile's", minPPI, 100*maxGlareFraction, 100*maxBadFraction)}
	var problems []string
	ppi := a.s.pxPerMM * 25.4
	if ppi < minPPI {
		problems = append(problems, fmt.Sprintf("resolution %.0f ppi", ppi))
	}
	if !rg.quad.inView {
		problems = append(problems, "the page is not wholly in view")
	}
	if a.glare > maxGlareFraction {
		problems = append(problems, fmt.Sprintf("glare over %.0f%% of the page", 100*a.glare))
	}
	if a.badFrac > maxBadFraction {
		problems = append(problems, fmt.Sprintf("%.0f%% of the page hidden by glare or a thumb", 100*a.badFrac))
	}
	sharpRel := 1.0
	if pm := ps.Measurement(mSharpness); pm != nil && pm.Mean > 0 {
		sharpRel = ms[mSharpness].value / pm.Mean
		q.Value = engine.Measured(sharpRel)
		if sharpRel < 0.5 {
			problems = append(problems, fmt.Sprintf("out of focus (sharpness %.2f of the profile's)", sharpRel))
		}
	}
	if len(problems) > 0 {
		q.Status, q.Reason = engine.Undetermined, "image quality: "+strings.Join(problems, "; ")
	} else {
		q.Status, q.Reason = engine.Pass, fmt.Sprintf("%.0f ppi, page in view, %.1f%% glare, sharpness %.2f of the profile's", ppi, 100*a.glare, sharpRel)
	}
	add(q, devices.White, page)

	// 2. UV-dull paper.
	if a.ul == nil || a.wl == nil {
		add(engine.Check{Name: CheckUVPaper, Status: engine.NotPerformed, Reason: "no UV or no white image"}, devices.UV)
	} else {
		add(judge(CheckUVPaper, ms[mPaperRatio], ps.Measurement(mPaperRatio), "paper UV/white ratio"), devices.UV, page)
	}

	// 3. UV features in place, fibres.
	out = append(out, regionChecks(CheckUVFeatures, devices.UV, ps, ms, mUVFeature, func(r profile.Region) bool { return r.Kind == profile.KindUVFeature },
		"correlation with the profile's pattern", a.ul != nil)...)
	if a.ul == nil {
		add(engine.Check{Name: CheckUVFibres, Status: engine.NotPerformed, Reason: "no UV image"}, devices.UV)
	} else {
		ck := judge(CheckUVFibres, ms[mFibres], ps.Measurement(mFibres), "fibre cells per cm²")
		if ck.Status == engine.Fail {
			if bl := blockiness(rg.img); sharpRel < 0.8 || bl > 1.08 {
				ck.Status = engine.Undetermined
				ck.Reason += fmt.Sprintf("; but the image is too blurred or compressed to show fibres (sharpness %.2f, JPEG blockiness %.2f)", sharpRel, bl)
			}
		}
		add(ck, devices.UV, page)
	}

	// 4. IR: the MRZ and the IR-dark fields absorb, the dropout art
	// vanishes.
	if !ps.MRZ {
		add(engine.Check{Name: CheckIRMRZ, Status: engine.NotPerformed, Reason: "no MRZ on this side"}, devices.IR)
	} else if a.s.ir == nil {
		add(engine.Check{Name: CheckIRMRZ, Status: engine.NotPerformed, Reason: "no IR image"}, devices.IR)
	} else {
		r, _ := ps.Region("mrz")
		add(judge(CheckIRMRZ, ms[mMRZIR], ps.Measurement(mMRZIR), "MRZ IR/white contrast ratio"), devices.IR, regionRef{"mrz", r.Box})
	}
	out = append(out, regionChecks(CheckIRFields, devices.IR, ps, ms, mFieldIR, func(r profile.Region) bool {
		return r.Kind == profile.KindIRDark || (r.Kind == profile.KindField && r.IRDark)
	}, "IR/white contrast ratio", a.s.ir != nil)...)
	if a.s.ir == nil {
		add(engine.Check{Name: CheckIRDropout, Status: engine.NotPerformed, Reason: "no IR image"}, devices.IR)
	} else {
		add(judge(CheckIRDropout, ms[mDropout], ps.Measurement(mDropout), "IR/white contrast ratio of the IR-dropout art"), devices.IR, page)
	}

	// 5. White-light pattern.
	if a.wl == nil {
		add(engine.Check{Name: CheckPattern, Status: engine.NotPerformed, Reason: "no white image"}, devices.White)
	} else {
		ck := judge(CheckPattern, ms[mPattern], ps.Measurement(mPattern), "local correlation with the profile's page")
		if ck.Status == engine.Fail {
			if bl := blockiness(rg.img); sharpRel < 0.6 || bl > 1.3 {
				ck.Status = engine.Undetermined
				ck.Reason += fmt.Sprintf("; but the image is too blurred or compressed to compare fine print (sharpness %.2f, JPEG blockiness %.2f)", sharpRel, bl)
			}
		}
		add(ck, devices.White, page)
	}

	// 6. Portrait.
	if r, ok := ps.Region("portrait"); ok {
		var parts []engine.Check
		if a.ul != nil {
			parts = append(parts, judge(CheckPortrait, ms[mPortraitUV], ps.Measurement(mPortraitUV), "portrait UV glow relative to paper"))
		}
		if a.s.ir != nil {
			parts = append(parts, judge(CheckPortrait, ms[mPortraitIR], ps.Measurement(mPortraitIR), "portrait IR/white slope"))
		}
		if len(parts) == 0 {
			add(engine.Check{Name: CheckPortrait, Status: engine.NotPerformed, Reason: "no UV or IR image"}, devices.White)
		} else {
			add(worst(CheckPortrait, parts), devices.White, regionRef{"portrait", r.Box})
		}
	}
	return out
}

// regionChecks judges a per-region measurement over the regions sel
// picks, and reports them as one check: the worst region decides.
func regionChecks(name string, l devices.Light, ps *profile.Side, ms map[string]measurement, prefix string, sel func(profile.Region) bool, what string, have bool) []sideCheck {
	var parts []engine.Check
	var refs []regionRef
	var failing []regionRef
	for _, r := range ps.Regions {
		if !sel(r) {
			continue
		}
		pm := ps.Measurement(prefix + r.Name)
		if pm == nil {
			continue
		}
		if !have {
			return []sideCheck{{Check: engine.Check{Name: name, Status: engine.NotPerformed, Reason: "no " + string(l) + " image"}, light: l}}
		}
		ck := judge(name, ms[prefix+r.Name], pm, r.Name+" "+what)
		if m := ms[prefix+r.Name]; ck.Status == engine.Fail && (m.dx != 0 || m.dy != 0) {
			ck.Reason += fmt.Sprintf(" (best at %.1f, %.1f mm)", m.dx, m.dy)
		}
		parts = append(parts, ck)
		refs = append(refs, regionRef{r.Name, r.Box})
		if ck.Status == engine.Fail {
			failing = append(failing, regionRef{r.Name, r.Box})
		}
	}
	if len(parts) == 0 {
		return nil
	}
	ck := worst(name, parts)
	if len(failing) > 0 {
		refs = failing
	}
	return []sideCheck{{Check: ck, light: l, regions: refs}}
}

// worst combines verdicts on parts of one check: the most telling status,
// the value and threshold of its first instance, every reason of that
// status.
func worst(name string, parts []engine.Check) engine.Check {
	w := parts[0]
	for _, p := range parts[1:] {
		if rank(p.Status) > rank(w.Status) {
			w = p
		}
	}
	var reasons []string
	for _, p := range parts {
		if p.Status == w.Status {
			reasons = append(reasons, p.Reason)
		}
	}
	w.Name = name
	w.Reason = strings.Join(reasons, "; ")
	return w
}

// profileFree runs the checks that need no profile: the page's UV
// dullness against a generic bound, the MRZ's IR absorption at its
// standard place, the MRZ's plausibility; every other check is
// NOT_PERFORMED with why.
func (c *Checker) profileFree(ctx context.Context, in Input, why string, res *Result) []engine.Check {
	cap := in.Capture
	reason := "no reference profile: " + why
	format := ""
	if in.MRZ != nil {
		format = in.MRZ.Format.String()
	}
	W, H, known := StandardPage(format)
	mrzSide := "front"
	if format == "TD1" && cap.Back != nil {
		mrzSide = "back"
	}
	if in.MRZQuad != nil && in.MRZSide != "" {
		mrzSide = in.MRZSide
	}
	byName := map[string][]sideCheck{}
	regs := map[string]*registered{}
	for _, name := range []string{"front", "back"} {
		if ctx.Err() != nil {
			break
		}
		sd := sideOf(cap, name)
		if sd == nil {
			continue
		}
		w, h := W, H
		if !known {
			// Without a format the page's size is unknown; its shape is
			// enough for the paper's ratio.
			w, h = 125, 88
		}
		var orient orientFunc
		if name == mrzSide {
			orient = mrzAtBottom
			if in.MRZQuad != nil {
				orient = quadOrient(*in.MRZQuad)
			}
		}
		rg, err := register(sd, w, h, orient)
		if err != nil {
			byName[CheckQuality] = append(byName[CheckQuality], sideCheck{Check: engine.Check{Name: CheckQuality, Status: engine.Undetermined,
				Reason: "no page found on the " + name + " side"}, side: name})
			continue
		}
		regs[name] = rg
		a := rg.a
		q := engine.Check{Name: CheckQuality, Status: engine.Pass, Threshold: fmt.Sprintf("resolution >= %d ppi, page in view, glare <= %.0f%%", minPPI, 100*maxGlareFraction)}
		var problems []string
		if !rg.quad.inView {
			problems = append(problems, "the page is not wholly in view")
		}
		if known && a.s.pxPerMM*25.4 < minPPI {
			problems = append(problems, fmt.Sprintf("resolution %.0f ppi", a.s.pxPerMM*25.4))
		}
		if a.glare > maxGlareFraction {
			problems = append(problems, fmt.Sprintf("glare over %.0f%% of the page", 100*a.glare))
		}
		if len(problems) > 0 {
			q.Status, q.Reason = engine.Undetermined, "image quality: "+strings.Join(problems, "; ")
		} else {
			q.Reason = "page found and in view"
		}
		byName[CheckQuality] = append(byName[CheckQuality], sideCheck{Check: q, side: name, light: devices.White, regions: []regionRef{{"page", wholePage}}})
		if a.ul != nil && a.wl != nil {
			v, n := a.paperRatio(imageRect(a.s.w, a.s.h))
			ck := engine.Check{Name: CheckUVPaper, Threshold: fmt.Sprintf("<= %.2f (generic, no profile)", genericPaperHi)}
			if n < 50 {
				ck.Status, ck.Reason = engine.Undetermined, "too little plain paper visible"
			} else {
				ck.Value = engine.Measured(v)
				if v <= genericPaperHi {
					ck.Status, ck.Reason = engine.Pass, fmt.Sprintf("paper UV/white ratio %.3g: dull", v)
				} else {
					ck.Status, ck.Reason = engine.Fail, fmt.Sprintf("paper UV/white ratio %.3g above %.2f: the paper glows under UV", v, genericPaperHi)
				}
			}
			byName[CheckUVPaper] = append(byName[CheckUVPaper], sideCheck{Check: ck, side: name, light: devices.UV, regions: []regionRef{{"page", wholePage}}})
		}
		if name == mrzSide && known && a.s.ir != nil && a.wl != nil {
			box, _ := standardMRZ(format, W, H)
			if in.MRZQuad != nil {
				if b, ok := a.s.pageBox(*in.MRZQuad); ok {
					box = b
				}
			}
			v, n := a.absorption(a.s.cellRect(box), nil)
			ck := engine.Check{Name: CheckIRMRZ, Threshold: fmt.Sprintf(">= %.2f (generic, no profile)", genericMRZIRLo)}
			if n < 20 {
				ck.Status, ck.Reason = engine.Undetermined, "no MRZ print found at the format's standard place"
			} else {
				ck.Value = engine.Measured(v)
				if v >= genericMRZIRLo {
					ck.Status, ck.Reason = engine.Pass, fmt.Sprintf("MRZ IR/white contrast ratio %.3g: B900-type ink", v)
				} else {
					ck.Status, ck.Reason = engine.Fail, fmt.Sprintf("MRZ IR/white contrast ratio %.3g below %.2f: the MRZ ink does not absorb IR", v, genericMRZIRLo)
				}
			}
			byName[CheckIRMRZ] = append(byName[CheckIRMRZ], sideCheck{Check: ck, side: name, light: devices.IR, regions: []regionRef{{"mrz", box}}})
		}
	}
	var out []engine.Check
	for _, n := range CheckNames[:9] {
		cks := byName[n]
		if len(cks) == 0 {
			r := reason
			if n == CheckIRMRZ && !known {
				r = "the MRZ was not read, so its place is unknown"
			}
			out = append(out, engine.Check{Name: n, Status: engine.NotPerformed, Reason: r})
			continue
		}
		out = append(out, c.merge(n, cks, regs, in, res, cap.Back != nil))
	}
	out = append(out, checkVIZ(in.MRZ, in.VIZ), checkMRZPlausibility(in.MRZ))
	return out
}

// quadOrient scores an orientation by how well the page's x axis runs
// along the MRZ's lines (the reader's quad, in reading order).
func quadOrient(q [4]devices.Point) orientFunc {
	dx, dy := q[1].X-q[0].X, q[1].Y-q[0].Y
	return func(src *sources, hm homography, W, H float64) float64 {
		x0, y0 := hm.apply(0, H)
		x1, y1 := hm.apply(W, H)
		ex, ey := x1-x0, y1-y0
		n := math.Hypot(dx, dy) * math.Hypot(ex, ey)
		if n == 0 {
			return 0
		}
		return (dx*ex + dy*ey) / n
	}
}
