package match

import (
	"testing"

	"checkpost/biometric"
)

func TestDescWeight(t *testing.T) {
	const d uint32 = 0x87654321
	if w := descWeight(d, d); w != 1 {
		t.Errorf("equal descriptors weigh %v, want 1", w)
	}
	// Every code a quarter turn (7 or 8 steps of 12°) off.
	var far uint32
	for k := 0; k < 8; k++ {
		c := d >> (4 * k) & 15
		far |= ((c-1+7)%descSteps + 1) << (4 * k)
	}
	if w := descWeight(d, far); w != 0 {
		t.Errorf("crossing flow weighs %v, want 0", w)
	}
	// One step off everywhere: still mostly agreement.
	var near uint32
	for k := 0; k < 8; k++ {
		c := d >> (4 * k) & 15
		near |= (c%descSteps + 1) << (4 * k)
	}
	if w := descWeight(d, near); w < 0.5 || w >= 1 {
		t.Errorf("flow one step off weighs %v", w)
	}
	// Too few points in both prints: unknown.
	if w := descWeight(0, d); w != descUnknown {
		t.Errorf("no descriptor weighs %v, want %v", w, descUnknown)
	}
	if w := descWeight(0x00000021, 0x00004321); w != descUnknown {
		t.Errorf("two common points weigh %v, want %v", w, descUnknown)
	}
}

// descSteps mirrors biometric/extract's 15 codes of 12°.
const descSteps uint32 = 15

func TestDescriptorsSeparatePairsWithOtherFlow(t *testing.T) {
	src := galleryRef()
	for i := range src.Minutiae {
		src.Minutiae[i].Orientation = 0x9abcdef1 + uint32(i)
	}
	moved := src
	moved.Minutiae = append([]biometric.Minutia(nil), src.Minutiae...)
	crossed := src
	crossed.Minutiae = append([]biometric.Minutia(nil), src.Minutiae...)
	plain := src
	plain.Minutiae = append([]biometric.Minutia(nil), src.Minutiae...)
	for i := range moved.Minutiae {
		moved.Minutiae[i].X += 5
		crossed.Minutiae[i].X += 5
		plain.Minutiae[i].X += 5
		o := crossed.Minutiae[i].Orientation
		var x uint32
		for k := 0; k < 8; k++ {
			x |= ((o>>(4*k)&15-1+7)%descSteps + 1) << (4 * k)
		}
		crossed.Minutiae[i].Orientation = x
		plain.Minutiae[i].Orientation = 0
	}
	a, _ := Prepare(&src)
	b, _ := Prepare(&moved)
	c, _ := Prepare(&crossed)
	d, _ := Prepare(&plain)
	var m Matcher
	same, other, none := m.Compare(a, b), m.Compare(a, c), m.Compare(a, d)
	if !(same > none && none > other) {
		t.Errorf("same flow %v, no descriptors %v, crossed flow %v: want decreasing", same, none, other)
	}
	for i := 0; i < a.Len(); i++ {
		if a.Minutia(i).Orientation == 0 {
			t.Fatalf("minutia %d lost its descriptor in Prepare", i)
		}
	}
}
