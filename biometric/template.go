package biometric

import "fmt"

// MinutiaType is the kind of a minutia, coded as in ISO/IEC 19794-2 and
// ANSI INCITS 378.
type MinutiaType uint8

// The minutia types.
const (
	MinutiaOther       MinutiaType = 0 // "other" or unknown
	MinutiaEnding      MinutiaType = 1 // ridge ending
	MinutiaBifurcation MinutiaType = 2 // ridge bifurcation
)

func (t MinutiaType) String() string {
	switch t {
	case MinutiaEnding:
		return "ending"
	case MinutiaBifurcation:
		return "bifurcation"
	}
	return "other"
}

// Minutia is one ridge ending or bifurcation.
//
// Coordinates are pixels of the template's image (origin top-left, x to the
// right, y down). Angle is in radians in [0, 2π), measured counter-clockwise
// (as seen on the image) from the x axis, following the ridge direction
// convention of ISO/IEC 19794-2: for an ending, the direction in which the
// ridge runs away from its end into the print; for a bifurcation, the
// direction of the valley that ends at the fork. Quality is 0..100, 0 when
// unknown.
//
// Orientation describes the ridge flow around the minutia (checkpost's own
// extension, kept by the native template format only; 0 when unknown):
// eight 4-bit codes, code k in bits 4k..4k+3, each the ridge orientation at
// one sampling point fixed in the minutia's frame relative to its
// direction, 1..15 for 0..180° in 12° steps, 0 where the point lies
// outside the print. biometric/extract documents the points.
type Minutia struct {
	X, Y        int
	Angle       float64
	Type        MinutiaType
	Quality     uint8
	Orientation uint32
}

// Position is a finger position code (ISO/IEC 19794-2, ANSI/NIST-ITL):
// 0 unknown, 1 right thumb ... 5 right little, 6 left thumb ... 10 left
// little.
type Position uint8

// The finger positions.
const (
	PositionUnknown Position = iota
	RightThumb
	RightIndex
	RightMiddle
	RightRing
	RightLittle
	LeftThumb
	LeftIndex
	LeftMiddle
	LeftRing
	LeftLittle
)

var positionNames = [...]string{"unknown", "right-thumb", "right-index", "right-middle", "right-ring", "right-little",
	"left-thumb", "left-index", "left-middle", "left-ring", "left-little"}

func (p Position) String() string {
	if int(p) < len(positionNames) {
		return positionNames[p]
	}
	return fmt.Sprintf("position-%d", int(p))
}

// ParsePosition accepts a code ("2") or a name ("right-index").
func ParsePosition(s string) (Position, error) {
	for i, n := range positionNames {
		if s == n || s == fmt.Sprint(i) {
			return Position(i), nil
		}
	}
	return 0, fmt.Errorf("biometric: unknown finger position %q (want 0-10 or a name such as right-index)", s)
}

// Template is the minutiae of one finger view, the unit that codecs read
// and write and that matchers compare.
type Template struct {
	// Width and Height are the size of the image the minutiae came from.
	Width, Height int
	// ResolutionPPI is that image's resolution in pixels per inch (500 for
	// templates made by checkpost, which normalises images first).
	ResolutionPPI int
	Position      Position
	// Quality is the view's quality 0..100 (0: unknown).
	Quality  int
	Minutiae []Minutia
	// Ridges samples where the ridges lie (nil: not known). Only
	// checkpost's own extractor makes it and only the native format
	// keeps it (version 3).
	Ridges *RidgeMap
	// Singular holds the print's cores and deltas, the most confident
	// first (nil: none found or not known). Only checkpost's own
	// extractor makes them and only the native format keeps them
	// (version 4).
	Singular []SingularPoint
}

// SingularType is the kind of a singular point of the ridge flow.
type SingularType uint8

// The singular point types.
const (
	SingularCore  SingularType = 1 // a loop's or whorl's centre (Poincaré index +1/2)
	SingularDelta SingularType = 2 // where three ridge flows meet (index -1/2)
)

func (t SingularType) String() string {
	switch t {
	case SingularCore:
		return "core"
	case SingularDelta:
		return "delta"
	}
	return "other"
}

// SingularPoint is a core or a delta: its position in the template's
// pixels, Angle (as a minutia's: radians in [0, 2π), counter-clockwise as
// seen from the x axis) the direction along which the ridges run away
// from it (for a core the side where its loop opens; a delta has three
// such directions 120° apart, Angle is one of them), and Confidence
// 0..100.
type SingularPoint struct {
	X, Y       int
	Angle      float64
	Type       SingularType
	Confidence uint8
}

// RidgeMap samples the ridges of a print as local plane waves: where they
// lie, not only which way they run (checkpost's own extension). The image
// is cut into square cells of Cell pixels, the first with its top-left
// corner at (X0, Y0); a cell whose ridges the extractor could model holds
// the direction of the ridges' normal and the phase of the ridge wave at
// the cell's centre c: the ridge profile at a point p near c is
// cos(2π n·(p-c)/T - φ), maximal on the ridges' centre lines, n the unit
// normal, T the ridge period of the cell's block.
type RidgeMap struct {
	Cell       int
	X0, Y0     int
	Cols, Rows int
	// Cells holds Cols*Rows codes, row by row: the high nibble is the
	// normal's direction, 0-14 for 0°-168° in steps of 12°,
	// counter-clockwise as seen on the image from the x axis (the
	// normal's sense is the one within 0°-180°), or RidgeAbsent where the
	// cell holds no sample; the low nibble is the phase φ, 0-15 for 0°-
	// 337.5° in steps of 22.5°.
	Cells []uint8
	// Periods holds the ridge period T of each block of 2 x 2 cells (from
	// the first cell on), ceil(Cols/2) a row, in 1/16 pixel.
	Periods []uint8
}

// RidgeAbsent is the high nibble of a RidgeMap cell without a sample.
const RidgeAbsent = 15

// PeriodCols is the number of columns of r.Periods' grid.
func (r *RidgeMap) PeriodCols() int { return (r.Cols + 1) / 2 }

// PeriodRows is the number of rows of r.Periods' grid.
func (r *RidgeMap) PeriodRows() int { return (r.Rows + 1) / 2 }
