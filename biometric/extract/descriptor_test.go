package extract

import (
	"image"
	"math"
	"testing"
)

// rotate90 turns img a quarter turn counter-clockwise as seen: pixel
// (x, y) goes to (y, w-1-x).
func rotate90(img *image.Gray) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewGray(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.Pix[(w-1-x)*out.Stride+y] = img.Pix[(y+b.Min.Y-img.Rect.Min.Y)*img.Stride+x+b.Min.X-img.Rect.Min.X]
		}
	}
	return out
}

// The descriptors describe the flow relative to the minutia: a print
// turned a quarter turn gives its minutiae the same codes (within one
// 12° step, the block grid differs), and most points lie in the print.
func TestOrientationDescriptorTurnsWithThePrint(t *testing.T) {
	img := loadFVC(t, "DB1_B/101_1.tif")
	a, err := Extract(img)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Extract(rotate90(img))
	if err != nil {
		t.Fatal(err)
	}
	w := img.Bounds().Dx()
	var points, inside, both, agree, paired int
	for _, m := range a.Minutiae {
		for k := 0; k < descPoints; k++ {
			points++
			if m.Orientation>>(4*k)&15 != 0 {
				inside++
			}
		}
		// Its place and direction in the turned print.
		x, y, ang := m.Y, w-1-m.X, m.Angle+math.Pi/2
		for _, n := range b.Minutiae {
			d := math.Abs(math.Remainder(n.Angle-ang, 2*math.Pi))
			if (n.X-x)*(n.X-x)+(n.Y-y)*(n.Y-y) > 9 || d > 0.3 {
				continue
			}
			paired++
			for k := 0; k < descPoints; k++ {
				ca, cb := int(m.Orientation>>(4*k)&15), int(n.Orientation>>(4*k)&15)
				if ca == 0 || cb == 0 {
					continue
				}
				both++
				if s := (ca - cb + descSteps) % descSteps; s <= 1 || s == descSteps-1 {
					agree++
				}
			}
			break
		}
	}
	if inside < points*2/3 {
		t.Errorf("%d of %d descriptor points inside the print", inside, points)
	}
	if paired < len(a.Minutiae)/2 || both == 0 {
		t.Fatalf("only %d of %d minutiae found again in the turned print", paired, len(a.Minutiae))
	}
	if agree < both*9/10 {
		t.Errorf("%d of %d descriptor points agree within a step after a quarter turn", agree, both)
	}
	t.Logf("points inside %d/%d; minutiae found again %d/%d; agreeing points %d/%d", inside, points, paired, len(a.Minutiae), agree, both)
}
