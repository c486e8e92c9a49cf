package sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Applied is a forgery or degradation with its strength. Strength is the
// named parameter of each (see Forgeries and Degradations); HasStrength is
// false when the caller left it to the simulator to draw.
type Applied struct {
	Name        string
	Strength    float64
	HasStrength bool
}

func (a Applied) String() string {
	if !a.HasStrength {
		return a.Name
	}
	return a.Name + ":" + strconv.FormatFloat(a.Strength, 'g', 4, 64)
}

// Kind describes one forgery or degradation for --list and for parsing.
type Kind struct {
	Name string
	// Doc says what it does; Param names the strength and its unit.
	Doc   string
	Param string
	// Min, Max bound the strength; Default is used when none is given and
	// the kind does not draw one at random (Random).
	Min, Max, Default float64
	Random            bool
	// order is the canonical order of application.
	order int
}

// The forgeries, in the order they are applied (and listed in truth.json).
var forgeryKinds = []Kind{
	{Name: "uv-bright-paper", Doc: "substitute paper with optical brighteners: the page glows blue-white under UV", Param: "brightness 0..1", Min: 0.2, Max: 1, Default: 1},
	{Name: "uv-overprint-missing", Doc: "the UV overprint is absent"},
	{Name: "uv-overprint-misplaced", Doc: "the UV overprint is printed off its place", Param: "shift in mm", Min: 3, Max: 40, Random: true},
	{Name: "mrz-ir-transparent", Doc: "the MRZ is reprinted with ink that does not absorb IR: it vanishes in the IR image"},
	{Name: "portrait-substituted", Doc: "a foreign photo pasted over the portrait: other face, photo texture, visible edge, wrong UV and IR response"},
	{Name: "field-altered", Doc: "a printed field (birth date or surname) altered: it differs from the MRZ"},
	{Name: "mrz-altered", Doc: "the MRZ altered with recomputed check digits: it differs from the printed fields"},
	{Name: "mrz-check-digits", Doc: "the MRZ carries wrong check digits"},
	{Name: "photocopy", Doc: "a colour photocopy: halftone print on UV-bright paper, UV features gone, IR shows every dark toner"},
}

// The degradations, in the order they are applied.
var degradationKinds = []Kind{
	{Name: "occlusion", Doc: "a thumb covers part of the page, never the MRZ", Param: "size 0..1", Min: 0.1, Max: 1, Default: 0.5},
	{Name: "light", Doc: "uneven illumination and a specular glare spot", Param: "strength 0..1", Min: 0, Max: 1, Default: 0.5},
	{Name: "perspective", Doc: "a phone photo of the page on a desk", Param: "tilt 0..1", Min: 0, Max: 1, Default: 0.5},
	{Name: "rotate", Doc: "the page rotated on the glass (any angle; 180 is upside down)", Param: "degrees", Min: -360, Max: 360, Random: true},
	{Name: "defocus", Doc: "out-of-focus blur", Param: "blur radius in mm (sigma)", Min: 0, Max: 1, Default: 0.15},
	{Name: "resolution", Doc: "resampled to another resolution", Param: "ppi", Min: 150, Max: 600, Random: true},
	{Name: "noise", Doc: "sensor noise", Param: "standard deviation in grey levels", Min: 0, Max: 60, Default: 8},
	{Name: "jpeg", Doc: "JPEG compression artefacts", Param: "quality 1..100", Min: 1, Max: 100, Default: 40},
}

func init() {
	for i := range forgeryKinds {
		forgeryKinds[i].order = i
	}
	for i := range degradationKinds {
		degradationKinds[i].order = i
	}
}

// Forgeries lists the forgeries the simulator applies.
func Forgeries() []Kind { return append([]Kind(nil), forgeryKinds...) }

// Degradations lists the degradations the simulator applies.
func Degradations() []Kind { return append([]Kind(nil), degradationKinds...) }

// ParseForgeries reads a comma-separated list of forgeries, each with an
// optional ":strength" ("uv-bright-paper:0.5,mrz-altered"); "none" or ""
// is the empty list. The result is in canonical order.
func ParseForgeries(s string) ([]Applied, error) {
	if s == "none" {
		return nil, nil
	}
	return parseList(s, forgeryKinds, "forgery")
}

// ParseDegradations reads a comma-separated list of degradations with
// optional strengths ("rotate:180,jpeg:30"); "none" or "" is the empty list.
func ParseDegradations(s string) ([]Applied, error) {
	if s == "none" {
		return nil, nil
	}
	return parseList(s, degradationKinds, "degradation")
}

func lookupKind(kinds []Kind, name string) *Kind {
	for i := range kinds {
		if kinds[i].Name == name {
			return &kinds[i]
		}
	}
	return nil
}

func parseList(s string, kinds []Kind, what string) ([]Applied, error) {
	var out []Applied
	seen := map[string]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, val, hasVal := strings.Cut(item, ":")
		k := lookupKind(kinds, name)
		if k == nil {
			names := make([]string, len(kinds))
			for i, k := range kinds {
				names[i] = k.Name
			}
			return nil, fmt.Errorf("unknown %s %q (want one of %s)", what, name, strings.Join(names, ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("%s %q given twice", what, name)
		}
		seen[name] = true
		a := Applied{Name: name}
		if hasVal {
			if k.Param == "" {
				return nil, fmt.Errorf("%s %q takes no strength (got %q)", what, name, val)
			}
			v, err := strconv.ParseFloat(val, 64)
			if err != nil || v != v {
				return nil, fmt.Errorf("%s %q: strength %q is not a number", what, name, val)
			}
			if v < k.Min || v > k.Max {
				return nil, fmt.Errorf("%s %q: strength %g outside %g..%g (%s)", what, name, v, k.Min, k.Max, k.Param)
			}
			a.Strength, a.HasStrength = v, true
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		return lookupKind(kinds, out[i].Name).order < lookupKind(kinds, out[j].Name).order
	})
	return out, nil
}

// Label returns the forgery label of a list: "none" or the names joined
// by commas.
func Label(fs []Applied) string {
	if len(fs) == 0 {
		return "none"
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return strings.Join(names, ",")
}

func has(fs []Applied, name string) (Applied, bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Applied{}, false
}
