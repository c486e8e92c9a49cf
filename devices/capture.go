package devices

import (
	"fmt"
	"image"
	"strings"
)

// Light names a light source of a document scanner. The values are the
// same strings as engine.Light, so that reports and captures agree.
type Light string

// The light sources a document reader captures under.
const (
	// White is visible light, reflected (the colour image).
	White Light = "white"
	// IR is near infrared, about 870 nm: B900-type inks (MRZ, chosen printed
	// data) absorb and stay dark, most background art vanishes.
	IR Light = "ir"
	// UV is ultraviolet, 365 nm: the image shows what fluoresces (overprint,
	// fibres, optical brighteners of forged paper); genuine paper is dull.
	UV Light = "uv"
	// Coaxial is white light along the optical axis, for laminate and
	// retroreflective features.
	Coaxial Light = "coaxial"
)

// Lights lists the light sources in the order they are stored and shown.
var Lights = []Light{White, IR, UV, Coaxial}

// ParseLight checks that s names a light source.
func ParseLight(s string) (Light, error) {
	for _, l := range Lights {
		if string(l) == s {
			return l, nil
		}
	}
	return "", fmt.Errorf("devices: unknown light %q (want white, ir, uv or coaxial)", s)
}

// Source says where a capture came from.
type Source string

// The sources of captures.
const (
	// SourceDevice: a document reader attached to this host or pushing to it.
	SourceDevice Source = "device"
	// SourceFile: images loaded from files (a hot folder, an upload, a test).
	SourceFile Source = "file"
	// SourceSimulator: rendered by the scanner simulator, with ground truth.
	SourceSimulator Source = "simulator"
)

// Side holds one side of a document (the data page, or the back of a card)
// under each light. All images of a side are registered: the same pixel is
// the same point of the document under every light, so one region serves
// them all. Any image may be nil when the device did not capture that
// light. Colour images are *image.RGBA (alpha always 255) and the IR image
// is *image.Gray, whatever the file format was, so that checks can index
// pixels directly.
type Side struct {
	White   *image.RGBA
	IR      *image.Gray
	UV      *image.RGBA
	Coaxial *image.RGBA
}

// Image returns the image taken under light l, or nil when there is none.
// The result is a nil interface (not a typed nil) when the image is absent.
func (s *Side) Image(l Light) image.Image {
	if s == nil {
		return nil
	}
	switch l {
	case White:
		if s.White != nil {
			return s.White
		}
	case IR:
		if s.IR != nil {
			return s.IR
		}
	case UV:
		if s.UV != nil {
			return s.UV
		}
	case Coaxial:
		if s.Coaxial != nil {
			return s.Coaxial
		}
	}
	return nil
}

// Lights returns the lights this side has an image for, in the order of
// the package variable Lights.
func (s *Side) Lights() []Light {
	var out []Light
	for _, l := range Lights {
		if s.Image(l) != nil {
			out = append(out, l)
		}
	}
	return out
}

// Bounds returns the bounds shared by the side's images (empty when it has
// none).
func (s *Side) Bounds() image.Rectangle {
	for _, l := range Lights {
		if im := s.Image(l); im != nil {
			return im.Bounds()
		}
	}
	return image.Rectangle{}
}

// check verifies that the side's images are registered (same bounds).
func (s *Side) check() error {
	var first Light
	var b image.Rectangle
	for _, l := range s.Lights() {
		ib := s.Image(l).Bounds()
		if first == "" {
			first, b = l, ib
			continue
		}
		if ib != b {
			return fmt.Errorf("%s image is %dx%d but %s image is %dx%d: the lights of one side must be registered",
				l, ib.Dx(), ib.Dy(), first, b.Dx(), b.Dy())
		}
	}
	return nil
}

// Capture is one capture of a document by a document reader: the data page
// under each light (embedded Side: c.White, c.IR, c.UV), optionally the
// other side, the resolution, where it came from, and, for synthetic
// captures, the ground truth.
type Capture struct {
	// Side is the front: the passport data page, the visa, or the front of
	// a card (portrait side). For a TD1 card the MRZ is on Back.
	Side
	// Back is the other side when it was captured (the back of a TD1 card,
	// which carries the MRZ), or nil.
	Back *Side
	// PPI is the resolution in pixels per inch of every image of the
	// capture; 0 when unknown (readers then estimate it from the MRZ pitch,
	// 10 characters per inch).
	PPI float64
	// Source says where the capture came from; Origin names it: the
	// device's model and serial, the folder or file loaded, or the
	// simulator's model and seed.
	Source Source
	Origin string
	// Truth is the ground truth of a synthetic capture; nil for real ones.
	Truth *Truth
}

// Validate checks that the capture has a front white, IR or UV image, that
// the images of each side are registered, and that the resolution is
// plausible.
func (c *Capture) Validate() error {
	if len(c.Side.Lights()) == 0 {
		return fmt.Errorf("devices: capture has no front image")
	}
	if err := c.Side.check(); err != nil {
		return fmt.Errorf("devices: front: %w", err)
	}
	if c.Back != nil {
		if err := c.Back.check(); err != nil {
			return fmt.Errorf("devices: back: %w", err)
		}
	}
	if c.PPI < 0 || c.PPI > MaxPPI {
		return fmt.Errorf("devices: resolution %g ppi outside 0..%d", c.PPI, MaxPPI)
	}
	return nil
}

// MaxPPI bounds the resolution a capture may claim; document readers scan
// at 300–600 ppi.
const MaxPPI = 2400

// Truth is the ground truth of a synthetic capture, written by the
// simulator as truth.json beside the images. Coordinates are pixels of the
// images as written (after every degradation), origin top-left.
type Truth struct {
	// Model names the document model (see "checkpost simulate --list").
	Model string `json:"model"`
	// Format is the MRZ format: "TD1", "TD3" or "MRV-A".
	Format string `json:"format"`
	// Forgery is "none" for a genuine document, else the forgery labels
	// applied, comma-separated in the simulator's canonical order (e.g.
	// "uv-bright-paper,mrz-ir-transparent"). Forgeries returns them as a
	// list.
	Forgery string `json:"forgery"`
	// Degradations lists the degradations applied, in order, each with the
	// strength actually used ("rotate:187.5", "jpeg:35").
	Degradations []string `json:"degradations"`
	// Seed reproduces the capture: the same model, seed, forgeries,
	// degradations and resolution render byte-identical images.
	Seed uint64 `json:"seed"`
	// PPI is the resolution of the written images.
	PPI float64 `json:"ppi"`
	// MRZ holds the machine readable zone's lines exactly as printed
	// (which, for the forgery mrz-check-digits, have wrong check digits).
	MRZ []string `json:"mrz"`
	// MRZSide is "back" when the MRZ is printed on the back (TD1 cards),
	// else "front".
	MRZSide string `json:"mrz_side"`
	// Document is the data the MRZ lines encode (what a perfect MRZ reader
	// returns). Dates are YYYY-MM-DD.
	Document DocumentData `json:"document"`
	// Fields are the printed (visual inspection zone) fields, as printed.
	// Where a forgery altered the printed data or the MRZ, the printed
	// value and the MRZ differ; Mismatched names those fields.
	Fields     []Field  `json:"fields"`
	Mismatched []string `json:"mismatched,omitempty"`
	// Regions locate the page, the MRZ and its lines, the portrait, every
	// field ("field.NAME"), every security feature ("uv.overprint",
	// "uv.fibres", ...) and what degradations put on the image
	// ("occlusion", "glare").
	Regions []Region `json:"regions"`
}

// Forgeries returns the forgery labels of Forgery (none for "none").
func (t *Truth) Forgeries() []string {
	if t.Forgery == "" || t.Forgery == "none" {
		return nil
	}
	return strings.Split(t.Forgery, ",")
}

// Region returns the region called name.
func (t *Truth) Region(name string) (Region, bool) {
	for _, r := range t.Regions {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// Field returns the printed field called name.
func (t *Truth) Field(name string) (Field, bool) {
	for _, f := range t.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// DocumentData is the data of a travel document as the MRZ encodes it.
type DocumentData struct {
	DocumentCode   string `json:"document_code"`
	IssuingState   string `json:"issuing_state"`
	DocumentNumber string `json:"document_number"`
	Surname        string `json:"surname"`
	GivenNames     string `json:"given_names"`
	Nationality    string `json:"nationality"`
	Sex            string `json:"sex"`
	BirthDate      string `json:"birth_date"`
	ExpiryDate     string `json:"expiry_date"`
	OptionalData   string `json:"optional_data,omitempty"`
}

// Field is one printed field of the visual inspection zone. Its location
// is the region "field."+Name.
type Field struct {
	// Name is the field's key: surname, given_names, birth_date, sex,
	// nationality, birth_place, issue_date, expiry_date, document_number,
	// authority, type, code.
	Name string `json:"name"`
	// Label is the printed caption above the value.
	Label string `json:"label"`
	// Value is the text exactly as printed (names in the national script's
	// Latin transcription, dates in the printed format "02 MAR 1981").
	Value string `json:"value"`
	// IRDark says the field is printed with IR-absorbing ink and must stay
	// dark under IR.
	IRDark bool `json:"ir_dark"`
	// Side is "front" or "back".
	Side string `json:"side"`
}

// Point is a position in image pixels (sub-pixel, origin top-left).
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Region is a named area of a capture. Quad gives its corners in the
// document's reading order (top-left, top-right, bottom-right, bottom-left
// of the printed area), which after rotation or perspective is no longer
// axis-aligned; X, Y, W, H is the quad's bounding box in whole pixels,
// clipped to the image.
type Region struct {
	Name string   `json:"name"`
	Side string   `json:"side"`
	Quad [4]Point `json:"quad"`
	X    int      `json:"x"`
	Y    int      `json:"y"`
	W    int      `json:"w"`
	H    int      `json:"h"`
}

// Rect returns the bounding box as an image.Rectangle.
func (r Region) Rect() image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }

// Contains reports whether p lies inside the quad (corners in either
// winding; a degenerate quad contains nothing).
func (r Region) Contains(p Point) bool {
	var sign int
	for i := 0; i < 4; i++ {
		a, b := r.Quad[i], r.Quad[(i+1)%4]
		cross := (b.X-a.X)*(p.Y-a.Y) - (b.Y-a.Y)*(p.X-a.X)
		s := 0
		if cross > 0 {
			s = 1
		} else if cross < 0 {
			s = -1
		}
		if s == 0 {
			continue
		}
		if sign == 0 {
			sign = s
		} else if s != sign {
			return false
		}
	}
	return sign != 0
}

// BoxFromQuad sets X, Y, W, H to the bounding box of Quad, clipped to
// bounds.
func (r *Region) BoxFromQuad(bounds image.Rectangle) {
	minX, minY := r.Quad[0].X, r.Quad[0].Y
	maxX, maxY := minX, minY
	for _, p := range r.Quad[1:] {
		minX, maxX = min(minX, p.X), max(maxX, p.X)
		minY, maxY = min(minY, p.Y), max(maxY, p.Y)
	}
	rect := image.Rect(floor(minX), floor(minY), ceil(maxX), ceil(maxY)).Intersect(bounds)
	r.X, r.Y, r.W, r.H = rect.Min.X, rect.Min.Y, rect.Dx(), rect.Dy()
}

func floor(v float64) int {
	i := int(v)
	if float64(i) > v {
		i--
	}
	return i
}

func ceil(v float64) int {
	i := int(v)
	if float64(i) < v {
		i++
	}
	return i
}
