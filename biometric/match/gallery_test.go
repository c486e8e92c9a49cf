package match

import (
	"bytes"
	"errors"
	"testing"

	"checkpost/biometric"
)

func galleryRef() biometric.Template {
	t := biometric.Template{Width: 300, Height: 300, ResolutionPPI: 500}
	s := uint32(7)
	for len(t.Minutiae) < 30 {
		s = s*1664525 + 1013904223
		t.Minutiae = append(t.Minutiae, biometric.Minutia{X: int(s>>8) % 280, Y: int(s>>20) % 280, Angle: float64(s%628) / 100, Type: biometric.MinutiaEnding})
	}
	return t
}

func TestStoredFormRoundTrip(t *testing.T) {
	src := galleryRef()
	a, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 1+a.Len()*(minutiaBytes+8*cylStride) {
		t.Errorf("stored form of %d minutiae is %d bytes", a.Len(), len(b))
	}
	var c Template
	if err := c.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if c != *a {
		t.Error("the template read back differs from the one written")
	}
	var m Matcher
	if m.Compare(a, &c) != m.Compare(a, a) || m.Screen(a, &c) != m.Screen(a, a) {
		t.Error("a template read back compares differently")
	}
	if FormatID() == "" || FormatID() != FormatID() {
		t.Error("FormatID empty or unstable")
	}
	for _, bad := range [][]byte{nil, {49}, b[:len(b)-1], append(bytes.Clone(b), 0)} {
		if err := c.UnmarshalBinary(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("%d bytes: %v", len(bad), err)
		}
	}
}

func TestScreenRanksMatesAboveOthers(t *testing.T) {
	src := galleryRef()
	a, _ := Prepare(&src)
	// The same print moved: screening ignores position.
	moved := src
	moved.Minutiae = append([]biometric.Minutia(nil), src.Minutiae...)
	for i := range moved.Minutiae {
		moved.Minutiae[i].X += 9
		moved.Minutiae[i].Y -= 5
	}
	b, _ := Prepare(&moved)
	other := src
	other.Minutiae = nil
	for i, m := range src.Minutiae {
		m.X, m.Y = m.Y, (m.X*7+i*31)%280
		other.Minutiae = append(other.Minutiae, m)
	}
	c, _ := Prepare(&other)
	var m Matcher
	if m.Screen(a, b) <= m.Screen(a, c) {
		t.Errorf("screen: moved copy %v, other print %v", m.Screen(a, b), m.Screen(a, c))
	}
	if m.Screen(a, &Template{}) != 0 {
		t.Error("an empty template must screen 0")
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	src := galleryRef()
	a, _ := Prepare(&src)
	b, _ := a.MarshalBinary()
	f.Add(b)
	f.Add([]byte{0})
	f.Add([]byte{2, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		var x Template
		if err := x.UnmarshalBinary(data); err != nil {
			return
		}
		// Whatever was accepted compares without panicking.
		var m Matcher
		m.Compare(&x, a)
		m.Compare(a, &x)
		m.Screen(&x, a)
		m.Screen(a, &x)
	})
}
