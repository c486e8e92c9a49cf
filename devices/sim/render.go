package sim

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"checkpost/devices"
	"checkpost/mrz"
)

// Spec says what to render: a model, a seed, forgeries, degradations and
// the resolution.
type Spec struct {
	// Model names the document model; empty means DefaultModel.
	Model string
	// Seed makes the capture reproducible: the same Spec renders
	// byte-identical images. The holder, document and portrait depend on
	// the seed only, so a forged capture shows the same document as the
	// genuine one of the same seed.
	Seed uint64
	// PPI is the rendering resolution (DefaultPPI when 0); the degradation
	// "resolution" resamples afterwards.
	PPI float64
	// Forgeries and Degradations to apply (canonical order is enforced).
	Forgeries    []Applied
	Degradations []Applied
}

// DefaultPPI is the resolution of document readers' captures.
const DefaultPPI = 300

// MinPPI and MaxPPI bound the rendering resolution.
const (
	MinPPI = 100
	MaxPPI = 1200
)

// marginMM is the scanner glass visible around the page.
const marginMM = 2.0

// Simulator renders synthetic captures. It caches each model's static
// layers (paper, background art, headings, labels) per resolution and
// paper, and the glyphs of its fonts; it is safe for concurrent use.
type Simulator struct {
	fonts *fonts
	mu    sync.Mutex
	cache map[staticKey]*staticDoc
	faces map[faceKey]*typeface
}

type staticKey struct {
	model  string
	ppi    float64
	bright bool // UV-bright substitute paper
}

type faceKey struct {
	font fontID
	ppem float64
}

// New loads the fonts (OCR-B from the system, see OCRBPath) and returns a
// simulator.
func New() (*Simulator, error) {
	f, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return &Simulator{fonts: f, cache: map[staticKey]*staticDoc{}, faces: map[faceKey]*typeface{}}, nil
}

// face returns the typeface of font id with an em of ppem pixels.
func (s *Simulator) face(id fontID, ppem float64) *typeface {
	ppem = math.Round(ppem*4) / 4
	s.mu.Lock()
	defer s.mu.Unlock()
	k := faceKey{id, ppem}
	if tf, ok := s.faces[k]; ok {
		return tf
	}
	tf, err := newTypeface(s.fonts.f[id], ppem)
	if id == fontOCRB {
		tf.cff = s.fonts.ocrb
	}
	if err != nil {
		// The fonts parsed at New; a face of a positive size cannot fail.
		panic(fmt.Sprintf("sim: face %d at %g px: %v", id, ppem, err))
	}
	s.faces[k] = tf
	return tf
}

// staticDoc holds a model's static layers at one resolution.
type staticDoc struct {
	m           *Model
	px          float64
	front, back *staticSide
}

type staticSide struct {
	lay       *layout
	base      *canvas
	page      image.Rectangle
	overprint [2]*image.Alpha
	opBox     image.Rectangle
	codeBox   image.Rectangle
}

func (s *Simulator) static(m *Model, ppi float64, bright bool) *staticDoc {
	k := staticKey{m.Name, ppi, bright}
	s.mu.Lock()
	sd, ok := s.cache[k]
	s.mu.Unlock()
	if ok {
		return sd
	}
	sd = &staticDoc{m: m, px: ppi / 25.4}
	paper := paperGenuine
	if bright {
		paper = paperBright
	}
	sd.front = s.buildSide(m, m.Front, sd.px, paper)
	if m.Back != nil {
		sd.back = s.buildSide(m, m.Back, sd.px, paper)
	}
	s.mu.Lock()
	if prev, ok := s.cache[k]; ok {
		sd = prev // another goroutine built it meanwhile
	} else {
		s.cache[k] = sd
	}
	s.mu.Unlock()
	return sd
}

// mmRect converts a box in page millimetres to image pixels.
func mmRect(r rectMM, px float64) image.Rectangle {
	return image.Rect(int(math.Round((r.x+marginMM)*px)), int(math.Round((r.y+marginMM)*px)),
		int(math.Round((r.x+r.w+marginMM)*px)), int(math.Round((r.y+r.h+marginMM)*px)))
}

func mmX(x, px float64) float64 { return (x + marginMM) * px }

func (s *Simulator) buildSide(m *Model, lay *layout, px float64, paper ink) *staticSide {
	w := int(math.Round((m.WidthMM + 2*marginMM) * px))
	h := int(math.Round((m.HeightMM + 2*marginMM) * px))
	c := newCanvas(w, h, px)
	c.fill(scannerBackground)
	ss := &staticSide{lay: lay, base: c, page: mmRect(rectMM{0, 0, m.WidthMM, m.HeightMM}, px)}
	paper.wa, paper.ia, paper.ua = 255, 255, 255
	c.rect(ss.page, &paper)
	c.guilloche(ss.page, m, lay)
	if lay.mrz {
		// Microprint band above the MRZ, and a clear zone under it.
		micro := s.face(fontSans, 0.75*px)
		top := m.HeightMM - lay.mrzLines[0] - 3.4
		c.microprint(micro, "REPUBLICOFUTOPIA", mmX(2, px), mmX(m.WidthMM-2, px), mmX(top, px))
	}
	for _, t := range lay.titles {
		id := fontSans
		if t.bold {
			id = fontBold
		}
		k := titleInk
		if t.irVis {
			k = titleIRInk
		}
		c.text(s.face(id, t.size*px), t.text, mmX(t.x, px), mmX(t.y, px), &k)
	}
	if len(lay.titles) > 0 && lay.titles[0].x > 15 {
		c.emblem(mmX(10, px), mmX(9, px), 6*px, &titleInk)
	}
	label := s.face(fontSans, labelEM*px)
	for _, f := range lay.fields {
		c.text(label, f.label, mmX(f.x, px), mmX(f.y+1.3, px), &labelInk)
	}
	if lay.code != "" {
		// The code fills its box's height, unless that makes it too wide.
		tf := s.face(fontBold, lay.codeAt.h*1.3*px)
		if w := tf.width(lay.code); w > lay.codeAt.w*px {
			tf = s.face(fontBold, lay.codeAt.h*1.3*px*lay.codeAt.w*px/w)
		}
		ss.codeBox = c.text(tf, lay.code, mmX(lay.codeAt.x, px), mmX(lay.codeAt.y+lay.codeAt.h, px), &codeInk)
	}
	if !lay.overprint.empty() {
		ss.opBox = mmRect(lay.overprint, px)
		ss.overprint = overprintMask(ss.opBox.Dx(), ss.opBox.Dy(), px, s.face(fontBold, lay.overprint.w/5.5*px), "UTOPIA")
	}
	return ss
}

// Render renders one capture.
func (s *Simulator) Render(spec Spec) (*devices.Capture, error) {
	name := spec.Model
	if name == "" {
		name = DefaultModel
	}
	m, err := LookupModel(name)
	if err != nil {
		return nil, err
	}
	ppi := spec.PPI
	if ppi == 0 {
		ppi = DefaultPPI
	}
	if ppi < MinPPI || ppi > MaxPPI {
		return nil, fmt.Errorf("sim: resolution %g ppi outside %d..%d", ppi, MinPPI, MaxPPI)
	}
	fs := spec.Forgeries
	for _, f := range fs {
		if lookupKind(forgeryKinds, f.Name) == nil {
			return nil, fmt.Errorf("sim: unknown forgery %q", f.Name)
		}
	}
	for _, d := range spec.Degradations {
		if lookupKind(degradationKinds, d.Name) == nil {
			return nil, fmt.Errorf("sim: unknown degradation %q", d.Name)
		}
	}
	// Independent streams, so that a forgery or degradation never changes
	// the document drawn from the same seed.
	stream := func(n uint64) *rand.Rand { return rand.New(rand.NewPCG(spec.Seed, 0x5eed0000+n)) }
	rngPerson, rngArt, rngPortrait, rngForgery := stream(1), stream(2), stream(3), stream(4)

	_, bright := has(fs, "uv-bright-paper")
	_, copied := has(fs, "photocopy")
	sd := s.static(m, ppi, bright && !copied)
	p := randomPerson(rngPerson, m)
	doc := p.mrzDocument(m)
	printed := p.fields(m)

	truth := &devices.Truth{Model: m.Name, Format: m.Format.String(), Forgery: Label(fs), Seed: spec.Seed, PPI: ppi}
	var mismatched []string
	if _, ok := has(fs, "field-altered"); ok {
		mismatched = append(mismatched, alterField(rngForgery, printed, &p))
	}
	if _, ok := has(fs, "mrz-altered"); ok {
		mismatched = append(mismatched, alterMRZ(rngForgery, &doc))
	}
	lines, err := mrz.Generate(doc)
	if err != nil {
		return nil, fmt.Errorf("sim: %s seed %d: %w", m.Name, spec.Seed, err)
	}
	if _, ok := has(fs, "mrz-check-digits"); ok {
		breakCheckDigits(rngForgery, m.Format, lines)
	}
	truth.MRZ = lines
	truth.Document = documentData(doc)
	truth.Mismatched = uniq(mismatched)

	r := &renderer{s: s, sd: sd, m: m, fs: fs, rngArt: rngArt, rngPortrait: rngPortrait, rngForgery: rngForgery, truth: truth}
	front := r.side("front", sd.front, printed, lines)
	capture := &devices.Capture{PPI: ppi, Source: devices.SourceSimulator,
		Origin: fmt.Sprintf("checkpost simulator: %s seed %d", m.Name, spec.Seed), Truth: truth}
	truth.MRZSide = "front"
	var back *canvas
	if sd.back != nil {
		back = r.side("back", sd.back, printed, lines)
		truth.MRZSide = "back"
	}
	for _, f := range m.Front.fields {
		truth.Fields = append(truth.Fields, devices.Field{Name: f.name, Label: f.label, Value: printed[f.name], IRDark: f.irDark, Side: "front"})
	}
	if m.Back != nil {
		for _, f := range m.Back.fields {
			truth.Fields = append(truth.Fields, devices.Field{Name: f.name, Label: f.label, Value: printed[f.name], IRDark: f.irDark, Side: "back"})
		}
	}
	// Degrade each side; the regions of a side move with its pixels.
	dg := newDegrader(spec.Seed, spec.Degradations, ppi)
	frontRegions, backRegions := splitRegions(truth.Regions)
	fside, fregs, applied := dg.apply(front, frontRegions, r.mrzBox("front"), 0)
	capture.Side = fside
	truth.Regions = fregs
	if back != nil {
		bside, bregs, _ := dg.apply(back, backRegions, r.mrzBox("back"), 1)
		capture.Back = &bside
		truth.Regions = append(truth.Regions, bregs...)
	}
	truth.Degradations = applied
	if dg.ppi != ppi {
		capture.PPI, truth.PPI = dg.ppi, dg.ppi
	}
	return capture, nil
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func documentData(d mrz.Document) devices.DocumentData {
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format("2006-01-02")
	}
	return devices.DocumentData{
		DocumentCode: d.DocumentCode, IssuingState: d.IssuingState, DocumentNumber: d.DocumentNumber,
		Surname: mrzName(d.Surname), GivenNames: mrzName(d.GivenNames), Nationality: d.Nationality, Sex: d.Sex,
		BirthDate: date(d.BirthDate), ExpiryDate: date(d.ExpiryDate), OptionalData: d.OptionalData,
	}
}

// mrzName is a name as the MRZ spells it, fillers as spaces.
func mrzName(s string) string {
	out := []byte(mrz.Transliterate(s))
	for i, b := range out {
		if b == '<' {
			out[i] = ' '
		}
	}
	return string(out)
}

// fields returns the printed values of every field a model may print.
func (p *person) fields(m *Model) map[string]string {
	nat := p.nationality
	if nat == "UTO" {
		nat = "UTOPIAN / UTO"
	}
	authority := "MINISTRY OF TRAVEL"
	if m.DocumentCode == "V" {
		authority = "CONSULATE PORT MERIDIAN"
	}
	typ := m.DocumentCode
	return map[string]string{
		"type": typ, "code": m.Issuer, "document_number": p.number,
		"surname": latinName(p.surname), "given_names": latinName(p.given), "nationality": nat,
		"birth_date": printedDate(p.birth), "sex": p.sex, "birth_place": p.birthPlace,
		"issue_date": printedDate(p.issue), "expiry_date": printedDate(p.expiry), "authority": authority,
	}
}

// renderer draws the personalised layers of one capture.
type renderer struct {
	s           *Simulator
	sd          *staticDoc
	m           *Model
	fs          []Applied
	rngArt      *rand.Rand
	rngPortrait *rand.Rand
	rngForgery  *rand.Rand
	truth       *devices.Truth
	mrzBoxes    map[string]image.Rectangle
}

func (r *renderer) mrzBox(side string) image.Rectangle { return r.mrzBoxes[side] }

// addRegion records an axis-aligned box of the undegraded side.
func (r *renderer) addRegion(name, side string, b image.Rectangle) {
	if b.Empty() {
		return
	}
	reg := devices.Region{Name: name, Side: side, Quad: [4]devices.Point{
		{X: float64(b.Min.X), Y: float64(b.Min.Y)}, {X: float64(b.Max.X), Y: float64(b.Min.Y)},
		{X: float64(b.Max.X), Y: float64(b.Max.Y)}, {X: float64(b.Min.X), Y: float64(b.Max.Y)}}}
	reg.X, reg.Y, reg.W, reg.H = b.Min.X, b.Min.Y, b.Dx(), b.Dy()
	r.truth.Regions = append(r.truth.Regions, reg)
}

func (r *renderer) side(name string, ss *staticSide, printed map[string]string, lines []string) *canvas {
	c := ss.base.clone()
	px := r.sd.px
	lay := ss.lay
	r.addRegion("page", name, ss.page)
	if !ss.codeBox.Empty() {
		r.addRegion("ir.code", name, ss.codeBox)
	}
	_, copied := has(r.fs, "photocopy")
	// Overprint and fibres first: the personalisation prints over them.
	if !ss.opBox.Empty() && !copied {
		_, missing := has(r.fs, "uv-overprint-missing")
		if !missing {
			box := ss.opBox
			if f, ok := has(r.fs, "uv-overprint-misplaced"); ok {
				shift := f.Strength
				if !f.HasStrength {
					shift = 8 + r.rngForgery.Float64()*12
				}
				a := r.rngForgery.Float64() * 2 * math.Pi
				d := image.Pt(int(shift*px*math.Cos(a)), int(shift*px*math.Sin(a)))
				box = box.Add(d)
			}
			for i, msk := range ss.overprint {
				k := ink{uv: r.m.overprint[i], ua: 235}
				c.mask(msk, box.Min.X, box.Min.Y, &k)
			}
			r.addRegion("uv.overprint", name, box.Intersect(ss.page))
		}
	}
	if !copied {
		c.fibres(r.rngArt, ss.page.Inset(int(0.5*px)))
		r.addRegion("uv.fibres", name, ss.page)
	}
	if !lay.portrait.empty() {
		zone := mmRect(lay.portrait, px)
		pc := drawPortrait(r.rngPortrait, int(lay.portrait.w/portraitMMPerPixel), int(lay.portrait.h/portraitMMPerPixel))
		c.portrait(pc, zone, r.m.PortraitIR, false)
		r.addRegion("portrait", name, zone)
		if _, ok := has(r.fs, "portrait-substituted"); ok {
			r.pastePortrait(c, zone, name)
		}
	}
	if !lay.signature.empty() {
		b := mmRect(lay.signature, px)
		c.signature(r.rngArt, b)
		r.addRegion("signature", name, b)
	}
	// Printed fields.
	for i, f := range lay.fields {
		v := printed[f.name]
		k := valueInkVisible
		if f.irDark {
			k = valueInkB900
		}
		// Shrink long values to the room before the next field on the
		// row or the page's edge.
		room := r.m.WidthMM - 3 - f.x
		for j, g := range lay.fields {
			if j != i && g.y == f.y && g.x > f.x && g.x-f.x-1.5 < room {
				room = g.x - f.x - 1.5
			}
		}
		em := valueEM
		tf := r.s.face(fontSans, em*px)
		if w := tf.width(v) / px; w > room {
			em = math.Max(1.6, em*room/w)
			tf = r.s.face(fontSans, em*px)
		}
		box := c.text(tf, v, mmX(f.x, px), mmX(f.y+1.3+1.1, px)+tf.capHeight, &k)
		r.addRegion("field."+f.name, name, box)
	}
	if lay.mrz {
		r.drawMRZ(c, name, lay, lines)
	}
	if copied {
		r.photocopy(c, ss.page)
		r.addRegion("forged.photocopy", name, ss.page)
	}
	if _, ok := has(r.fs, "uv-bright-paper"); ok && !copied {
		r.addRegion("forged.paper", name, ss.page)
	}
	return c
}

func (r *renderer) drawMRZ(c *canvas, side string, lay *layout, lines []string) {
	px := r.sd.px
	pitch := mrzPitchMM * px
	tf := r.s.ocrbFace(pitch)
	k := mrzInk
	if _, ok := has(r.fs, "mrz-ir-transparent"); ok {
		k = mrzInkIRClear
	}
	n := len(lines[0])
	x0 := mmX((r.m.WidthMM-float64(n)*mrzPitchMM)/2, px)
	var all image.Rectangle
	for i, l := range lines {
		centre := mmX(r.m.HeightMM-lay.mrzLines[i], px)
		base := centre + tf.capHeight/2
		c.monospace(tf, l, x0, base, pitch, &k)
		box := image.Rect(int(math.Floor(x0)), int(math.Floor(base-tf.capHeight)), int(math.Ceil(x0+float64(n)*pitch)), int(math.Ceil(base))+1)
		r.addRegion(fmt.Sprintf("mrz.line%d", i+1), side, box)
		all = all.Union(box)
	}
	r.addRegion("mrz", side, all)
	if r.mrzBoxes == nil {
		r.mrzBoxes = map[string]image.Rectangle{}
	}
	r.mrzBoxes[side] = all
	if k.ia == 0 {
		r.addRegion("forged.mrz", side, all)
	}
}

// ocrbFace returns OCR-B sized so that its advance is the MRZ pitch.
func (s *Simulator) ocrbFace(pitch float64) *typeface {
	ref := s.face(fontOCRB, 100)
	adv := ref.glyph('<').advance
	return s.face(fontOCRB, 100*pitch/adv)
}

// portrait composes the portrait canvas pc into zone. Under white light
// the drawn face; under IR the face's luminance when the model prints the
// portrait in IR-absorbing ink (else nothing); under UV a darkening of the
// dull paper. A genuine portrait's plain background fades into the page;
// a pasted photo (opaque) covers it.
func (c *canvas) portrait(pc *canvas, zone image.Rectangle, irVisible, opaque bool) {
	zw, zh := float64(zone.Dx()), float64(zone.Dy())
	sx, sy := float64(pc.w)/zw, float64(pc.h)/zh
	for y := max(zone.Min.Y, 0); y < min(zone.Max.Y, c.h); y++ {
		fy := (float64(y-zone.Min.Y)+0.5)*sy - 0.5
		y0 := int(math.Floor(fy))
		ty := fy - float64(y0)
		y0c, y1c := clampInt(y0, 0, pc.h-1), clampInt(y0+1, 0, pc.h-1)
		for x := max(zone.Min.X, 0); x < min(zone.Max.X, c.w); x++ {
			fx := (float64(x-zone.Min.X)+0.5)*sx - 0.5
			x0 := int(math.Floor(fx))
			tx := fx - float64(x0)
			x0c, x1c := clampInt(x0, 0, pc.w-1), clampInt(x0+1, 0, pc.w-1)
			var rgb [3]float64
			for ch := 0; ch < 3; ch++ {
				a := float64(pc.white.Pix[y0c*pc.white.Stride+4*x0c+ch])
				b := float64(pc.white.Pix[y0c*pc.white.Stride+4*x1c+ch])
				cc := float64(pc.white.Pix[y1c*pc.white.Stride+4*x0c+ch])
				d := float64(pc.white.Pix[y1c*pc.white.Stride+4*x1c+ch])
				rgb[ch] = (a*(1-tx)+b*tx)*(1-ty) + (cc*(1-tx)+d*tx)*ty
			}
			fg := float64(pc.ir.Pix[clampInt(int(math.Round(fy)), 0, pc.h-1)*pc.ir.Stride+clampInt(int(math.Round(fx)), 0, pc.w-1)]) / 255
			alpha := fg + (1-fg)*0.55
			if opaque {
				alpha = 1
			}
			lum := 0.299*rgb[0] + 0.587*rgb[1] + 0.114*rgb[2]
			i := y*c.white.Stride + 4*x
			for ch := 0; ch < 3; ch++ {
				c.white.Pix[i+ch] = uint8(float64(c.white.Pix[i+ch])*(1-alpha) + rgb[ch]*alpha + 0.5)
			}
			if irVisible {
				// Carbon-based portrait: dark where the face is dark.
				j := y*c.ir.Stride + x
				v := float64(c.ir.Pix[j]) * (0.25 + 0.75*lum/255)
				c.ir.Pix[j] = uint8(float64(c.ir.Pix[j])*(1-alpha) + v*alpha + 0.5)
			}
			f := 0.45 + 0.45*lum/255
			for ch := 0; ch < 3; ch++ {
				v := float64(c.uv.Pix[i+ch])
				c.uv.Pix[i+ch] = uint8(v*(1-alpha) + v*f*alpha + 0.5)
			}
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// splitRegions separates the front's regions from the back's.
func splitRegions(rs []devices.Region) (front, back []devices.Region) {
	for _, r := range rs {
		if r.Side == "back" {
			back = append(back, r)
		} else {
			front = append(front, r)
		}
	}
	return front, back
}
