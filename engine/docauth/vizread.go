package docauth

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sort"
	"strings"

	"checkpost/engine"
	"checkpost/engine/docauth/profile"
	"checkpost/mrz"
)

// ErrVIZCutShort is what a VIZReader's error wraps when the reading ran
// out of its time (or was cancelled) before every field was read: the
// check is then ABORTED (the policy refers it to a human), not passed on
// the fields read by then, since the one left unread may be the altered
// one. A FAIL found in the fields read still stands.
var ErrVIZCutShort = errors.New("printed-field reading cut short")

// cutShort tells a reading stopped by time from one that could not be
// done at all.
func cutShort(err error) bool {
	return errors.Is(err, ErrVIZCutShort) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// VIZReader reads printed fields (OCR). The caller supplies one in
// Input.VIZReader (the pipeline adapts mrz/ocr/viz, which runs Tesseract),
// so that this package stays free of cgo. Both methods return what they
// read by the time ctx ends, with the context's cause as the error.
type VIZReader interface {
	// ReadFields reads fields cut out of a page of known layout.
	ReadFields(ctx context.Context, fields []FieldImage) ([]Reading, error)
	// ReadPage finds and reads the fields of a page of unknown layout, by
	// their labels and by the MRZ's values.
	ReadPage(ctx context.Context, page PageImage) ([]Reading, error)
}

// FieldImage is one printed field cut out of the page, upright.
type FieldImage struct {
	// Name is the field's name (the profile region's name without
	// "field.").
	Name  string
	Side  string
	Image image.Image
	// PxPerMM is the image's resolution.
	PxPerMM float64
	// Image is taken under white light; IR, when not nil, is the field
	// under IR (printed in IR-absorbing ink, the art vanished there): a
	// second view when the first reads badly.
	IR image.Image
}

// PageImage is a page of unknown layout, upright, for ReadPage.
type PageImage struct {
	Image   image.Image
	PxPerMM float64
	// MRZ is the zone as read (it tells which values to look for); MRZTop
	// is where the zone starts, in pixels from the top of Image (0 when
	// unknown): the printed fields lie above it.
	MRZ    *mrz.Result
	MRZTop int
}

// comparedFields are the fields viz.mrz.consistency compares.
var comparedFields = map[string]bool{"surname": true, "given_names": true, "document_number": true, "birth_date": true,
	"expiry_date": true, "sex": true, "nationality": true, "code": true, "type": true}

// readFields are the fields a VIZReader is given: the personalised ones a
// forger alters. Not the document code and the issuing state (static
// print that identifies the model anyway; Tesseract misread the lone code
// letter on 7.7% of genuine tuning captures), nor the nationality (most
// often printed in words, which are not compared): each field read costs
// Tesseract 10 to 45 ms of CPU. The sex is read (one letter; a lone
// letter once never returned: the reader's preparation looped, fixed in
// mrz/ocr/viz, and every Tesseract reading now has a deadline).
var readFields = map[string]bool{"surname": true, "given_names": true, "document_number": true, "birth_date": true,
	"expiry_date": true, "sex": true}

// maxHiddenFraction is the share of a field's cells under glare or a
// thumb above which the field is not read.
const maxHiddenFraction = 0.02

// ComparedField tells whether viz.mrz.consistency compares a field.
func ComparedField(name string) bool { return comparedFields[name] }

// Field crops are sampled at the image's resolution, kept within these
// bounds (px per mm): below, Tesseract's letters get too small; above,
// it only costs time.
const (
	fieldMinPxPerMM = 8
	fieldMaxPxPerMM = 12
	// fieldMargin grows a profile's field box on every side (its box is
	// the ink of the values it was learned from, and registration is off
	// by up to a millimetre on degraded captures); the reader whitens a
	// caption caught above or below the value.
	fieldMarginXMM = 1.5
	fieldMarginYMM = 1.0
	pagePxPerMM    = 8
)

// vizJob is a reading of the printed fields running beside the other
// checks.
type vizJob struct {
	done     chan struct{}
	readings []Reading
	err      error
	fields   int
	hidden   []string // fields not read: under glare or a thumb
	// parts are the fields partly hidden, read in part: Reading.Part.
	parts map[string]string
	// measured is closed once extents are filled in (beside the reading).
	measured chan struct{}
	// extents are the printed values' ink measured on the fields wholly
	// in view (no cell under glare, a thumb or a speck of either).
	extents map[string]inkExtent
	// glyphs are the number and date fields wholly in view cut into
	// characters (see glyphs.go).
	glyphs map[string]glyphField
	page   bool
	// issued is the date of issue's crop, when read; maxValidityDays the
	// profile's (weighValidity).
	issued          *issueCrop
	maxValidityDays int
}

// startVIZ starts reading the profile's field regions on the registered
// sides, or nil when there is no reader, no MRZ to compare with, or no
// field region.
func startVIZ(ctx context.Context, in Input, cp *compiled, regs map[string]*registered) *vizJob {
	if in.VIZReader == nil || in.MRZ == nil {
		return nil
	}
	W, H := cp.p.Page.WidthMM, cp.p.Page.HeightMM
	var fields []FieldImage
	var hidden []string
	parts := map[string]string{}
	extents := map[string]inkExtent{}
	glyphs := map[string]glyphField{}
	var measures []func()
	var issued *issueCrop
	for _, ps := range cp.p.Sides {
		rg := regs[ps.Name]
		if rg == nil || rg.img == nil || rg.img.White == nil && rg.img.IR == nil {
			continue
		}
		// What hides a field is a thumb or a patch of glare, not specks.
		va := *rg.a
		va.bad = hidingCells(rg.a)
		a := &va
		// The same without the thumb's grown rim, for the glyph fit of
		// a field seen in part (below); made when first needed, in the
		// goroutine that measures.
		var vc *analysis
		skinOnly := func() *analysis {
			if vc == nil {
				c := va
				if rg.a.core != nil {
					c.bad = make([]bool, len(va.bad))
					for i, b := range va.bad {
						c.bad[i] = b && rg.a.core[i]
					}
				}
				vc = &c
			}
			return vc
		}
		for _, r := range ps.Regions {
			name := strings.TrimPrefix(r.Name, "field.")
			issue := name == "issue_date" && cp.p.MaxValidityDays > 0
			if r.Kind != profile.KindField || !readFields[name] && !issue {
				continue
			}
			box, scale := fieldCropBox(ps.Regions, r, W, H, rg.a.s.pxPerMM)
			part, span := "", [2]float64{}
			hid := hiddenFraction(a, [4]float64{box[0] / W, box[1] / H, box[2] / W, box[3] / H})
			if issue {
				// The date of issue is read whole, wholly in view or
				// ending before what hides the end of its crop, or not
				// at all (weighValidity).
				im := rectifyGray(rg.img.White, rg.a.s.toImage, box, scale)
				if im == nil {
					continue
				}
				if hid > 0 {
					p, sp, ok := visibleSpan(a, box, r.Box[1]*H, r.Box[3]*H)
					if !ok || p != "start" {
						continue
					}
					seen := &image.Gray{Pix: append([]uint8(nil), im.Pix...), Stride: im.Stride, Rect: im.Rect}
					whitenHidden(seen, a, box, scale, sp)
					if !valueInView(seen, scale, sp[1]-box[0], 0) {
						continue
					}
					im = seen
				}
				issued = &issueCrop{im: im, pxPerMM: scale, glyphs: cp.sides[ps.Name].glyphs}
				fields = append(fields, FieldImage{Name: name, Side: ps.Name, Image: im, PxPerMM: scale})
				continue
			}
			if hid > 0 {
				// Partly hidden: what is in view of the value's beginning
				// or end is read alone, the rest whitened. A field little
				// hidden is read whole, unless its value ends before
				// the hidden part (below).
				p, sp, ok := visibleSpan(a, box, r.Box[1]*H, r.Box[3]*H)
				switch {
				case hid > maxHiddenFraction && !ok:
					hidden = append(hidden, name)
					continue
				case hid > maxHiddenFraction || ok && p == "start":
					part, span = p, sp
				}
			}
			// A field printed in IR-absorbing ink can also be read under
			// IR, where the background art vanishes.
			im := rectifyGray(rg.img.White, rg.a.s.toImage, box, scale)
			var alt *image.Gray
			if r.IRDark && rg.img.IR != nil {
				alt = rectifyGray(rg.img.IR, rg.a.s.toImage, box, scale)
			}
			if im == nil {
				im, alt = alt, nil
			}
			if im == nil {
				continue
			}
			whole, orig := false, im
			if part != "" {
				seen := &image.Gray{Pix: append([]uint8(nil), im.Pix...), Stride: im.Stride, Rect: im.Rect}
				whitenHidden(seen, a, box, scale, span)
				// The crop runs on to where a longer value would end; a
				// thumb there leaves the value itself in view, and it is
				// read and compared whole.
				if part == "start" {
					n := 0 // a number's or date's count of characters
					if gm := cp.sides[ps.Name].glyphs; gm != nil && glyphFields[name] {
						if want, ok := gm.glyphWant(in.MRZ, name); ok {
							n = len(want)
						}
					}
					whole = valueInView(seen, scale, span[1]-box[0], n)
				}
				switch {
				case whole || hid > maxHiddenFraction:
					im = seen
					if alt != nil {
						whitenHidden(alt, a, box, scale, span)
					}
					if !whole {
						parts[name] = part
					}
				default:
					// Little hidden, not after the value: read whole as
					// it is, without glyphs.
					part = ""
				}
			}
			if lengthFields[name] && part != "end" {
				name, part, im, scale, box, rows, span := name, part, im, scale, box, [2]float64{r.Box[1] * H, r.Box[3] * H}, span
				measures = append(measures, func() {
					if e, ok := measureName(name, part, im, scale, a, rg.a, box, rows, span, W, H); ok {
						extents[name] = e
					}
				})
			}
			if gm := cp.sides[ps.Name].glyphs; gm != nil && glyphFields[name] && (hid == 0 || part != "") {
				if want, ok := gm.glyphWant(in.MRZ, name); ok {
					name, im, orig, scale, part, whole, span, box, rows := name, im, orig, scale, part, whole, span, box, [2]float64{r.Box[1] * H, r.Box[3] * H}
					measures = append(measures, func() {
						if part != "" && !whole {
							if gf, ok := partGlyphField(gm, name, part, want, im, orig, scale, skinOnly(), box, rows, span); ok {
								glyphs[name] = gf
							}
							return
						}
						glyphs[name] = gm.cutGlyphs(im, scale, name, want)
					})
				}
			}
			f := FieldImage{Name: name, Side: ps.Name, Image: im, PxPerMM: scale}
			if alt != nil {
				f.IR = alt
			}
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 && len(hidden) == 0 {
		return nil
	}
	j := &vizJob{done: make(chan struct{}), measured: make(chan struct{}), fields: len(fields), hidden: hidden, parts: parts, extents: extents, glyphs: glyphs,
		issued: issued, maxValidityDays: cp.p.MaxValidityDays}
	// The names' ink is measured while the reader reads (the crops are
	// only read there).
	go func() {
		defer close(j.measured)
		for _, m := range measures {
			m()
		}
	}()
	if len(fields) == 0 {
		close(j.done)
		return j
	}
	go func() {
		defer close(j.done)
		j.readings, j.err = in.VIZReader.ReadFields(ctx, fields)
	}()
	return j
}

// startVIZPage starts reading the page of the MRZ's side (the front of a
// card) when no profile fits.
func startVIZPage(ctx context.Context, in Input) *vizJob {
	if in.VIZReader == nil || in.MRZ == nil || in.Capture.Side.White == nil {
		return nil
	}
	j := &vizJob{done: make(chan struct{}), page: true}
	go func() {
		defer close(j.done)
		W, H, known := StandardPage(in.MRZ.Format.String())
		if !known {
			j.err = errors.New("the page size of this MRZ format is unknown")
			return
		}
		side := &in.Capture.Side
		var orient orientFunc = mrzAtBottom
		if in.MRZQuad != nil && in.MRZSide != "back" {
			orient = quadOrient(*in.MRZQuad)
		} else if in.MRZSide == "back" {
			orient = nil
		}
		rg, err := register(side, W, H, orient)
		if err != nil {
			j.err = err
			return
		}
		im := rectifyGray(side.White, rg.a.s.toImage, [4]float64{0, 0, W, H}, pagePxPerMM)
		if im == nil {
			j.err = errors.New("the page could not be cut out")
			return
		}
		pg := PageImage{Image: im, PxPerMM: pagePxPerMM, MRZ: in.MRZ}
		if in.MRZSide != "back" && in.MRZ.Format != mrz.TD1 {
			// The zone's top line lies at most 23 mm above the bottom edge
			// on every format (Doc 9303 Parts 4, 5, 6, 7).
			pg.MRZTop = int((H - 23) * pagePxPerMM)
		}
		j.readings, j.err = in.VIZReader.ReadPage(ctx, pg)
	}()
	return j
}

// finish waits for the reading and replaces viz.mrz.consistency in checks
// with the comparison of what was read (and the caller's readings) with
// the MRZ. A reading cut short keeps what was read by then; with nothing
// read, the check is NOT_PERFORMED with the reason, never a FAIL; a
// reading cut short by time (ErrVIZCutShort) makes it ABORTED unless what
// was read already FAILs.
func (j *vizJob) finish(in Input, res *Result) {
	<-j.done
	if j.measured != nil {
		<-j.measured
	}
	var partly []string
	for i := range j.readings {
		if p := j.parts[j.readings[i].Field]; p != "" {
			j.readings[i].Part = p
		}
	}
	for _, name := range sortedKeys(j.parts) {
		partly = append(partly, fmt.Sprintf("%s (%s seen)", name, j.parts[name]))
	}
	res.VIZ = j.readings
	var all, issueReads []Reading
	for _, rd := range append(append([]Reading(nil), in.VIZ...), j.readings...) {
		if rd.Field == "issue_date" {
			issueReads = append(issueReads, rd)
			continue
		}
		all = append(all, rd)
	}
	var c engine.Check
	what := fmt.Sprintf("%d printed field(s) of the profile's layout", j.fields)
	if j.page {
		what = "the page (layout unknown)"
	}
	switch {
	case len(all) == 0 && cutShort(j.err):
		c = engine.Check{Name: CheckVIZ, Status: engine.Aborted, Threshold: "0 fields differing",
			Reason: fmt.Sprintf("the printed fields were not read in time (%s: %v)", what, j.err)}
	case len(all) == 0 && j.err != nil:
		c = engine.Check{Name: CheckVIZ, Status: engine.NotPerformed, Threshold: "0 fields differing",
			Reason: fmt.Sprintf("the printed fields were not read (%s: %v)", what, j.err)}
	case len(all) == 0:
		c = engine.Check{Name: CheckVIZ, Status: engine.NotPerformed, Threshold: "0 fields differing",
			Reason: fmt.Sprintf("no printed field could be read (%s)", what)}
	default:
		c = checkVIZVouched(in.MRZ, all, vouchedByGlyphs(j.glyphs))
		if j.err != nil {
			c.Reason += fmt.Sprintf(" (reading of %s cut short: %v)", what, j.err)
			if cutShort(j.err) && c.Status != engine.Fail {
				c.Status = engine.Aborted
			}
		}
	}
	c = weighLength(in.MRZ, all, j.extents, c)
	c = weighGlyphs(in.MRZ, j.glyphs, c, all)
	c = weighValidity(in.MRZ, issueReads, all, j.issued, j.maxValidityDays, c)
	if len(j.hidden) > 0 {
		c.Reason += fmt.Sprintf("; not read, under glare or a thumb: %s", strings.Join(j.hidden, ", "))
	}
	if len(partly) > 0 {
		c.Reason += fmt.Sprintf("; read in part, partly under glare or a thumb: %s", strings.Join(partly, ", "))
	}
	for i := range res.Checks {
		if res.Checks[i].Name == CheckVIZ {
			res.Checks[i] = c
		}
	}
}

// fieldCropBox returns where a field region is cut out for reading (page
// mm: the region's box grown by the margins, to where its value may end)
// and at which scale (px per mm), for a capture of pxPerMM.
func fieldCropBox(regions []profile.Region, r profile.Region, W, H, pxPerMM float64) ([4]float64, float64) {
	box := [4]float64{r.Box[0]*W - fieldMarginXMM, r.Box[1]*H - fieldMarginYMM, fieldRight(regions, r, W), r.Box[3]*H + fieldMarginYMM}
	return box, math.Min(fieldMaxPxPerMM, math.Max(fieldMinPxPerMM, pxPerMM))
}

// fieldRight is where a field's value may end (page mm): before the next
// region of printed matter on its row (a field, IR-dark print such as the
// big issuer code, the portrait, the signature), or 2 mm from the page's right edge. A profile's
// field box is the ink of the values it was learned from; a longer value
// runs on to the right.
func fieldRight(regions []profile.Region, r profile.Region, W float64) float64 {
	// At most the box's width or 10 mm more: a longer line costs
	// Tesseract time, and a value longer still is seen cut off at the
	// crop's edge (not compared).
	right := math.Min(W-2, r.Box[2]*W+math.Max((r.Box[2]-r.Box[0])*W, 10))
	for _, o := range regions {
		if o.Name == r.Name || o.Kind == profile.KindUVFeature || o.Kind == profile.KindOther {
			continue
		}
		overlap := math.Min(o.Box[3], r.Box[3]) - math.Max(o.Box[1], r.Box[1])
		if overlap > 0 && o.Box[0] > r.Box[2] {
			right = math.Min(right, o.Box[0]*W-0.5)
		}
	}
	return math.Max(right, r.Box[2]*W+fieldMarginXMM)
}

// partMinMM is the least width of a partly hidden field's value in view
// for it to be read: about three characters and the one at the cut.
const partMinMM = 8

// partGlyphField measures the glyphs of a field seen in part: seen is
// its crop with what is hidden whitened (span, in page mm, in view),
// orig the crop as captured, sk the page's hiding cells without the
// thumb's grown rim, rows the field's rows (page mm). The part is
// fitted (fitPart), its strict cut by runs of ink (partGlyphs) kept
// beside it, or alone where the fit fails.
func partGlyphField(gm *glyphModel, name, part string, want []rune, seen, orig *image.Gray, scale float64, sk *analysis, box [4]float64, rows, span [2]float64) (glyphField, bool) {
	cut, cutOK := partGlyphs(part, want, seen, scale)
	cut.model = gm
	// The fit whitens the skin itself only, not the rim grown round it
	// for the reader (an expiry date's altered year was in that rim,
	// tuning seed 13601529); the place at the thumb's edge is not
	// judged.
	fim, fspan := seen, span
	if p, sp, ok := visibleSpan(sk, box, rows[0], rows[1]); ok && p == part {
		fim = &image.Gray{Pix: append([]uint8(nil), orig.Pix...), Stride: orig.Stride, Rect: orig.Rect}
		whitenHidden(fim, sk, box, scale, sp)
		fspan = sp
	}
	// The crop's columns under the thumb.
	hid := [2]int{int(math.Floor((fspan[1] - box[0]) * scale)), fim.Rect.Dx() - 1}
	if part == "end" {
		hid = [2]int{0, int(math.Ceil((fspan[0]-box[0])*scale)) - 1}
	}
	gf, ok := gm.fitPart(fim, scale, name, part, want, hid)
	switch {
	case ok && cutOK:
		gf.cut = &cut
	case !ok:
		return cut, cutOK
	}
	return gf, true
}

// visibleSpan finds, in a partly hidden field box (page mm), the columns
// in view across the value's rows y0..y1: from the box's left edge to
// the first hidden column (part "start": the value's beginning), or else
// from the last hidden column to the box's right edge (part "end"). ok is
// false when neither spans partMinMM.
func visibleSpan(a *analysis, box [4]float64, y0, y1 float64) (part string, span [2]float64, ok bool) {
	s := a.s
	cx0, cx1 := int(math.Floor(box[0]/s.mm)), int(math.Ceil(box[2]/s.mm))
	cy0, cy1 := int(math.Floor(y0/s.mm)), int(math.Ceil(y1/s.mm))
	cx0, cy0 = max(cx0, 0), max(cy0, 0)
	cx1, cy1 = min(cx1, s.w), min(cy1, s.h)
	if cx1 <= cx0 || cy1 <= cy0 {
		return "", span, false
	}
	hiddenCol := func(x int) bool {
		for y := cy0; y < cy1; y++ {
			if a.bad[y*s.w+x] {
				return true
			}
		}
		return false
	}
	x := cx0
	for x < cx1 && !hiddenCol(x) {
		x++
	}
	if end := float64(x) * s.mm; end-box[0] >= partMinMM+fieldMarginXMM {
		return "start", [2]float64{box[0], end}, true
	}
	x = cx1 - 1
	for x >= cx0 && !hiddenCol(x) {
		x--
	}
	if start := float64(x+1) * s.mm; box[2]-start >= partMinMM {
		return "end", [2]float64{start, box[2]}, true
	}
	return "", span, false
}

// whitenHidden whitens the pixels of a field crop (box in page mm, at
// scale px per mm) outside the span in view or on a hidden cell.
func whitenHidden(im *image.Gray, a *analysis, box [4]float64, scale float64, span [2]float64) {
	s := a.s
	w, h := im.Rect.Dx(), im.Rect.Dy()
	for j := 0; j < h; j++ {
		my := box[1] + (float64(j)+0.5)/scale
		cy := min(max(int(my/s.mm), 0), s.h-1)
		row := im.Pix[j*im.Stride:]
		for i := 0; i < w; i++ {
			mx := box[0] + (float64(i)+0.5)/scale
			cx := min(max(int(mx/s.mm), 0), s.w-1)
			if mx < span[0] || mx > span[1] || a.bad[cy*s.w+cx] {
				row[i] = 255
			}
		}
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// minHidingMM2 is the least area (mm²) of a patch of unusable cells
// (analysis.bad) that hides the print under it from the reader: a thumb
// or a patch of glare is hundreds of square millimetres; the specks a
// very coarse JPEG leaves washed out (quality 1: blocks of 0.7 mm at 300
// ppi, white where the paper was light) are not, and the print around
// them reads.
const minHidingMM2 = 4

// hidingCells returns the cells of a's unusable ones (glare, a thumb)
// that lie in a patch (4-connected) of minHidingMM2 or more.
func hidingCells(a *analysis) []bool {
	s := a.s
	out := make([]bool, len(a.bad))
	minCells := int(math.Ceil(minHidingMM2 / (s.mm * s.mm)))
	seen := make([]bool, len(a.bad))
	var stack, comp []int
	for i, b := range a.bad {
		if !b || seen[i] {
			continue
		}
		comp = comp[:0]
		stack = append(stack[:0], i)
		seen[i] = true
		for len(stack) > 0 {
			k := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			comp = append(comp, k)
			x, y := k%s.w, k/s.w
			for _, n := range [4][2]int{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if n[0] < 0 || n[1] < 0 || n[0] >= s.w || n[1] >= s.h {
					continue
				}
				if j := n[1]*s.w + n[0]; a.bad[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		if len(comp) >= minCells {
			for _, k := range comp {
				out[k] = true
			}
		}
	}
	return out
}

// hiddenFraction is the share of a normalised page box's cells that are
// under glare or a thumb.
func hiddenFraction(a *analysis, box [4]float64) float64 {
	r := a.s.cellRect(box)
	if r.Empty() {
		return 1
	}
	n, bad := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			if a.bad[y*a.s.w+x] {
				bad++
			}
		}
	}
	return float64(bad) / float64(n)
}

// reflectNil tells a typed nil image (a side's missing light).
func reflectNil(img image.Image) bool {
	switch m := img.(type) {
	case *image.RGBA:
		return m == nil
	case *image.Gray:
		return m == nil
	}
	return false
}

// rectifyGray cuts box (page millimetres x0, y0, x1, y1) out of a side's
// image through toImage, upright, at scale pixels per millimetre,
// bilinear, as grey. It returns nil when the box is empty or too large.
func rectifyGray(img image.Image, toImage homography, box [4]float64, scale float64) *image.Gray {
	if img == nil || reflectNil(img) {
		return nil
	}
	w := int(math.Round((box[2] - box[0]) * scale))
	h := int(math.Round((box[3] - box[1]) * scale))
	if w < 4 || h < 4 || w*h > 8<<20 {
		return nil
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	b := img.Bounds()
	lum := func(x, y int) float64 {
		x = min(max(x, b.Min.X), b.Max.X-1)
		y = min(max(y, b.Min.Y), b.Max.Y-1)
		switch m := img.(type) {
		case *image.RGBA:
			p := m.Pix[m.PixOffset(x, y):]
			return 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		case *image.Gray:
			return float64(m.Pix[m.PixOffset(x, y)])
		}
		r, g, bb, _ := img.At(x, y).RGBA()
		return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bb)) / 257
	}
	for j := 0; j < h; j++ {
		my := box[1] + (float64(j)+0.5)/scale
		for i := 0; i < w; i++ {
			mx := box[0] + (float64(i)+0.5)/scale
			x, y := toImage.apply(mx, my)
			x, y = x-0.5, y-0.5
			x0, y0 := math.Floor(x), math.Floor(y)
			tx, ty := x-x0, y-y0
			ix, iy := int(x0), int(y0)
			v := (lum(ix, iy)*(1-tx)+lum(ix+1, iy)*tx)*(1-ty) + (lum(ix, iy+1)*(1-tx)+lum(ix+1, iy+1)*tx)*ty
			out.Pix[j*out.Stride+i] = uint8(math.Min(255, math.Max(0, v+0.5)))
		}
	}
	return out
}
