package match

import (
	"math"
	"testing"

	"checkpost/biometric/extract"
)

// A print's flow agrees with itself; turned and moved with the template,
// it still does under the alignment that undoes the motion; a template
// without descriptors is told apart.
func TestOrientAgreement(t *testing.T) {
	img := loadImage(t, "DB1_B/102_1.tif")
	src, err := extract.Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Prepare(&src)
	if err != nil {
		t.Fatal(err)
	}
	var m Matcher
	self := makeAlignment(0, 0, 0)
	if agree, sides := m.orientAgreement(a, a, self); agree < 0.95 || sides != 2 {
		t.Errorf("itself: A %.3f, %d sides with descriptors", agree, sides)
	}
	// b is a turned by 0.5 rad about the origin (matcher frame) and moved.
	const turn = 0.5
	moved := movedTemplate(src, turn, 100, 300)
	b, err := Prepare(&moved)
	if err != nil {
		t.Fatal(err)
	}
	// In the matcher's frame (y up) the image motion is a turn by +0.5
	// and a move by (100, -300).
	al := makeAlignment(turn, 100, -300)
	if agree, _ := m.orientAgreement(a, b, al); agree < 0.95 {
		t.Errorf("moved: A %.3f under the true alignment", agree)
	}
	if agree, _ := m.orientAgreement(a, b, makeAlignment(turn+math.Pi/2, 100, -300)); agree > 0.5 {
		t.Errorf("moved: A %.3f under a quarter turn more", agree)
	}
	plain := src
	plain.Minutiae = append(plain.Minutiae[:0:0], src.Minutiae...)
	for i := range plain.Minutiae {
		plain.Minutiae[i].Orientation = 0
	}
	p, _ := Prepare(&plain)
	if agree, sides := m.orientAgreement(a, p, self); sides != 1 || agree < 0.9 {
		t.Errorf("one without descriptors: A %.3f, %d sides with descriptors", agree, sides)
	}
	if agree, sides := m.orientAgreement(p, p, self); sides != 0 || agree < 0.9 {
		t.Errorf("neither with descriptors: A %.3f, %d sides with descriptors", agree, sides)
	}
}

// Compare skips the flow below orientFloor, which is only exact for the
// shipped thresholds while the floor lies below them all.
func TestOrientFloorBelowThresholds(t *testing.T) {
	if orientFloor > ThresholdFMR1e2 {
		t.Errorf("orientFloor %v above ThresholdFMR1e2 %v", orientFloor, ThresholdFMR1e2)
	}
	if want := math.Exp(-orientK) * orientUnknown; orientMinFactor != want {
		t.Errorf("orientMinFactor %v, want %v", orientMinFactor, want)
	}
}
