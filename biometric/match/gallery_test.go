package match

import (
	"bytes"
	"errors"
	"testing"
	"unsafe"

	"checkpost/biometric"
)

func galleryRef() biometric.Template {
	t := biometric.Template{Width: 300, Height: 300, ResolutionPPI: 500}
	s := uint32(7)
	for len(t.Minutiae) < 30 {
		s = s*1664525 + 1013904223
		t.Minutiae = append(t.Minutiae, biometric.Minutia{X: int(s>>8) % 280, Y: int(s>>20) % 280, Angle: float64(s%628) / 100, Type: biometric.MinutiaEnding})
	}
	r := &biometric.RidgeMap{Cell: 16, X0: 16, Y0: 32, Cols: 6, Rows: 5, Periods: make([]uint8, 9)}
	for range r.Cols * r.Rows {
		s = s*1664525 + 1013904223
		r.Cells = append(r.Cells, uint8(s>>24))
	}
	for i := range r.Periods {
		r.Periods[i] = uint8(130 + 3*i)
	}
	t.Ridges = r
	// A core (kept) and a delta (not kept).
	t.Singular = []biometric.SingularPoint{{X: 140, Y: 120, Angle: 4.5, Type: biometric.SingularCore, Confidence: 70},
		{X: 200, Y: 220, Angle: 1, Type: biometric.SingularDelta, Confidence: 60}}
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
	if a.ridge.cols == 0 {
		t.Fatal("the reference's ridge map was not kept")
	}
	if a.ncores != 1 {
		t.Fatalf("%d cores kept, want 1", a.ncores)
	}
	if len(b) != 1+a.Len()*(minutiaBytes+8*cylStride)+1+minutiaBytes+6+int(a.ridge.cols)*int(a.ridge.rows)+9 {
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

// tiedRef is galleryRef with many minutiae sharing a direction and some
// sharing an x: the ties Prepare's sorts must settle the same way as the
// stored forms' readers.
func tiedRef() biometric.Template {
	t := galleryRef()
	for i := range t.Minutiae {
		m := &t.Minutiae[i]
		m.Angle = float64(i%4) * 1.5
		if i%3 == 0 {
			m.X = 100 + i%2
		}
		m.Quality = uint8(50 + i%2)
	}
	return t
}

func TestCompareDoesNotDependOnHowATemplateWasLoaded(t *testing.T) {
	src := tiedRef()
	other := galleryRef()
	for i := range other.Minutiae {
		other.Minutiae[i].X += 7
		other.Minutiae[i].Y -= 4
		other.Minutiae[i].Angle = src.Minutiae[i].Angle
	}
	b, err := Prepare(&other)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	// The same minutiae listed in other orders.
	var loaded []*Template
	for _, perm := range []func(i, n int) int{
		func(i, n int) int { return n - 1 - i },
		func(i, n int) int { return (i*7 + 3) % n },
	} {
		s := src
		s.Minutiae = make([]biometric.Minutia, len(src.Minutiae))
		for i := range s.Minutiae {
			s.Minutiae[perm(i, len(s.Minutiae))] = src.Minutiae[i]
		}
		p, err := Prepare(&s)
		if err != nil {
			t.Fatal(err)
		}
		loaded = append(loaded, p)
	}
	stored, _ := a.MarshalBinary()
	var read Template
	if err := read.UnmarshalBinary(stored); err != nil {
		t.Fatal(err)
	}
	loaded = append(loaded, &read)

	var m Matcher
	ab, ba := m.Compare(a, b), m.Compare(b, a)
	if ab == 0 || ba == 0 {
		t.Fatalf("the shifted copy does not match: %v %v", ab, ba)
	}
	for k, l := range loaded {
		if *l != *a {
			t.Errorf("load %d: the template differs from the one prepared", k)
		}
		if got := m.Compare(l, b); got != ab {
			t.Errorf("load %d: Compare(a, b) = %v, prepared %v", k, got, ab)
		}
		if got := m.Compare(b, l); got != ba {
			t.Errorf("load %d: Compare(b, a) = %v, prepared %v", k, got, ba)
		}
	}
	// A gallery's packed form keeps no ridge map: unpacked, it is the
	// prepared template without one, and compares as that does.
	var packed Packed
	packed.Pack(a, 16)
	var unpacked Template
	packed.Unpack(&unpacked)
	bare := withoutRidges(a)
	if unpacked != *bare {
		t.Error("unpacked: the template differs from the one prepared, ridge map aside")
	}
	if got, want := m.Compare(&unpacked, b), m.Compare(bare, b); got != want {
		t.Errorf("unpacked: Compare(a, b) = %v, prepared without ridge map %v", got, want)
	}
	if got, want := m.Compare(b, &unpacked), m.Compare(b, bare); got != want {
		t.Errorf("unpacked: Compare(b, a) = %v, prepared without ridge map %v", got, want)
	}
	// More minutiae than kept, with equal qualities: the kept set does
	// not depend on the source's order either.
	big := src
	big.Minutiae = nil
	for i := 0; i < 2*MaxMinutiae; i++ {
		big.Minutiae = append(big.Minutiae, biometric.Minutia{X: 10 + (i*37)%250, Y: 10 + (i*53)%250,
			Angle: float64(i%5) * 1.2, Type: biometric.MinutiaEnding, Quality: uint8(40 + i%2)})
	}
	rev := big
	rev.Minutiae = make([]biometric.Minutia, len(big.Minutiae))
	for i, mi := range big.Minutiae {
		rev.Minutiae[len(big.Minutiae)-1-i] = mi
	}
	x, err1 := Prepare(&big)
	y, err2 := Prepare(&rev)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if *x != *y {
		t.Error("the minutiae kept depend on the source's order")
	}
}

func TestPackedSize(t *testing.T) {
	// The 1:N gallery's memory budget is 2 KB per template with its
	// bookkeeping: the packed form may not grow past 1,888 bytes (it
	// keeps no ridge map).
	if s := unsafe.Sizeof(Packed{}); s > 1888 {
		t.Errorf("Packed is %d bytes, over 1,888", s)
	}
}

// withoutRidges returns a copy of t without its ridge map and cores, as a gallery's
// packed form holds it.
func withoutRidges(t *Template) *Template {
	c := *t
	c.ridge = ridges{}
	// Nor its cores, which only comparisons with ridge maps read.
	c.cores, c.ncores = [maxCores]minutia{}, 0
	return &c
}
