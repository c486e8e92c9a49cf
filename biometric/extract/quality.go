package extract

import "math"

// QualityReport is the image quality assessment made with the minutiae, in
// the spirit of NIST's NFIQ: features of the print that predict how well it
// will match, combined into one score a counter can act on.
//
// Score is 0..100:
//
//	Score = 100 x (0.25 Area + 0.25 Flow + 0.30 Clarity + 0.20 Minutiae)
//
// with each part in 0..1:
//   - Area: the foreground (print) area, 0 at 40 mm² or less, 1 at 120 mm²
//     or more (a plain impression of a fingertip is 150-250 mm²);
//   - Flow: the mean orientation certainty (coherence of the gradient
//     directions in 24x24-pixel windows) over the print, 0 at 0.30 or less,
//     1 at 0.75 or more;
//   - Clarity: the mean ridge clarity, the correlation between the
//     normalised image and its Gabor-enhanced version per block (how much of
//     the grey pattern is clean ridges at one direction and period), 0 at
//     0.30 or less, 1 at 0.80 or more;
//   - Minutiae: the number of minutiae of quality 40 or more, 0 at none, 1 at
//     30 or more.
//
// The anchors are typical values of good and poor prints at 500 ppi; they
// were set by hand from the tuning set (FVC2002 DB1_B and DB2_B). A score
// under RescanBelow means the print will match poorly: ask for a new scan.
type QualityReport struct {
	Score                           int
	AreaMM2                         float64
	Flow, Clarity                   float64
	ReliableMinutiae                int
	AreaPart, FlowPart, ClarityPart float64
	MinutiaePart                    float64
}

// RescanBelow is the quality score under which a counter should ask for a
// new impression.
const RescanBelow = 40

// Quality returns the assessment of the image of the last successful
// Extract call.
func (e *Extractor) Quality() QualityReport { return e.quality }

func ramp(v, lo, hi float64) float64 {
	return math.Min(1, math.Max(0, (v-lo)/(hi-lo)))
}

// minutiaQuality is 1..100 from the flow coherence and ridge clarity of the
// minutia's block and its distance from the print's border.
func (e *Extractor) minutiaQuality(n *node) uint8 {
	b := (int(n.y)/blockSize)*e.bw + int(n.x)/blockSize
	q := ramp(float64(e.coh[b]), 0.2, 0.8) * ramp(float64(e.clar[b]), 0.1, 0.8)
	q *= ramp(float64(e.dist[b]), float64(borderBlocks), float64(borderBlocks)+3)*0.5 + 0.5
	return uint8(1 + math.Round(99*q))
}

func (e *Extractor) assessQuality(fgBlocks int, reliable int) QualityReport {
	const mmPerPixel = 25.4 / 500
	var r QualityReport
	r.AreaMM2 = float64(fgBlocks*blockSize*blockSize) * mmPerPixel * mmPerPixel
	var sc, sr float64
	for b, m := range e.mask {
		if m {
			sc += float64(e.coh[b])
			sr += float64(e.clar[b])
		}
	}
	if fgBlocks > 0 {
		r.Flow = sc / float64(fgBlocks)
		r.Clarity = sr / float64(fgBlocks)
	}
	r.ReliableMinutiae = reliable
	r.AreaPart = ramp(r.AreaMM2, 40, 120)
	r.FlowPart = ramp(r.Flow, 0.30, 0.75)
	r.ClarityPart = ramp(r.Clarity, 0.30, 0.80)
	r.MinutiaePart = ramp(float64(reliable), 0, 30)
	r.Score = int(math.Round(100 * (0.25*r.AreaPart + 0.25*r.FlowPart + 0.30*r.ClarityPart + 0.20*r.MinutiaePart)))
	return r
}
