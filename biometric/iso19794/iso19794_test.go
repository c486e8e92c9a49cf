package iso19794

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"checkpost/biometric"
	"checkpost/internal/shareddata"
)

// vectors returns every ISO/IEC 19794-2:2005 record of the shared data:
// libbiomeval's, FingerJetFX's and the 320 beside the FVC2002 images.
func vectors(t testing.TB) []string {
	dir := shareddata.Dir(t)
	var files []string
	for _, pattern := range []string{
		"fingerprints/templates/libbiomeval-fmr.iso2005",
		"fingerprints/templates/fingerjetfx-iso/*.ist",
		"fingerprints/fvc2002/DB*_B/*.iso",
	} {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
		if err != nil || len(m) == 0 {
			t.Fatalf("no files match %s", pattern)
		}
		files = append(files, m...)
	}
	return files
}

func TestVectorsRoundTrip(t *testing.T) {
	files := vectors(t)
	views, minutiae, exact := 0, 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
		r, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, w := range r.Warnings {
			t.Logf("%s: tolerated: %s", name, w)
		}
		out, err := r.Encode()
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		if len(r.Warnings) == 0 {
			if !bytes.Equal(out, data) {
				t.Errorf("%s: written record differs from the one read", name)
			} else {
				exact++
			}
		}
		again, err := Decode(out)
		if err != nil {
			t.Errorf("%s: reading our output: %v", name, err)
			continue
		}
		r.Warnings = nil
		if !reflect.DeepEqual(r, again) {
			t.Errorf("%s: read → write → read changed the record", name)
		}
		views += len(r.Views)
		for _, v := range r.Views {
			minutiae += len(v.Minutiae)
		}
	}
	t.Logf("%d records, %d views, %d minutiae; %d written back byte for byte", len(files), views, minutiae, exact)
}

// TestLibbiomevalVector checks the fields of libbiomeval's record against
// the values its documentation lists.
func TestLibbiomevalVector(t *testing.T) {
	data, err := os.ReadFile(shareddata.Path(t, "fingerprints/templates/libbiomeval-fmr.iso2005"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 512 || r.Height != 512 || r.XResolution != 197 || r.EquipmentID != 0xB5 || len(r.Views) != 2 {
		t.Fatalf("header: %+v", r)
	}
	v := r.Views[0]
	if v.Position != biometric.LeftIndex || v.Quality != 90 || len(v.Minutiae) != 27 {
		t.Errorf("view 1: position %v quality %d, %d minutiae", v.Position, v.Quality, len(v.Minutiae))
	}
	m := v.Minutiae[0]
	if m.Type != 1 || m.X != 100 || m.Y != 14 || m.Angle != 80 || m.Quality != 90 {
		t.Errorf("first minutia %+v", m)
	}
	if len(r.Views[1].Extended) != 1 || r.Views[1].Extended[0].Type != 2 {
		t.Errorf("view 2 extended data: %+v", r.Views[1].Extended)
	}
	ts := r.Templates()
	if ts[0].ResolutionPPI != 500 || math.Abs(ts[0].Minutiae[0].Angle-80*2*math.Pi/256) > 1e-12 ||
		ts[0].Minutiae[0].Type != biometric.MinutiaEnding {
		t.Errorf("template: %d ppi, first minutia %+v", ts[0].ResolutionPPI, ts[0].Minutiae[0])
	}
}

func TestTemplateConversion(t *testing.T) {
	tpl := biometric.Template{Width: 388, Height: 374, ResolutionPPI: 500, Position: biometric.RightIndex, Quality: 77,
		Minutiae: []biometric.Minutia{
			{X: 10, Y: 20, Angle: 0, Type: biometric.MinutiaEnding, Quality: 50},
			{X: 387, Y: 373, Angle: math.Pi, Type: biometric.MinutiaBifurcation, Quality: 100},
			{X: 5, Y: 6, Angle: 2*math.Pi - 0.001, Type: biometric.MinutiaOther},
		}}
	second := tpl
	second.Position = biometric.RightIndex
	r, err := FromTemplates(tpl, second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Views[1].ViewNumber != 1 || r.XResolution != 197 {
		t.Errorf("view numbers / resolution: %d, %d", r.Views[1].ViewNumber, r.XResolution)
	}
	data, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	got := back.Templates()[0]
	if got.Width != 388 || got.Height != 374 || got.ResolutionPPI != 500 || got.Quality != 77 || got.Position != biometric.RightIndex {
		t.Errorf("template header %+v", got)
	}
	for i, m := range got.Minutiae {
		want := tpl.Minutiae[i]
		d := math.Abs(math.Remainder(m.Angle-want.Angle, 2*math.Pi))
		if m.X != want.X || m.Y != want.Y || m.Type != want.Type || m.Quality != want.Quality || d > math.Pi/256 {
			t.Errorf("minutia %d: %+v, want %+v", i, m, want)
		}
	}
	// Bad templates are refused with a reason.
	bad := tpl
	bad.Minutiae = []biometric.Minutia{{X: 20000, Y: 1}}
	if _, err := FromTemplates(bad); err == nil {
		t.Error("coordinate beyond 14 bits accepted")
	}
	other := tpl
	other.ResolutionPPI = 1000
	if _, err := FromTemplates(tpl, other); err == nil {
		t.Error("two resolutions in one record accepted")
	}
}

func TestDecodeErrors(t *testing.T) {
	r, _ := FromTemplates(biometric.Template{Width: 100, Height: 100, ResolutionPPI: 500,
		Minutiae: []biometric.Minutia{{X: 1, Y: 2, Type: biometric.MinutiaEnding}}})
	good, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(good); n++ {
		if _, err := Decode(good[:n]); err == nil {
			t.Errorf("record cut to %d of %d bytes accepted", n, len(good))
		}
	}
	v2011 := append([]byte("FMR\x00030\x00"), good[8:]...)
	if _, err := Decode(v2011); err != ErrVersion {
		t.Errorf("2011 record: %v, want ErrVersion", err)
	}
}

func FuzzDecode(f *testing.F) {
	r, _ := FromTemplates(biometric.Template{Width: 100, Height: 100, ResolutionPPI: 500,
		Minutiae: []biometric.Minutia{{X: 1, Y: 2, Type: biometric.MinutiaEnding, Quality: 40}}})
	r.Views[0].Extended = append(r.Views[0].Extended, fmrBlock(2, []byte{0x41, 0x40, 0x10, 0x00, 0x20, 0x30}))
	good, _ := r.Encode()
	f.Add(good)
	f.Add(good[:30])
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
