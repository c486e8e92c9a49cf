package ansi378

import (
	"bytes"
	"math"
	"os"
	"reflect"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/internal/fmr"
	"checkpost/biometric/iso19794"
	"checkpost/internal/shareddata"
)

func read(t *testing.T, rel string) ([]byte, *Record) {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return data, r
}

func TestVectorsRoundTrip(t *testing.T) {
	for _, rel := range []string{"fingerprints/templates/libbiomeval-fmr.ansi2004", "fingerprints/templates/libbiomeval-fmr.ansi2007"} {
		data, r := read(t, rel)
		for _, w := range r.Warnings {
			t.Logf("%s: tolerated: %s", rel, w)
		}
		out, err := r.Encode()
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if len(r.Warnings) == 0 && !bytes.Equal(out, data) {
			t.Errorf("%s: written record differs from the one read", rel)
		}
		if len(r.Warnings) > 0 {
			// Everything but the tolerated trailing bytes must come back.
			n := len(out)
			if !bytes.Equal(out[10:n], data[10:n]) {
				t.Errorf("%s: written record differs beyond the record length", rel)
			}
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		r.Warnings = nil
		if !reflect.DeepEqual(r, again) {
			t.Errorf("%s: read → write → read changed the record", rel)
		}
		t.Logf("%s: %v, %d views", rel, r.Version, len(r.Views))
	}
}

func TestLibbiomevalFields(t *testing.T) {
	_, r4 := read(t, "fingerprints/templates/libbiomeval-fmr.ansi2004")
	_, r9 := read(t, "fingerprints/templates/libbiomeval-fmr.ansi2007")
	if r4.Version != Version2004 || r9.Version != Version2009 {
		t.Fatalf("versions %v, %v", r4.Version, r9.Version)
	}
	if r4.ProductOwner != 0x42 || r4.ProductType != 0x11 || r4.EquipmentID != 0xB5 || len(r4.Views) != 3 {
		t.Errorf("2004 header %+v", r4)
	}
	if len(r9.Views) != 2 || r9.Views[1].QualityOwner != 0x42 || r9.Views[1].QualityAlgorithm != 0x0C {
		t.Errorf("2009 views %+v", r9.Views)
	}
	// The two editions hold the same first two views.
	for i := 0; i < 2; i++ {
		a, b := r4.Views[i], r9.Views[i]
		if a.Position != b.Position || a.Quality != b.Quality || !reflect.DeepEqual(a.Minutiae, b.Minutiae) ||
			a.Width != b.Width || a.XResolution != b.XResolution {
			t.Errorf("view %d differs between the editions", i+1)
		}
	}
	if m := r4.Views[0].Minutiae[0]; m.X != 100 || m.Y != 14 || m.Angle != 56 || m.Type != 1 {
		t.Errorf("first minutia %+v", m)
	}
	// A view with ridge counts and cores/deltas keeps its blocks.
	if ext := r4.Views[2].Extended; len(ext) != 2 || ext[0].Type != 1 || ext[1].Type != 2 {
		t.Errorf("view 3 extended data: %d blocks", len(ext))
	}
}

// TestCrossFormat compares libbiomeval's ISO and ANSI records of the same
// minutiae: converted through biometric.Template, each gives the other's
// fields (angles within half a unit of the coarser 2° grid).
func TestCrossFormat(t *testing.T) {
	_, ansi := read(t, "fingerprints/templates/libbiomeval-fmr.ansi2004")
	isoData, err := os.ReadFile(shareddata.Path(t, "fingerprints/templates/libbiomeval-fmr.iso2005"))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := iso19794.Decode(isoData)
	if err != nil {
		t.Fatal(err)
	}
	fromISO, fromANSI := iso.Templates(), ansi.Templates()
	for v := range fromISO {
		a, b := fromISO[v], fromANSI[v]
		if a.Width != b.Width || a.ResolutionPPI != b.ResolutionPPI || a.Position != b.Position || len(a.Minutiae) != len(b.Minutiae) {
			t.Fatalf("view %d: %+v vs %+v", v+1, a, b)
		}
		for i := range a.Minutiae {
			ma, mb := a.Minutiae[i], b.Minutiae[i]
			d := math.Abs(math.Remainder(ma.Angle-mb.Angle, 2*math.Pi))
			if ma.X != mb.X || ma.Y != mb.Y || ma.Type != mb.Type || ma.Quality != mb.Quality || d > math.Pi/180+1e-9 {
				t.Errorf("view %d minutia %d: ISO %+v, ANSI %+v", v+1, i+1, ma, mb)
			}
		}
		// ISO → template → ANSI gives the ANSI record's own minutiae.
		conv, err := FromTemplates(Version2004, a)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range conv.Views[0].Minutiae {
			want := ansi.Views[v].Minutiae[i]
			if m.X != want.X || m.Y != want.Y || m.Type != want.Type || absDiff(m.Angle, want.Angle) > 1 {
				t.Errorf("view %d minutia %d: converted %+v, ANSI record %+v", v+1, i+1, m, want)
			}
		}
	}
}

func absDiff(a, b uint8) int {
	d := int(a) - int(b)
	if d < 0 {
		d = -d
	}
	return min(d, AngleUnits-d)
}

func TestEditionsAndLengthForms(t *testing.T) {
	tpl := biometric.Template{Width: 300, Height: 400, ResolutionPPI: 500, Position: biometric.LeftThumb, Quality: 60}
	for i := 0; i < 255; i++ {
		tpl.Minutiae = append(tpl.Minutiae, biometric.Minutia{X: i, Y: 2 * i, Angle: float64(i) * 0.02, Type: biometric.MinutiaType(i % 3), Quality: uint8(i % 101)})
	}
	for _, version := range []Version{Version2004, Version2009} {
		var ts []biometric.Template
		for i := 0; i < 50; i++ { // 50 full views: past the 2-byte length
			v := tpl
			v.Position = biometric.Position(i % 11)
			ts = append(ts, v)
		}
		r, err := FromTemplates(version, ts...)
		if err != nil {
			t.Fatalf("%v: %v", version, err)
		}
		data, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if version == Version2004 && (data[8] != 0 || data[9] != 0) {
			t.Errorf("2004 record of %d bytes without the long length form", len(data))
		}
		back, err := Decode(data)
		if err != nil {
			t.Fatalf("%v: %v", version, err)
		}
		if !reflect.DeepEqual(r, back) {
			t.Errorf("%v: record changed through encode/decode", version)
		}
		got := back.Templates()[49]
		if got.Width != 300 || got.ResolutionPPI != 500 || len(got.Minutiae) != 255 || back.Views[49].ViewNumber != 4 {
			t.Errorf("%v: last view %dx%d at %d ppi, %d minutiae, view number %d", version, got.Width, got.Height,
				got.ResolutionPPI, len(got.Minutiae), back.Views[49].ViewNumber)
		}
	}
}

func TestRefusals(t *testing.T) {
	tpl := biometric.Template{Width: 300, Height: 400, ResolutionPPI: 500}
	many := make([]biometric.Template, 17)
	for i := range many {
		many[i] = tpl
	}
	if _, err := FromTemplates(Version2004, many...); err == nil {
		t.Error("17 views of one finger accepted (view numbers are 4 bits)")
	}
	other := tpl
	other.Width = 500
	if _, err := FromTemplates(Version2004, tpl, other); err == nil {
		t.Error("two image sizes in a 2004 record accepted")
	}
	if _, err := FromTemplates(Version2009, tpl, other); err != nil {
		t.Errorf("2009 record with per-view sizes refused: %v", err)
	}
	r, _ := FromTemplates(Version2004, biometric.Template{Width: 10, Height: 10, ResolutionPPI: 500,
		Minutiae: []biometric.Minutia{{X: 1, Y: 1}}})
	good, _ := r.Encode()
	bad := append([]byte{}, good...)
	bad[len(bad)-4] = 200 // the angle byte of the only minutia
	if _, err := Decode(bad); err == nil {
		t.Error("angle 200 (2° units) accepted")
	}
	for n := 0; n < len(good); n++ {
		if _, err := Decode(good[:n]); err == nil {
			t.Errorf("record cut to %d of %d bytes accepted", n, len(good))
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, v := range []Version{Version2004, Version2009} {
		r, _ := FromTemplates(v, biometric.Template{Width: 100, Height: 100, ResolutionPPI: 500,
			Minutiae: []biometric.Minutia{{X: 1, Y: 2, Type: biometric.MinutiaEnding, Quality: 40}}})
		r.Views[0].Extended = []fmr.ExtendedBlock{{Type: 1, Data: []byte{0, 0, 1, 3}}}
		good, _ := r.Encode()
		f.Add(good)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data)
		if err != nil {
			return
		}
		out, err := r.Encode()
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("our output does not decode: %v", err)
		}
		r.Warnings = nil
		if !reflect.DeepEqual(r, again) {
			t.Fatal("read → write → read changed the record")
		}
		_ = r.Templates()
	})
}
