package extract

import "math"

// The orientation descriptor of a minutia (biometric.Minutia.Orientation):
// the smoothed ridge orientation field sampled at descPoints points fixed
// in the minutia's frame (distance, and angle from the minutia's direction
// counter-clockwise), each given relative to the minutia's direction in
// 15 steps of 12°, 0 where the point is outside the image or the print.
// Two impressions of one finger agree in their flow around a minutia even
// when their minutiae do not (dry or wet skin breaks and merges ridges,
// but the flow survives), which a matcher uses to tell a true pair of
// minutiae from a chance one.
const (
	descPoints = 8
	descSteps  = 15
)

// The points: four at 27 pixels (3 ridge periods) ahead, left, behind
// and right of the minutia, four at 54 pixels between them (45°, 135°,
// 225°, 315°). Chosen on FVC2002 DB1_B and DB2_B (rings of 20/40, 27/54,
// 35/70 and 45/90 pixels and one ring of eight: within a pair or two).
var (
	descRadius = [descPoints]float64{27, 27, 27, 27, 54, 54, 54, 54}
	descAngle  = [descPoints]float64{0, 90, 180, 270, 45, 135, 225, 315}
)

// OrientationCode codes the descriptor of a minutia at (x, y) (image
// pixels, y down) with direction a (radians, counter-clockwise, y up) from
// an orientation field: orient returns the ridge orientation at an image
// point (radians, counter-clockwise as seen on the image, modulo π) and
// false where the point is outside the print. The extractor samples its
// smoothed field through it; a model field (a generator's) can be coded
// with the same geometry.
func OrientationCode(x, y, a float64, orient func(px, py float64) (float64, bool)) uint32 {
	var code uint32
	for k := 0; k < descPoints; k++ {
		phi := a + descAngle[k]*math.Pi/180
		th, ok := orient(x+descRadius[k]*math.Cos(phi), y-descRadius[k]*math.Sin(phi))
		if !ok {
			continue
		}
		rel := math.Mod(th-a, math.Pi)
		if rel < 0 {
			rel += math.Pi
		}
		q := int(math.Floor(rel*descSteps/math.Pi+0.5)) % descSteps
		code |= uint32(q+1) << (4 * k)
	}
	return code
}

// orientationCode samples the descriptor of a minutia at (x, y) (image
// pixels) with direction a (radians, counter-clockwise, y up) from the
// extractor's smoothed orientation field.
func (e *Extractor) orientationCode(x, y float32, a float64) uint32 {
	return OrientationCode(float64(x), float64(y), a, e.orientationAt)
}

// orientationAt is the smoothed field's ridge orientation at an image
// point (counter-clockwise, modulo π), false outside the image or print.
func (e *Extractor) orientationAt(px, py float64) (float64, bool) {
	if px < 0 || py < 0 || px >= float64(e.w) || py >= float64(e.h) {
		return 0, false
	}
	bx, by := int(px)/blockSize, int(py)/blockSize
	if !e.mask[by*e.bw+bx] {
		return 0, false
	}
	// Bilinear doubled-angle vectors, as pixelFields.
	fx := (px - (blockSize-1)/2.0) / blockSize
	fy := (py - (blockSize-1)/2.0) / blockSize
	x0, y0 := int(math.Floor(fx)), int(math.Floor(fy))
	wx, wy := float32(fx-float64(x0)), float32(fy-float64(y0))
	x1, y1 := min(max(x0+1, 0), e.bw-1), min(max(y0+1, 0), e.bh-1)
	x0, y0 = min(max(x0, 0), e.bw-1), min(max(y0, 0), e.bh-1)
	i00, i01, i10, i11 := y0*e.bw+x0, y0*e.bw+x1, y1*e.bw+x0, y1*e.bw+x1
	tx := (1-wx)*(1-wy)*e.tx[i00] + wx*(1-wy)*e.tx[i01] + (1-wx)*wy*e.tx[i10] + wx*wy*e.tx[i11]
	ty := (1-wx)*(1-wy)*e.ty[i00] + wx*(1-wy)*e.ty[i01] + (1-wx)*wy*e.ty[i10] + wx*wy*e.ty[i11]
	if tx == 0 && ty == 0 {
		return 0, false
	}
	// The ridge direction in image coordinates (y down), turned to
	// counter-clockwise with y up.
	return -(0.5*math.Atan2(float64(ty), float64(tx)) + math.Pi/2), true
}
