// Package profile holds the reference profiles ("signatures") of document
// models that docauth checks captures against: what a genuine page of a
// model looks like under each light, where its regions are, and the
// measurements with their accepted ranges. Profiles are versioned JSON
// documents (Encode, Decode: the one place that reads and writes them, for
// files and for the server's database alike) kept by a Store.
package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"regexp"
	"strings"
	"time"
)

// FormatName and FormatVersion identify the JSON encoding; Decode refuses
// other formats and newer versions. Version 2 added Side.Glyphs.
const (
	FormatName    = "checkpost-docauth-profile"
	FormatVersion = 2
)

// Limits on what Decode accepts, so that a hostile file cannot make it
// allocate without bound.
const (
	MaxEncodedSize   = 32 << 20
	MaxGridCells     = 1 << 20 // cells of one template (1024 x 1024)
	MaxRegions       = 512
	MaxMeasurements  = 4096
	MaxSides         = 2
	MaxTemplates     = 16
	MaxSources       = 10000
	maxStringLen     = 4096
	maxDocumentCodes = 16
	maxValidityDays  = 50 * 366 // no travel document is valid longer
)

// Profile is the reference of one document model.
type Profile struct {
	// Format and Version are FormatName and FormatVersion (set by Encode).
	Format  string `json:"format"`
	Version int    `json:"version"`
	// ID names the model ("uto-passport", "d-passport-2017"): lower-case
	// letters, digits, '.', '_' and '-'. Revision counts the profile's
	// versions in its store (1 for the first).
	ID       string `json:"id"`
	Revision int    `json:"revision"`
	Title    string `json:"title,omitempty"`
	// Issuer is the issuing state or organisation as the MRZ writes it,
	// without fillers ("D", "UTO"); DocumentCodes the MRZ document codes
	// of the model ("P", "PO", "ID", "V"); MRZFormat the MRZ's format
	// ("TD1", "TD2", "TD3", "MRV-A", "MRV-B"), empty when it has none.
	Issuer        string   `json:"issuer"`
	DocumentCodes []string `json:"document_codes"`
	MRZFormat     string   `json:"mrz_format,omitempty"`
	// Generation and Year tell models of one issuer apart.
	Generation string `json:"generation,omitempty"`
	Year       int    `json:"year,omitempty"`
	// Page is the page's size.
	Page Page `json:"page"`
	// MaxValidityDays is the longest a document of the model is valid,
	// from its printed date of issue to its date of expiry, in days; 0
	// when unknown. An issuer's rule (10 years for an adult's passport,
	// 5 or 6 for a child's) is what a forger extending the validity
	// breaks.
	MaxValidityDays int `json:"max_validity_days,omitempty"`
	// Sides are the sides the profile describes: "front" (the data page,
	// the card's portrait side) and, for cards, "back".
	Sides []Side `json:"sides"`
	// Learned says how the profile was made.
	Learned Learned `json:"learned"`
}

// Page is the page's size in millimetres.
type Page struct {
	WidthMM  float64 `json:"width_mm"`
	HeightMM float64 `json:"height_mm"`
}

// Learned records the captures a profile was learned from.
type Learned struct {
	At       time.Time `json:"at"`
	Captures int       `json:"captures"`
	Sources  []string  `json:"sources,omitempty"`
	// Tool names the program and settings that learned it.
	Tool string `json:"tool,omitempty"`
}

// Side is one side of the model.
type Side struct {
	Name string `json:"name"`
	// MRZ says the side carries the machine readable zone.
	MRZ     bool     `json:"mrz"`
	Regions []Region `json:"regions"`
	// Templates are the mean images of the genuine captures, rectified
	// onto the page: "white" (RGB), "ir" (grey), "uv" (RGB), and masks
	// ("static": cells that are the same on every genuine document).
	Templates    []Grid        `json:"templates"`
	Measurements []Measurement `json:"measurements"`
	// Glyphs is the look of the characters the side's fields are printed
	// in, learned from the genuine captures' values (nil when none was).
	Glyphs *GlyphSet `json:"glyphs,omitempty"`
}

// GlyphSet holds the mean image of each character seen in the printed
// fields of the genuine captures: its darkness (0 paper .. 255 the
// print's full contrast) on W x H cells, the capitals' height filling the
// rows and the character centred across the columns at the same scale
// (a narrow 1 stays narrow). DateLayouts gives, per date field, the
// layout its dates were printed in (Go's time layout; month names in
// capitals).
type GlyphSet struct {
	W           int               `json:"w"`
	H           int               `json:"h"`
	Glyphs      []Glyph           `json:"glyphs"`
	DateLayouts map[string]string `json:"date_layouts,omitempty"`
}

// Glyph is one character's mean image (W*H bytes, row by row) over N
// samples.
type Glyph struct {
	Char string `json:"char"`
	N    int    `json:"n"`
	Pix  []byte `json:"pix"`
}

// Kind says what a region holds.
type Kind string

// The kinds of regions.
const (
	KindMRZ       Kind = "mrz"
	KindPortrait  Kind = "portrait"
	KindField     Kind = "field"      // a personalised printed field
	KindUVFeature Kind = "uv-feature" // fluorescent overprint, emblem
	KindIRDark    Kind = "ir-dark"    // static print in IR-absorbing ink
	KindSignature Kind = "signature"
	KindOther     Kind = "other"
)

var kinds = map[Kind]bool{KindMRZ: true, KindPortrait: true, KindField: true, KindUVFeature: true, KindIRDark: true, KindSignature: true, KindOther: true}

// Region is a named box of the page in normalised page coordinates: X0,
// Y0, X1, Y1 in 0..1 from the page's top-left corner, so that it holds at
// any resolution.
type Region struct {
	Name string     `json:"name"`
	Kind Kind       `json:"kind"`
	Box  [4]float64 `json:"box"`
	// IRDark says a field is printed in IR-absorbing (B900-type) ink.
	IRDark bool `json:"ir_dark,omitempty"`
}

// Measurement is the distribution of one measured property over the
// genuine captures, and the range a capture's value must fall in. Lo or
// Hi is nil where the property has no bound on that side.
type Measurement struct {
	Name string   `json:"name"`
	N    int      `json:"n"`
	Mean float64  `json:"mean"`
	Std  float64  `json:"std"`
	Min  float64  `json:"min"`
	Max  float64  `json:"max"`
	Lo   *float64 `json:"lo,omitempty"`
	Hi   *float64 `json:"hi,omitempty"`
}

// Grid is a small image on the page grid: Channels values (1 or 3) per
// cell of CellMM millimetres, row by row. It is stored as a PNG.
type Grid struct {
	Name     string  `json:"name"`
	W        int     `json:"w"`
	H        int     `json:"h"`
	Channels int     `json:"channels"`
	CellMM   float64 `json:"cell_mm"`
	// Pix holds W*H*Channels bytes (not in the JSON: PNG holds them).
	Pix []uint8 `json:"-"`
	PNG []byte  `json:"png"`
}

// Template returns the side's grid called name, or nil.
func (s *Side) Template(name string) *Grid {
	for i := range s.Templates {
		if s.Templates[i].Name == name {
			return &s.Templates[i]
		}
	}
	return nil
}

// Measurement returns the side's measurement called name, or nil.
func (s *Side) Measurement(name string) *Measurement {
	for i := range s.Measurements {
		if s.Measurements[i].Name == name {
			return &s.Measurements[i]
		}
	}
	return nil
}

// Region returns the side's region called name.
func (s *Side) Region(name string) (Region, bool) {
	for _, r := range s.Regions {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// Side returns the profile's side called name, or nil.
func (p *Profile) Side(name string) *Side {
	for i := range p.Sides {
		if p.Sides[i].Name == name {
			return &p.Sides[i]
		}
	}
	return nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidID reports whether id can name a profile (and a file).
func ValidID(id string) bool { return idPattern.MatchString(id) }

// ErrInvalid is wrapped by every error Decode and Validate return for a
// profile that is not well formed.
var ErrInvalid = errors.New("profile: invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Validate checks the profile's fields: identity, page, sides, regions in
// the unit square, grids of consistent size, finite measurements.
func (p *Profile) Validate() error {
	if !ValidID(p.ID) {
		return invalid("id %q: want lower-case letters, digits, '.', '_' or '-' (at most 64)", p.ID)
	}
	if p.Revision < 0 {
		return invalid("revision %d is negative", p.Revision)
	}
	for _, s := range []string{p.Title, p.Issuer, p.MRZFormat, p.Generation, p.Learned.Tool} {
		if len(s) > maxStringLen {
			return invalid("a text field is longer than %d bytes", maxStringLen)
		}
	}
	if p.Issuer == "" || len(p.Issuer) > 3 || strings.Trim(p.Issuer, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return invalid("issuer %q: want the MRZ's 1 to 3 capital letters without fillers", p.Issuer)
	}
	if len(p.DocumentCodes) == 0 || len(p.DocumentCodes) > maxDocumentCodes {
		return invalid("document_codes: want 1 to %d codes", maxDocumentCodes)
	}
	for _, c := range p.DocumentCodes {
		if c == "" || len(c) > 2 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return invalid("document code %q: want 1 or 2 capital letters", c)
		}
	}
	switch p.MRZFormat {
	case "", "TD1", "TD2", "TD3", "MRV-A", "MRV-B":
	default:
		return invalid("mrz_format %q: want TD1, TD2, TD3, MRV-A, MRV-B or empty", p.MRZFormat)
	}
	if p.MaxValidityDays < 0 || p.MaxValidityDays > maxValidityDays {
		return invalid("max_validity_days %d: want 0 (unknown) to %d", p.MaxValidityDays, maxValidityDays)
	}
	if !(p.Page.WidthMM >= 20 && p.Page.WidthMM <= 400 && p.Page.HeightMM >= 20 && p.Page.HeightMM <= 400) {
		return invalid("page %gx%g mm: want 20 to 400 mm a side", p.Page.WidthMM, p.Page.HeightMM)
	}
	if len(p.Sides) == 0 || len(p.Sides) > MaxSides {
		return invalid("want 1 or 2 sides, got %d", len(p.Sides))
	}
	if len(p.Learned.Sources) > MaxSources {
		return invalid("more than %d sources", MaxSources)
	}
	seen := map[string]bool{}
	for i := range p.Sides {
		s := &p.Sides[i]
		if s.Name != "front" && s.Name != "back" {
			return invalid("side %d: name %q: want front or back", i, s.Name)
		}
		if seen[s.Name] {
			return invalid("side %q given twice", s.Name)
		}
		seen[s.Name] = true
		if err := s.validate(); err != nil {
			return fmt.Errorf("%w (side %s)", err, s.Name)
		}
	}
	return nil
}

func (s *Side) validate() error {
	if len(s.Regions) > MaxRegions || len(s.Measurements) > MaxMeasurements || len(s.Templates) > MaxTemplates {
		return invalid("too many regions, measurements or templates")
	}
	for _, r := range s.Regions {
		if r.Name == "" || len(r.Name) > 128 {
			return invalid("region name %q", r.Name)
		}
		if !kinds[r.Kind] {
			return invalid("region %s: unknown kind %q", r.Name, r.Kind)
		}
		b := r.Box
		for _, v := range b {
			if !(v >= 0 && v <= 1) {
				return invalid("region %s: box %v outside the unit square", r.Name, b)
			}
		}
		if b[2] <= b[0] || b[3] <= b[1] {
			return invalid("region %s: box %v is empty", r.Name, b)
		}
	}
	for _, m := range s.Measurements {
		if m.Name == "" || len(m.Name) > 128 {
			return invalid("measurement name %q", m.Name)
		}
		for _, v := range []float64{m.Mean, m.Std, m.Min, m.Max} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return invalid("measurement %s: not a finite number", m.Name)
			}
		}
		for _, v := range []*float64{m.Lo, m.Hi} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				return invalid("measurement %s: bound not a finite number", m.Name)
			}
		}
		if m.Lo != nil && m.Hi != nil && *m.Lo > *m.Hi {
			return invalid("measurement %s: lo %g above hi %g", m.Name, *m.Lo, *m.Hi)
		}
	}
	if gs := s.Glyphs; gs != nil {
		if gs.W <= 0 || gs.H <= 0 || gs.W*gs.H > 4096 || len(gs.Glyphs) > 256 || len(gs.DateLayouts) > 16 {
			return invalid("glyphs: %dx%d cells, %d glyphs, %d date layouts", gs.W, gs.H, len(gs.Glyphs), len(gs.DateLayouts))
		}
		for _, g := range gs.Glyphs {
			if len([]rune(g.Char)) != 1 || g.N <= 0 || len(g.Pix) != gs.W*gs.H {
				return invalid("glyph %q: %d samples, %d bytes for %dx%d", g.Char, g.N, len(g.Pix), gs.W, gs.H)
			}
		}
		for f, l := range gs.DateLayouts {
			if f == "" || len(f) > 64 || l == "" || len(l) > 64 {
				return invalid("glyphs: date layout %q of %q", l, f)
			}
		}
	}
	for _, g := range s.Templates {
		if g.Name == "" || len(g.Name) > 64 {
			return invalid("template name %q", g.Name)
		}
		if g.Channels != 1 && g.Channels != 3 {
			return invalid("template %s: %d channels (want 1 or 3)", g.Name, g.Channels)
		}
		if g.W <= 0 || g.H <= 0 || g.W*g.H > MaxGridCells {
			return invalid("template %s: %dx%d cells (limit %d)", g.Name, g.W, g.H, MaxGridCells)
		}
		if !(g.CellMM > 0 && g.CellMM <= 10) {
			return invalid("template %s: cell of %g mm", g.Name, g.CellMM)
		}
		if g.Pix != nil && len(g.Pix) != g.W*g.H*g.Channels {
			return invalid("template %s: %d bytes for %dx%dx%d", g.Name, len(g.Pix), g.W, g.H, g.Channels)
		}
	}
	return nil
}

// Encode writes the profile as indented JSON, its grids as PNG. It
// validates first.
func Encode(p *Profile) ([]byte, error) {
	q := *p
	q.Format, q.Version = FormatName, FormatVersion
	q.Sides = make([]Side, len(p.Sides))
	for i, s := range p.Sides {
		q.Sides[i] = s
		q.Sides[i].Templates = make([]Grid, len(s.Templates))
		for j, g := range s.Templates {
			if g.Pix == nil {
				return nil, invalid("template %s of side %s has no pixels", g.Name, s.Name)
			}
			data, err := encodeGrid(&g)
			if err != nil {
				return nil, fmt.Errorf("profile: template %s: %w", g.Name, err)
			}
			g.PNG = data
			q.Sides[i].Templates[j] = g
		}
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return json.MarshalIndent(&q, "", "  ")
}

func encodeGrid(g *Grid) ([]byte, error) {
	var im image.Image
	r := image.Rect(0, 0, g.W, g.H)
	if g.Channels == 1 {
		im = &image.Gray{Pix: g.Pix, Stride: g.W, Rect: r}
	} else {
		rgba := image.NewNRGBA(r)
		for i := 0; i < g.W*g.H; i++ {
			copy(rgba.Pix[4*i:4*i+3], g.Pix[3*i:3*i+3])
			rgba.Pix[4*i+3] = 255
		}
		im = rgba
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, im); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads a profile written by Encode: format and version checked,
// every field validated, each grid's PNG decoded and checked against its
// declared size before any pixel is allocated.
func Decode(data []byte) (*Profile, error) {
	if len(data) > MaxEncodedSize {
		return nil, invalid("%d bytes (limit %d)", len(data), MaxEncodedSize)
	}
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if dec.More() {
		return nil, invalid("data after the profile")
	}
	if p.Format != FormatName {
		return nil, invalid("format %q (want %q)", p.Format, FormatName)
	}
	if p.Version < 1 || p.Version > FormatVersion {
		return nil, invalid("version %d (this program reads 1 to %d)", p.Version, FormatVersion)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	for i := range p.Sides {
		for j := range p.Sides[i].Templates {
			g := &p.Sides[i].Templates[j]
			if err := decodeGrid(g); err != nil {
				return nil, fmt.Errorf("%w: side %s template %s: %v", ErrInvalid, p.Sides[i].Name, g.Name, err)
			}
		}
	}
	return &p, nil
}

func decodeGrid(g *Grid) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(g.PNG))
	if err != nil {
		return err
	}
	if cfg.Width != g.W || cfg.Height != g.H {
		return fmt.Errorf("PNG is %dx%d, declared %dx%d", cfg.Width, cfg.Height, g.W, g.H)
	}
	im, err := png.Decode(bytes.NewReader(g.PNG))
	if err != nil {
		return err
	}
	g.Pix = make([]uint8, g.W*g.H*g.Channels)
	switch m := im.(type) {
	case *image.Gray:
		if g.Channels != 1 {
			return fmt.Errorf("grey PNG for %d channels", g.Channels)
		}
		for y := 0; y < g.H; y++ {
			copy(g.Pix[y*g.W:(y+1)*g.W], m.Pix[y*m.Stride:])
		}
	case *image.NRGBA:
		if g.Channels != 3 {
			return fmt.Errorf("colour PNG for %d channels", g.Channels)
		}
		for y := 0; y < g.H; y++ {
			for x := 0; x < g.W; x++ {
				copy(g.Pix[3*(y*g.W+x):3*(y*g.W+x)+3], m.Pix[y*m.Stride+4*x:])
			}
		}
	case *image.RGBA:
		if g.Channels != 3 {
			return fmt.Errorf("colour PNG for %d channels", g.Channels)
		}
		for y := 0; y < g.H; y++ {
			for x := 0; x < g.W; x++ {
				copy(g.Pix[3*(y*g.W+x):3*(y*g.W+x)+3], m.Pix[y*m.Stride+4*x:])
			}
		}
	default:
		return fmt.Errorf("PNG of an unexpected colour model %T", im)
	}
	g.PNG = nil
	return nil
}
