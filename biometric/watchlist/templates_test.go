package watchlist

import (
	"errors"
	"math"
	"testing"

	"checkpost/biometric"
	"checkpost/biometric/match"
)

func TestTemplatesOfSubject(t *testing.T) {
	src := biometric.Template{ResolutionPPI: 500}
	for i := range 30 {
		a := float64(i) * 0.7
		src.Minutiae = append(src.Minutiae, biometric.Minutia{X: 160 + int(100*math.Cos(a)*float64(i%5+1)/5),
			Y: 200 + int(120*math.Sin(a)*float64(i%4+1)/4), Angle: math.Mod(a*1.3, 2*math.Pi)})
	}
	p, err := match.Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGallery()
	if err := g.Enroll("S1", Finger{Position: biometric.LeftThumb, Template: p}); err != nil {
		t.Fatal(err)
	}
	fs, err := g.Templates("S1")
	if err != nil || len(fs) != 1 || fs[0].Position != biometric.LeftThumb || fs[0].Template.Len() != p.Len() {
		t.Fatalf("Templates: %+v, %v", fs, err)
	}
	var m match.Matcher
	if got, self := m.Compare(p, fs[0].Template), m.Compare(p, p); math.Abs(got-self) > 1e-9 {
		t.Errorf("the copy scores %v against the original, the original itself %v", got, self)
	}
	if _, err := g.Templates("nobody"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("unknown subject: %v", err)
	}
}
