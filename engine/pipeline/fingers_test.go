package pipeline_test

import (
	"bytes"
	"image"
	"image/png"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/native"
	"checkpost/biometric/watchlist/synth"
	"checkpost/engine/pipeline"
)

func TestFingerTemplatesReadsTemplatesAndRefusesJunk(t *testing.T) {
	tm := synth.New(3).Template()
	tm.Position = biometric.Position(7)
	b, err := native.Encode(&tm)
	if err != nil {
		t.Fatal(err)
	}
	ts, source, _, err := pipeline.FingerTemplates(b, 0)
	if err != nil || len(ts) != 1 || source != "native template" || len(ts[0].Minutiae) != len(tm.Minutiae) || ts[0].Position != 7 {
		t.Fatalf("native: %v %q %v", len(ts), source, err)
	}
	var blank bytes.Buffer
	png.Encode(&blank, image.NewGray(image.Rect(0, 0, 300, 300)))
	for name, data := range map[string][]byte{"empty": nil, "text": []byte("hello"), "bad FMR": []byte("FMR\x00 20\x00\x00\x00"),
		"blank image": blank.Bytes(), "cut native": b[:len(b)/2]} {
		if _, _, _, err := pipeline.FingerTemplates(data, 0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzFingerTemplates: whatever a counter sends as a finger, the answer is
// templates or an error, never a panic.
func FuzzFingerTemplates(f *testing.F) {
	tm := synth.New(4).Template()
	b, _ := native.Encode(&tm)
	f.Add(b)
	f.Add([]byte("FMR\x00 20\x00\x00\x00\x00\x30"))
	var small bytes.Buffer
	png.Encode(&small, image.NewGray(image.Rect(0, 0, 40, 40)))
	f.Add(small.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, _, err := pipeline.FingerTemplates(data, 0)
		if err == nil && len(ts) == 0 {
			t.Fatal("no template and no error")
		}
	})
}
