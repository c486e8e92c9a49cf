package native

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"reflect"
	"testing"

	"checkpost/biometric"
)

func sample() biometric.Template {
	return biometric.Template{
		Width: 388, Height: 374, ResolutionPPI: 500, Position: biometric.RightIndex, Quality: 87,
		Minutiae: []biometric.Minutia{
			{X: 10, Y: 20, Angle: 0, Type: biometric.MinutiaEnding, Quality: 90},
			{X: 387, Y: 373, Angle: math.Pi, Type: biometric.MinutiaBifurcation, Quality: 1},
			{X: 150, Y: 200, Angle: 2*math.Pi - 0.001, Type: biometric.MinutiaOther, Quality: 0},
		},
	}
}

func TestRoundTrip(t *testing.T) {
	in := sample()
	b, err := Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 20+8*len(in.Minutiae) {
		t.Errorf("size %d, want %d", len(b), 20+8*len(in.Minutiae))
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Width != in.Width || out.Height != in.Height || out.ResolutionPPI != in.ResolutionPPI ||
		out.Position != in.Position || out.Quality != in.Quality || len(out.Minutiae) != len(in.Minutiae) {
		t.Fatalf("header changed: %+v -> %+v", in, out)
	}
	for i, m := range in.Minutiae {
		o := out.Minutiae[i]
		if o.X != m.X || o.Y != m.Y || o.Type != m.Type || o.Quality != m.Quality {
			t.Errorf("minutia %d: %+v -> %+v", i, m, o)
		}
		// Angles keep 1/65536 of a turn; an angle just under 2π may wrap
		// to 0.
		d := math.Abs(math.Remainder(o.Angle-m.Angle, 2*math.Pi))
		if d > math.Pi/65536+1e-12 {
			t.Errorf("minutia %d: angle %v -> %v", i, m.Angle, o.Angle)
		}
	}
	// Encoding the decoded template gives the same bytes.
	b2, err := Encode(&out)
	if err != nil || string(b2) != string(b) {
		t.Errorf("second encoding differs (err %v)", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	in := sample()
	good, _ := Encode(&in)
	mutate := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), ErrFormat},
		{"version", mutate(func(b []byte) []byte { b[4] = 5; return b }), ErrVersion},
		{"version 4 without singular points", mutate(func(b []byte) []byte { b[4] = 4; return b }), ErrFormat},
		{"version 3 without a ridge map", mutate(func(b []byte) []byte { b[4] = 3; return b }), ErrFormat},
		{"version 2 length", mutate(func(b []byte) []byte { b[4] = 2; return b }), ErrFormat},
		{"truncated", good[:len(good)-3], ErrFormat},
		{"extra byte", append(append([]byte(nil), good...), 0), ErrFormat},
		{"flipped bit", mutate(func(b []byte) []byte { b[17] ^= 1; return b }), ErrChecksum},
		{"count too high", mutate(func(b []byte) []byte { b[15]++; return b }), ErrFormat},
	}
	for _, c := range cases {
		if _, err := Decode(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: error %v, want %v", c.name, err, c.want)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	for name, f := range map[string]func(*biometric.Template){
		"negative x":   func(t *biometric.Template) { t.Minutiae[0].X = -1 },
		"NaN angle":    func(t *biometric.Template) { t.Minutiae[0].Angle = math.NaN() },
		"quality 101":  func(t *biometric.Template) { t.Quality = 101 },
		"type 3":       func(t *biometric.Template) { t.Minutiae[1].Type = 3 },
		"huge width":   func(t *biometric.Template) { t.Width = 70000 },
		"position 11":  func(t *biometric.Template) { t.Position = 11 },
		"too many":     func(t *biometric.Template) { t.Minutiae = make([]biometric.Minutia, 256) },
		"min quality ": func(t *biometric.Template) { t.Minutiae[2].Quality = 200 },
	} {
		tp := sample()
		f(&tp)
		if _, err := Encode(&tp); err == nil {
			t.Errorf("%s: encoded without error", name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	in := sample()
	good, _ := Encode(&in)
	f.Add(good)
	in.Ridges = sampleRidges()
	withRidges, _ := Encode(&in)
	f.Add(withRidges)
	in.Singular = sampleSingular()
	withSingular, _ := Encode(&in)
	f.Add(withSingular)
	in.Ridges = nil
	singularOnly, _ := Encode(&in)
	f.Add(singularOnly)
	f.Add([]byte("CPFT"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tp, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes must encode back to the same bytes (a version 2
		// template without descriptors is written as version 1), and
		// those decode to the same template.
		out, err := Encode(&tp)
		if err != nil {
			t.Fatalf("decoded template does not encode: %v", err)
		}
		if b[4] == 1 || hasOrientation(&tp) {
			if string(out) != string(b) {
				t.Fatalf("round trip changed the bytes")
			}
		}
		tp2, err := Decode(out)
		if err != nil || !sameTemplate(&tp, &tp2) {
			t.Fatalf("re-encoded template decodes differently (%v)", err)
		}
	})
}

func hasOrientation(t *biometric.Template) bool {
	for _, m := range t.Minutiae {
		if m.Orientation != 0 {
			return true
		}
	}
	return false
}

func sameTemplate(a, b *biometric.Template) bool {
	if a.Width != b.Width || a.Height != b.Height || a.ResolutionPPI != b.ResolutionPPI ||
		a.Position != b.Position || a.Quality != b.Quality || len(a.Minutiae) != len(b.Minutiae) {
		return false
	}
	for i := range a.Minutiae {
		if a.Minutiae[i] != b.Minutiae[i] {
			return false
		}
	}
	return reflect.DeepEqual(a.Singular, b.Singular) && reflect.DeepEqual(a.Ridges, b.Ridges)
}

func sampleSingular() []biometric.SingularPoint {
	return []biometric.SingularPoint{
		{X: 150, Y: 180, Angle: 3 * math.Pi / 2, Type: biometric.SingularCore, Confidence: 74},
		{X: 190, Y: 300, Angle: 0.4, Type: biometric.SingularDelta, Confidence: 38},
	}
}

// TestVersion4Singular: the singular points are kept (version 4), with a
// ridge map or without one (its header then zero), their angles to
// 1/65536 of a turn; bad points are refused on both sides.
func TestVersion4Singular(t *testing.T) {
	for _, withRidges := range []bool{true, false} {
		in := sample()
		if withRidges {
			in.Ridges = sampleRidges()
		}
		in.Singular = sampleSingular()
		b, err := Encode(&in)
		if err != nil {
			t.Fatal(err)
		}
		want := 20 + 12*len(in.Minutiae) + 7 + 1 + 8*len(in.Singular)
		if withRidges {
			want += 15 + 6
		}
		if b[4] != 4 || len(b) != want {
			t.Fatalf("ridges %v: version %d, %d bytes; want version 4, %d bytes", withRidges, b[4], len(b), want)
		}
		out, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out.Ridges, in.Ridges) || len(out.Singular) != len(in.Singular) {
			t.Fatalf("ridges %v: decoded %+v", withRidges, out)
		}
		for i, p := range in.Singular {
			o := out.Singular[i]
			if o.X != p.X || o.Y != p.Y || o.Type != p.Type || o.Confidence != p.Confidence ||
				math.Abs(math.Remainder(o.Angle-p.Angle, 2*math.Pi)) > math.Pi/65536+1e-12 {
				t.Errorf("ridges %v: point %d %+v -> %+v", withRidges, i, p, o)
			}
		}
		if b2, err := Encode(&out); err != nil || string(b2) != string(b) {
			t.Errorf("ridges %v: second encoding differs (err %v)", withRidges, err)
		}
		reseal := func(b []byte) []byte {
			b = b[:len(b)-4]
			return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
		}
		n := len(b) - 4 - 8*len(in.Singular) // the first point
		badType := append([]byte(nil), b...)
		badType[n+6] = 3
		badConf := append([]byte(nil), b...)
		badConf[n+7] = 101
		outside := append([]byte(nil), b...)
		binary.BigEndian.PutUint16(outside[n:], uint16(in.Width))
		noPoints := append([]byte(nil), b...)
		noPoints[n-1] = 0
		for name, bad := range map[string][]byte{"type 3": reseal(badType), "confidence 101": reseal(badConf),
			"outside the image": reseal(outside), "count 0": reseal(noPoints)} {
			if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
				t.Errorf("ridges %v, %s: error %v, want ErrFormat", withRidges, name, err)
			}
		}
	}
	for name, f := range map[string]func(*biometric.SingularPoint){
		"type 0":         func(p *biometric.SingularPoint) { p.Type = 0 },
		"confidence 101": func(p *biometric.SingularPoint) { p.Confidence = 101 },
		"NaN angle":      func(p *biometric.SingularPoint) { p.Angle = math.NaN() },
		"negative y":     func(p *biometric.SingularPoint) { p.Y = -1 },
	} {
		in := sample()
		in.Singular = sampleSingular()
		f(&in.Singular[1])
		if _, err := Encode(&in); err == nil {
			t.Errorf("%s: encoded without error", name)
		}
	}
}

func TestVersion2Descriptors(t *testing.T) {
	in := sample()
	in.Minutiae[0].Orientation = 0x12345678
	in.Minutiae[2].Orientation = 0xf0000001
	b, err := Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	if b[4] != 2 || len(b) != 20+12*len(in.Minutiae) {
		t.Fatalf("version %d, %d bytes; want version 2, %d bytes", b[4], len(b), 20+12*len(in.Minutiae))
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range in.Minutiae {
		if out.Minutiae[i].Orientation != m.Orientation {
			t.Errorf("minutia %d: orientation %#x -> %#x", i, m.Orientation, out.Minutiae[i].Orientation)
		}
	}
	// Without descriptors: version 1, readable as before.
	plain := sample()
	b1, _ := Encode(&plain)
	if b1[4] != 1 {
		t.Errorf("a template without descriptors is written as version %d", b1[4])
	}
	if _, err := Decode(b1); err != nil {
		t.Error(err)
	}
}

func sampleRidges() *biometric.RidgeMap {
	r := &biometric.RidgeMap{Cell: 16, X0: 32, Y0: -16, Cols: 3, Rows: 5}
	for i := range r.Cols * r.Rows {
		r.Cells = append(r.Cells, uint8(i*37))
	}
	r.Cells[4] = biometric.RidgeAbsent << 4
	for i := range r.PeriodCols() * r.PeriodRows() {
		r.Periods = append(r.Periods, uint8(140+i))
	}
	return r
}

// A template with a ridge map is written as version 3 and read back
// whole; a damaged map is rejected.
func TestVersion3Ridges(t *testing.T) {
	in := sample()
	in.Ridges = sampleRidges()
	b, err := Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	if want := 20 + 12*len(in.Minutiae) + 7 + 15 + 6; b[4] != 3 || len(b) != want {
		t.Fatalf("version %d, %d bytes; want version 3, %d bytes", b[4], len(b), want)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Ridges, in.Ridges) {
		t.Errorf("ridge map %+v, want %+v", out.Ridges, in.Ridges)
	}
	// A period of 0, and a map one row short, with checksums that fit.
	reseal := func(b []byte) []byte {
		b = b[:len(b)-4]
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	zero := append([]byte(nil), b...)
	zero[len(zero)-5] = 0
	short := append([]byte(nil), b...)
	short[16+12*len(in.Minutiae)+6]--
	for name, bad := range map[string][]byte{"zero period": reseal(zero), "short map": reseal(short)} {
		if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
	in.Ridges.Cols = 65
	if _, err := Encode(&in); err == nil {
		t.Error("a map of 65 columns encoded without error")
	}
}
