package docauth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"checkpost/devices"
	"checkpost/engine/docauth/profile"
)

// LearnOptions name the model a profile is learned for.
type LearnOptions struct {
	// ID names the profile (required).
	ID string
	// Title, Issuer, DocumentCodes, MRZFormat, Generation, Year: see
	// profile.Profile. Issuer, DocumentCodes and MRZFormat come from the
	// captures' ground truth when left empty (simulator captures); real
	// captures need them.
	Title         string
	Issuer        string
	DocumentCodes []string
	MRZFormat     string
	Generation    string
	Year          int
	// PageMM is the page's size; when zero it is measured on the
	// captures (which must then state their resolution) or taken from
	// the MRZ format's standard size.
	PageMM [2]float64
	// Regions adds regions per side name ("front", "back"), replacing
	// regions of the same name found in the captures' ground truth.
	Regions map[string][]profile.Region
	// MaxValidityDays is the longest a document of the model is valid,
	// in days (profile.Profile.MaxValidityDays); when zero it is the
	// longest of the captures' ground truth (their MRZ's date of expiry
	// less their printed date of issue), else unknown.
	MaxValidityDays int
	// Progress, when not nil, is called after each capture of each pass.
	Progress func(pass string, done, total int)
}

// StandardPage returns the page size of an MRZ format (ICAO Doc 9303:
// ID-1 for TD1, ID-2 for TD2, ID-3 for TD3, MRV-A 120 x 80, MRV-B
// 105 x 74 millimetres).
func StandardPage(format string) (w, h float64, ok bool) {
	switch format {
	case "TD1":
		return 85.6, 54, true
	case "TD2", "MRV-B":
		return 105, 74, true
	case "TD3":
		return 125, 88, true
	case "MRV-A":
		return 120, 80, true
	}
	return 0, 0, false
}

// standardMRZ returns the band where an MRZ of the format lies, as a
// normalised box of the page: ICAO places the lines' centres a fixed
// distance above the bottom edge; the band holds them with a margin.
func standardMRZ(format string, W, H float64) ([4]float64, bool) {
	var top, bottom float64 // mm above the bottom edge
	switch format {
	case "TD1":
		top, bottom = 16.5, 2.5
	case "TD2", "MRV-B", "TD3", "MRV-A":
		top, bottom = 18, 6.5
	default:
		return [4]float64{}, false
	}
	return [4]float64{3 / W, (H - top) / H, (W - 3) / W, (H - bottom) / H}, true
}

// Learn builds a profile from genuine captures of one model: each side is
// found, oriented and rectified; the first capture fixes the orientation
// (its ground truth, else the MRZ at the bottom) and the others are
// registered to it; the mean images become the templates, regions come
// from the ground truth or the options (UV features are found in the mean
// UV image when none is given), and every measurement's range follows from
// its spread over the captures.
func Learn(ctx context.Context, captures []*devices.Capture, opt LearnOptions) (*profile.Profile, error) {
	if !profile.ValidID(opt.ID) {
		return nil, fmt.Errorf("docauth: learn: %q is not a profile id (lower-case letters, digits, '.', '_', '-')", opt.ID)
	}
	if len(captures) == 0 {
		return nil, errors.New("docauth: learn: no captures")
	}
	p := &profile.Profile{ID: opt.ID, Title: opt.Title, Issuer: opt.Issuer, DocumentCodes: opt.DocumentCodes,
		MRZFormat: opt.MRZFormat, Generation: opt.Generation, Year: opt.Year, MaxValidityDays: opt.MaxValidityDays}
	if p.MaxValidityDays == 0 {
		p.MaxValidityDays = truthValidity(captures)
	}
	for _, c := range captures {
		if c.Truth == nil {
			continue
		}
		if p.Issuer == "" {
			p.Issuer = strings.Trim(c.Truth.Document.IssuingState, "<")
		}
		if len(p.DocumentCodes) == 0 {
			p.DocumentCodes = []string{strings.Trim(c.Truth.Document.DocumentCode, "<")}
		}
		if p.MRZFormat == "" {
			p.MRZFormat = c.Truth.Format
		}
		break
	}
	if p.Issuer == "" || len(p.DocumentCodes) == 0 {
		return nil, errors.New("docauth: learn: the issuer and document codes are unknown (give them; only simulator captures carry them)")
	}
	// Page size.
	W, H := opt.PageMM[0], opt.PageMM[1]
	if W <= 0 || H <= 0 {
		var ws, hs []float64
		for _, c := range captures {
			if c.PPI <= 0 {
				continue
			}
			pq, ok := findPage(&c.Side)
			if !ok {
				continue
			}
			q := pq.corners
			d := func(i int) float64 { a, b := q[i%4], q[(i+1)%4]; return math.Hypot(a.X-b.X, a.Y-b.Y) }
			a, b := (d(0)+d(2))/2, (d(1)+d(3))/2
			ws = append(ws, math.Max(a, b)/c.PPI*25.4)
			hs = append(hs, math.Min(a, b)/c.PPI*25.4)
		}
		if len(ws) > 0 {
			W, H = math.Round(medianF(ws)*10)/10, math.Round(medianF(hs)*10)/10
		} else if w, h, ok := StandardPage(p.MRZFormat); ok {
			W, H = w, h
		} else {
			return nil, errors.New("docauth: learn: the page size is unknown (the captures state no resolution and no MRZ format is given)")
		}
	}
	p.Page = profile.Page{WidthMM: W, HeightMM: H}

	sideNames := []string{"front"}
	if captures[0].Back != nil {
		sideNames = append(sideNames, "back")
	}
	mrzSide := "front"
	if captures[0].Truth != nil && captures[0].Truth.MRZSide != "" {
		mrzSide = captures[0].Truth.MRZSide
	} else if captures[0].Back != nil && (p.MRZFormat == "TD1") {
		mrzSide = "back"
	}
	for _, name := range sideNames {
		ps, err := learnSide(ctx, captures, name, name == mrzSide, p, opt)
		if err != nil {
			return nil, err
		}
		p.Sides = append(p.Sides, *ps)
	}
	p.Learned = profile.Learned{At: time.Now().UTC().Truncate(time.Second), Captures: len(captures),
		Tool: fmt.Sprintf("checkpost docauth.Learn (cell %.2f mm, template %.2f mm)", CellMM, TemplateMM)}
	for _, c := range captures {
		if len(p.Learned.Sources) < 1000 {
			p.Learned.Sources = append(p.Learned.Sources, c.Origin)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("docauth: learn: %w", err)
	}
	return p, nil
}

func sideOf(c *devices.Capture, name string) *devices.Side {
	if name == "back" {
		return c.Back
	}
	return &c.Side
}

func medianF(v []float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[len(c)/2]
}

// truthValidity returns the longest validity of the captures with a
// ground truth, in days (their MRZ's date of expiry less their printed
// date of issue), 0 when none tells it.
func truthValidity(captures []*devices.Capture) int {
	longest := 0
	for _, c := range captures {
		if c.Truth == nil {
			continue
		}
		expiry, err := time.Parse("2006-01-02", c.Truth.Document.ExpiryDate)
		if err != nil {
			continue
		}
		for _, f := range c.Truth.Fields {
			if f.Name != "issue_date" {
				continue
			}
			if issued, ok := parsePrintedDate(f.Value); ok && !issued.Time().After(expiry) {
				longest = max(longest, validityDays(issued.Time(), expiry))
			}
		}
	}
	return longest
}

// validityDays is the number of days from issued to expiry.
func validityDays(issued, expiry time.Time) int {
	return int(math.Round(expiry.Sub(issued).Hours() / 24))
}

// truthOrient scores orientations by how close the page's top-left corner
// lands to the ground truth's.
func truthOrient(t *devices.Truth, side string) orientFunc {
	var tl devices.Point
	found := false
	for _, r := range t.Regions {
		if r.Name == "page" && (r.Side == side || (r.Side == "" && side == "front")) {
			tl, found = r.Quad[0], true
		}
	}
	if !found {
		return nil
	}
	return func(src *sources, hm homography, W, H float64) float64 {
		x, y := hm.apply(0, 0)
		return -math.Hypot(x-tl.X, y-tl.Y)
	}
}

// templateOrient scores orientations by the correlation of the coarse
// white luminance with a reference of w x h cells of 1 mm, both
// high-passed so that uneven light and glare, which do not turn with the
// page, weigh nothing.
func templateOrient(ref plane, w, h int) orientFunc {
	if len(ref) != w*h {
		return nil
	}
	refHP := highPass(ref, w, h, 4)
	return func(src *sources, hm homography, W, H float64) float64 {
		l := devices.White
		if src.white == nil {
			l = devices.IR
		}
		p, pw, ph := src.lumCoarse(l, hm, W, H)
		if p == nil || pw != w || ph != h {
			return 0
		}
		g := grid{w: w, h: h, p: highPass(p, w, h, 4)}
		v, _ := ncc(g, refHP, w, imageRect(w, h), 0, 0, nil)
		return v
	}
}

func learnSide(ctx context.Context, captures []*devices.Capture, name string, hasMRZ bool, p *profile.Profile, opt LearnOptions) (*profile.Side, error) {
	W, H := p.Page.WidthMM, p.Page.HeightMM
	ps := &profile.Side{Name: name, MRZ: hasMRZ}
	var regs []*registered
	var ref plane
	var refW, refH int
	regionBoxes := map[string][4]float64{}
	regionKinds := map[string]profile.Kind{}
	regionIRDark := map[string]bool{}
	for i, c := range captures {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sd := sideOf(c, name)
		if sd == nil {
			return nil, fmt.Errorf("docauth: learn: capture %s has no %s side", c.Origin, name)
		}
		var orient orientFunc
		switch {
		case ref != nil:
			orient = templateOrient(ref, refW, refH)
		case c.Truth != nil:
			orient = truthOrient(c.Truth, name)
		case hasMRZ:
			orient = mrzAtBottom
		}
		rg, err := register(sd, W, H, orient)
		if err != nil {
			return nil, fmt.Errorf("docauth: learn: %s (%s side): %w", c.Origin, name, err)
		}
		if ref == nil {
			l := devices.White
			if rg.src.white == nil {
				l = devices.IR
			}
			ref, refW, refH = rg.src.lumCoarse(l, rg.a.s.toImage, W, H)
		}
		regs = append(regs, rg)
		if c.Truth != nil {
			truthRegions(c.Truth, name, rg.a.s, W, H, regionBoxes, regionKinds, regionIRDark)
		}
		if opt.Progress != nil {
			opt.Progress("register "+name, i+1, len(captures))
		}
	}
	// Templates: means over the captures, cells a thumb or glare spoiled
	// left out.
	s0 := regs[0].a.s
	tw, th := s0.w/2, s0.h/2
	n := tw * th
	sum := make([][]float64, 7)
	for k := range sum {
		sum[k] = make([]float64, n)
	}
	cnt := make([]float64, n)
	sumL, sumLL := make([]float64, n), make([]float64, n)
	for _, rg := range regs {
		a := rg.a
		planes := []plane{a.s.wr, a.s.wg, a.s.wb, a.s.ir, a.s.ur, a.s.ug, a.s.ub}
		var half []grid
		for _, pl := range planes {
			if pl == nil {
				half = append(half, grid{})
				continue
			}
			half = append(half, a.half(pl))
		}
		ref := half[0]
		if ref.p == nil {
			for _, hg := range half {
				if hg.p != nil {
					ref = hg
					break
				}
			}
		}
		for i := 0; i < n; i++ {
			if ref.bad != nil && ref.bad[i] {
				continue
			}
			cnt[i]++
			for k, hg := range half {
				if hg.p != nil {
					sum[k][i] += float64(hg.p[i])
				}
			}
			if half[0].p != nil {
				l := 0.299*float64(half[0].p[i]) + 0.587*float64(half[1].p[i]) + 0.114*float64(half[2].p[i])
				sumL[i] += l
				sumLL[i] += l * l
			}
		}
	}
	mean := func(ks ...int) []uint8 {
		out := make([]uint8, n*len(ks))
		for i := 0; i < n; i++ {
			for j, k := range ks {
				v := 0.0
				if cnt[i] > 0 {
					v = sum[k][i] / cnt[i]
				}
				out[i*len(ks)+j] = uint8(math.Max(0, math.Min(255, math.Round(v))))
			}
		}
		return out
	}
	grid3 := func(name string, pix []uint8, ch int) profile.Grid {
		return profile.Grid{Name: name, W: tw, H: th, Channels: ch, CellMM: TemplateMM, Pix: pix}
	}
	first := regs[0].a.s
	if first.hasWhite() {
		ps.Templates = append(ps.Templates, grid3("white", mean(0, 1, 2), 3))
	}
	if first.hasIR() {
		ps.Templates = append(ps.Templates, grid3("ir", mean(3), 1))
	}
	if first.hasUV() {
		ps.Templates = append(ps.Templates, grid3("uv", mean(4, 5, 6), 3))
	}
	// Regions: ground truth, then the options, then defaults.
	for nm, b := range regionBoxes {
		ps.Regions = append(ps.Regions, profile.Region{Name: nm, Kind: regionKinds[nm], Box: b, IRDark: regionIRDark[nm]})
	}
	for _, r := range opt.Regions[name] {
		ps.Regions = slices.DeleteFunc(ps.Regions, func(q profile.Region) bool { return q.Name == r.Name })
		ps.Regions = append(ps.Regions, r)
	}
	if _, ok := ps.Region("mrz"); !ok && hasMRZ {
		if b, ok := standardMRZ(p.MRZFormat, W, H); ok {
			ps.Regions = append(ps.Regions, profile.Region{Name: "mrz", Kind: profile.KindMRZ, Box: b})
		}
	}
	if !slices.ContainsFunc(ps.Regions, func(r profile.Region) bool { return r.Kind == profile.KindUVFeature }) {
		if uv := ps.Template("uv"); uv != nil {
			ps.Regions = append(ps.Regions, findUVFeatures(uv, ps.Regions)...)
		}
	}
	sort.Slice(ps.Regions, func(i, j int) bool { return ps.Regions[i].Name < ps.Regions[j].Name })
	// Masks: the static cells (the same on every genuine document: not
	// personalised, and, with three captures or more, little spread) and
	// the IR-dropout art (visible in white, gone in IR).
	c := compileSide(ps)
	static := make([]uint8, n)
	for i := 0; i < n; i++ {
		x, y := i%tw, i/tw
		if inAny(x, y, c.personal) || cnt[i] == 0 {
			continue
		}
		if len(regs) >= 3 {
			m := sumL[i] / cnt[i]
			if sd := math.Sqrt(math.Max(0, sumLL[i]/cnt[i]-m*m)); sd > 14 {
				continue
			}
		}
		static[i] = 255
	}
	ps.Templates = append(ps.Templates, grid3("static", static, 1))
	if first.hasWhite() && first.hasIR() {
		wl := make(plane, n)
		ir := make(plane, n)
		for i := 0; i < n; i++ {
			if cnt[i] > 0 {
				wl[i] = float32((0.299*sum[0][i] + 0.587*sum[1][i] + 0.114*sum[2][i]) / cnt[i])
				ir[i] = float32(sum[3][i] / cnt[i])
			}
		}
		bw, bi := paperLevel(wl, tw, th), paperLevel(ir, tw, th)
		drop := make([]uint8, n)
		for i := 0; i < n; i++ {
			x, y := i%tw, i/tw
			if static[i] == 0 || inAny(x, y, c.personal) {
				continue
			}
			if cw := contrast(wl[i], bw[i]); cw > 0.2 && contrast(ir[i], bi[i]) < 0.25*cw {
				drop[i] = 255
			}
		}
		ps.Templates = append(ps.Templates, grid3("dropout", drop, 1))
	}
	ps.Glyphs = learnGlyphs(captures, regs, ps, name, W, H)
	// Measurements over the captures, against the finished templates.
	c = compileSide(ps)
	vals := map[string][]float64{}
	for i, rg := range regs {
		for k, m := range measureAll(rg.a, c) {
			if m.ok {
				vals[k] = append(vals[k], m.value)
			}
		}
		if opt.Progress != nil {
			opt.Progress("measure "+name, i+1, len(regs))
		}
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ps.Measurements = append(ps.Measurements, summarise(k, vals[k]))
	}
	return ps, nil
}

// learnGlyphs learns the characters of the side's number and date fields
// from the captures' printed values (ground truth; a genuine document
// prints the MRZ's): each field cut out as the reader cuts it, wholly in
// view, its glyphs kept when they are as many as the value's characters.
func learnGlyphs(captures []*devices.Capture, regs []*registered, ps *profile.Side, side string, W, H float64) *profile.GlyphSet {
	gl := newGlyphLearner()
	for i, c := range captures {
		if c.Truth == nil {
			continue
		}
		rg := regs[i]
		if rg.img == nil || rg.img.White == nil {
			continue
		}
		a := *rg.a
		a.bad = hidingCells(rg.a)
		for _, f := range c.Truth.Fields {
			if !glyphFields[f.Name] || f.Side != "" && f.Side != side {
				continue
			}
			r, ok := ps.Region("field." + f.Name)
			if !ok || r.Kind != profile.KindField {
				continue
			}
			box, scale := fieldCropBox(ps.Regions, r, W, H, rg.a.s.pxPerMM)
			if hiddenFraction(&a, [4]float64{box[0] / W, box[1] / H, box[2] / W, box[3] / H}) > 0 {
				continue
			}
			if im := rectifyGray(rg.img.White, rg.a.s.toImage, box, scale); im != nil {
				gl.add(f.Name, f.Value, im, scale)
			}
		}
	}
	return gl.set()
}

func inAny(x, y int, rs []image.Rectangle) bool {
	for _, r := range rs {
		if x >= r.Min.X && x < r.Max.X && y >= r.Min.Y && y < r.Max.Y {
			return true
		}
	}
	return false
}

// truthRegions maps the ground truth's regions of a side onto the page
// and grows the boxes in boxes to hold them (a field's value is as long as
// the holder's name: the union over captures is where it may be).
func truthRegions(t *devices.Truth, side string, s *sheet, W, H float64, boxes map[string][4]float64, kinds map[string]profile.Kind, irDark map[string]bool) {
	// Image to page: invert the page-to-image map through the corners.
	var img [4]pt
	for i, c := range [4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}} {
		x, y := s.toImage.apply(c.X, c.Y)
		img[i] = pt{x, y}
	}
	toPage, ok := solveHomography(img, [4]pt{{0, 0}, {W, 0}, {W, H}, {0, H}})
	if !ok {
		return
	}
	for _, r := range t.Regions {
		rs := r.Side
		if rs == "" {
			rs = "front"
		}
		if rs != side {
			continue
		}
		kind, ok := truthKind(r.Name)
		if !ok {
			continue
		}
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, q := range r.Quad {
			x, y := toPage.apply(q.X, q.Y)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
		b := [4]float64{clamp01(minX / W), clamp01(minY / H), clamp01(maxX / W), clamp01(maxY / H)}
		if b[2] <= b[0] || b[3] <= b[1] {
			continue
		}
		if old, ok := boxes[r.Name]; ok {
			b = [4]float64{math.Min(old[0], b[0]), math.Min(old[1], b[1]), math.Max(old[2], b[2]), math.Max(old[3], b[3])}
		}
		boxes[r.Name] = b
		kinds[r.Name] = kind
		if kind == profile.KindField {
			if f, ok := t.Field(strings.TrimPrefix(r.Name, "field.")); ok {
				irDark[r.Name] = f.IRDark
			}
		}
	}
}

func truthKind(name string) (profile.Kind, bool) {
	switch {
	case name == "mrz":
		return profile.KindMRZ, true
	case name == "portrait":
		return profile.KindPortrait, true
	case name == "signature":
		return profile.KindSignature, true
	case strings.HasPrefix(name, "field."):
		return profile.KindField, true
	case name == "uv.overprint":
		return profile.KindUVFeature, true
	case strings.HasPrefix(name, "ir."):
		return profile.KindIRDark, true
	}
	return "", false
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

func imageRect(w, h int) image.Rectangle { return image.Rect(0, 0, w, h) }

// findUVFeatures finds the fluorescent features of a mean UV image: cells
// well above the paper's median glow, grouped into components of at least
// 16 mm² (single fibres are smaller, and average out over many captures),
// each a region "uv.feature.N" (the largest 12, boxes grown by 1 mm).
func findUVFeatures(g *profile.Grid, existing []profile.Region) []profile.Region {
	l := gridLum(g)
	vals := append([]float32(nil), l...)
	paper := median(vals)
	dev := make([]float32, len(l))
	for i, v := range l {
		d := v - paper
		if d < 0 {
			d = -d
		}
		dev[i] = d
	}
	mad := median(dev)
	thr := paper + max(20, 5*mad)
	w, h := g.W, g.H
	mask := make([]bool, w*h)
	for i, v := range l {
		if v > thr {
			// Dilate by 2 cells so that a pattern of thin lines is one
			// component.
			x, y := i%w, i/w
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					xx, yy := x+dx, y+dy
					if xx >= 0 && yy >= 0 && xx < w && yy < h {
						mask[yy*w+xx] = true
					}
				}
			}
		}
	}
	type comp struct {
		r    image.Rectangle
		area int
	}
	var comps []comp
	seen := make([]bool, w*h)
	var stack []int
	for i := range mask {
		if !mask[i] || seen[i] {
			continue
		}
		seen[i] = true
		stack = append(stack[:0], i)
		r := image.Rect(i%w, i/w, i%w+1, i/w+1)
		area := 0
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			area++
			x, y := j%w, j/w
			r = r.Union(image.Rect(x, y, x+1, y+1))
			for _, nb := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if nb[0] < 0 || nb[1] < 0 || nb[0] >= w || nb[1] >= h {
					continue
				}
				k := nb[1]*w + nb[0]
				if mask[k] && !seen[k] {
					seen[k] = true
					stack = append(stack, k)
				}
			}
		}
		if float64(area)*g.CellMM*g.CellMM >= 16 {
			comps = append(comps, comp{r, area})
		}
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].area > comps[j].area })
	if len(comps) > 12 {
		comps = comps[:12]
	}
	sort.Slice(comps, func(i, j int) bool {
		a, b := comps[i].r.Min, comps[j].r.Min
		return a.Y < b.Y || (a.Y == b.Y && a.X < b.X)
	})
	grow := int(math.Round(1 / g.CellMM))
	var out []profile.Region
	for k, c := range comps {
		r := c.r.Inset(-grow).Intersect(image.Rect(0, 0, w, h))
		out = append(out, profile.Region{Name: fmt.Sprintf("uv.feature.%d", k+1), Kind: profile.KindUVFeature,
			Box: [4]float64{float64(r.Min.X) / float64(w), float64(r.Min.Y) / float64(h), float64(r.Max.X) / float64(w), float64(r.Max.Y) / float64(h)}})
	}
	return out
}
