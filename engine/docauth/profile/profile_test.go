package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Profile {
	lo, hi := 0.5, 0.3
	return &Profile{
		ID: "uto-passport", Title: "test", Issuer: "UTO", DocumentCodes: []string{"P"}, MRZFormat: "TD3",
		Page: Page{WidthMM: 125, HeightMM: 88},
		Sides: []Side{{
			Name: "front", MRZ: true,
			Regions: []Region{{Name: "mrz", Kind: KindMRZ, Box: [4]float64{0.05, 0.8, 0.95, 0.9}},
				{Name: "field.surname", Kind: KindField, Box: [4]float64{0.3, 0.3, 0.7, 0.33}, IRDark: true}},
			Templates: []Grid{
				{Name: "white", W: 4, H: 3, Channels: 3, CellMM: 0.5, Pix: bytes.Repeat([]byte{1, 2, 3}, 12)},
				{Name: "static", W: 4, H: 3, Channels: 1, CellMM: 0.5, Pix: []byte{0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255}},
			},
			Measurements: []Measurement{{Name: "ir.mrz.absorption", N: 3, Mean: 0.97, Std: 0.01, Min: 0.96, Max: 0.98, Lo: &lo},
				{Name: "uv.paper.ratio", N: 3, Mean: 0.13, Hi: &hi}},
		}},
		Learned: Learned{At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Captures: 3, Sources: []string{"a", "b", "c"}},
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	p := sample()
	data, err := Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if q.Format != FormatName || q.Version != FormatVersion {
		t.Errorf("format %q version %d", q.Format, q.Version)
	}
	if q.ID != p.ID || q.Page != p.Page || len(q.Sides) != 1 || len(q.Sides[0].Regions) != 2 {
		t.Fatalf("decoded %+v", q)
	}
	for i, g := range q.Sides[0].Templates {
		if !bytes.Equal(g.Pix, p.Sides[0].Templates[i].Pix) {
			t.Errorf("template %s: pixels differ after the round trip", g.Name)
		}
	}
	m := q.Sides[0].Measurement("ir.mrz.absorption")
	if m == nil || m.Lo == nil || *m.Lo != 0.5 || m.Hi != nil {
		t.Errorf("measurement %+v", m)
	}
	again, err := Encode(q)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("encoding the decoded profile gives other bytes")
	}
}

func TestDecodeRejects(t *testing.T) {
	good, err := Encode(sample())
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"other format":   strings.Replace(string(good), FormatName, "something-else", 1),
		"newer version":  strings.Replace(string(good), fmt.Sprintf(`"version": %d`, FormatVersion), `"version": 99`, 1),
		"bad id":         strings.Replace(string(good), `"id": "uto-passport"`, `"id": "../etc/passwd"`, 1),
		"region outside": strings.Replace(string(good), `0.95,`, `1.5,`, 1),
		"unknown field":  strings.Replace(string(good), `"title"`, `"colour": 1, "title"`, 1),
		"bad kind":       strings.Replace(string(good), `"kind": "mrz"`, `"kind": "hologram"`, 1),
		"grid size lies": strings.Replace(string(good), `"w": 4`, `"w": 5`, 1),
		"not json":       "{",
		"trailing data":  string(good) + "{}",
	}
	for name, data := range cases {
		if _, err := Decode([]byte(data)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, mod := range map[string]func(p *Profile){
		"no sides":   func(p *Profile) { p.Sides = nil },
		"issuer":     func(p *Profile) { p.Issuer = "D<<" },
		"codes":      func(p *Profile) { p.DocumentCodes = nil },
		"format":     func(p *Profile) { p.MRZFormat = "TD4" },
		"page":       func(p *Profile) { p.Page.WidthMM = 5 },
		"side twice": func(p *Profile) { p.Sides = append(p.Sides, p.Sides[0]) },
		"empty box":  func(p *Profile) { p.Sides[0].Regions[0].Box = [4]float64{0.5, 0.5, 0.5, 0.6} },
		"lo above hi": func(p *Profile) {
			lo, hi := 2.0, 1.0
			p.Sides[0].Measurements[0].Lo, p.Sides[0].Measurements[0].Hi = &lo, &hi
		},
		"pixels missing": func(p *Profile) { p.Sides[0].Templates[0].Pix = p.Sides[0].Templates[0].Pix[:5] },
	} {
		p := sample()
		mod(p)
		if err := p.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
	if err := sample().Validate(); err != nil {
		t.Errorf("the sample is invalid: %v", err)
	}
}

func TestStoreKeepsHistory(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Get("uto-passport"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: %v", err)
	}
	p := sample()
	if err := st.Put(p); err != nil {
		t.Fatal(err)
	}
	if p.Revision != 1 {
		t.Errorf("first revision %d", p.Revision)
	}
	p2 := sample()
	p2.Title = "second"
	if err := st.Put(p2); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get("uto-passport")
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 2 || got.Title != "second" {
		t.Errorf("current: revision %d title %q", got.Revision, got.Title)
	}
	revs, err := st.History("uto-passport")
	if err != nil || len(revs) != 1 || revs[0] != 1 {
		t.Fatalf("history %v %v", revs, err)
	}
	old, err := readFile(filepath.Join(dir, "history", "uto-passport.r1.json"))
	if err != nil || old.Title != "test" {
		t.Errorf("revision 1 not kept: %v %+v", err, old)
	}
	// A broken file is reported by List, the others still listed.
	other := sample()
	other.ID = "uto-visa"
	if err := st.Put(other); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	ps, err := st.List()
	if err == nil || !strings.Contains(err.Error(), "broken.json") {
		t.Errorf("List did not report the broken file: %v", err)
	}
	if len(ps) != 2 || ps[0].ID != "uto-passport" || ps[1].ID != "uto-visa" {
		t.Errorf("listed %d profiles", len(ps))
	}
	// A current file that does not read is never replaced.
	if err := os.WriteFile(filepath.Join(dir, "broken.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := sample()
	b.ID = "broken"
	if err := st.Put(b); err == nil {
		t.Error("Put replaced an unreadable current revision")
	}
}

func FuzzDecode(f *testing.F) {
	good, err := Encode(sample())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	withGlyphs := sample()
	withGlyphs.Sides[0].Glyphs = &GlyphSet{W: 2, H: 2, Glyphs: []Glyph{{Char: "7", N: 3, Pix: []byte{0, 255, 0, 255}}},
		DateLayouts: map[string]string{"birth_date": "02 Jan 2006"}}
	if g, err := Encode(withGlyphs); err != nil {
		f.Fatal(err)
	} else {
		f.Add(g)
	}
	f.Add([]byte(`{"format":"checkpost-docauth-profile","version":1}`))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error not wrapping ErrInvalid: %v", err)
			}
			return
		}
		if _, err := Encode(p); err != nil {
			t.Fatalf("a decoded profile does not encode: %v", err)
		}
	})
}
