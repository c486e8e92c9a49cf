// Package native reads and writes checkpost's own compact binary
// fingerprint template: the minutiae of one finger view at full precision
// in 8 bytes each, versioned and checksummed.
//
// Layout, version 1 (all integers big-endian):
//
//	offset  size  field
//	0       4     magic "CPFT"
//	4       1     version (1)
//	5       1     flags (0; readers of version 1 reject others)
//	6       2     image width in pixels
//	8       2     image height in pixels
//	10      2     resolution in pixels per inch (0: unknown)
//	12      1     finger position (0-10, ISO/IEC 19794-2 codes)
//	13      1     view quality (0-100, 0: unknown)
//	14      2     number of minutiae N (at most MaxMinutiae)
//	16      8N    minutiae: x (2), y (2), angle (2, in 1/65536 of a turn,
//	              counter-clockwise from the x axis), type (1: 0 other,
//	              1 ending, 2 bifurcation), quality (1, 0-100)
//	16+8N   4     CRC-32 (IEEE) of every byte before it
//
// A template is 20 + 8N bytes: 340 bytes for 40 minutiae. A reader checks
// the magic, version, length, checksum and every field's range; a later
// version will keep the first six bytes so that old readers fail with
// ErrVersion rather than misreading.
//
// Version 2 is version 1 with 12-byte minutiae: the 8 bytes above, then
// the minutia's orientation descriptor (4, biometric.Minutia.Orientation).
// Encode writes version 2 when some minutia has a descriptor and version 1
// otherwise (so that templates without them stay readable by version-1
// readers); Decode reads both, version 1 with no descriptors.
//
// Version 3 is version 2 with the template's ridge map
// (biometric.RidgeMap) after the minutiae, before the checksum:
//
//	0       1     cell side in pixels (1-255)
//	1       2     x of the first cell's top-left corner (int16)
//	3       2     y of it (int16)
//	5       1     columns C (1-64)
//	6       1     rows R (1-64)
//	7       CR    the cells' codes, row by row
//	7+CR    P     the periods of the blocks of 2 x 2 cells in 1/16 pixel
//	              (1-255), P = ceil(C/2) ceil(R/2)
//
// Encode writes version 3 when the template has a ridge map (about 500
// bytes more for a plain impression); Decode reads 1, 2 and 3.
//
// Version 4 is version 3 with the template's singular points
// (biometric.SingularPoint, its cores and deltas) after the ridge map,
// before the checksum; the ridge map's record may be absent, its cell
// side then 0 and the rest of its 7-byte header 0:
//
//	0       1     number of points K (1-MaxSingular)
//	1       8K    points: x (2), y (2), angle (2, as a minutia's), type
//	              (1: 1 core, 2 delta), confidence (1, 0-100)
//
// Encode writes version 4 when the template has singular points (8 bytes
// a point and one more); Decode reads 1 to 4.
package native

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"checkpost/biometric"
)

// Version is the newest format version, the one Encode writes for
// templates with singular points.
const Version = 4

// MaxSingular bounds the singular points of one template.
const MaxSingular = 16

// MaxRidgeSide bounds a ridge map's columns and rows.
const MaxRidgeSide = 64

// MaxMinutiae bounds the minutiae of one template (ISO/IEC 19794-2 allows
// 255 per view).
const MaxMinutiae = 255

// Magic starts every native template.
const Magic = "CPFT"

const (
	headerSize    = 16
	ridgeHeader   = 7
	minutiaSizeV1 = 8
	minutiaSizeV2 = 12
	crcSize       = 4
	singularSize  = 8
)

// Errors that callers branch on; decoding errors wrap one of them.
var (
	ErrFormat   = errors.New("native: not a valid checkpost template")
	ErrVersion  = errors.New("native: unsupported template version")
	ErrChecksum = errors.New("native: checksum mismatch (template damaged)")
)

// Encode writes t in the native format.
func Encode(t *biometric.Template) ([]byte, error) {
	if err := check(t); err != nil {
		return nil, err
	}
	version, size := byte(1), minutiaSizeV1
	for _, m := range t.Minutiae {
		if m.Orientation != 0 {
			version, size = 2, minutiaSizeV2
			break
		}
	}
	if t.Ridges != nil {
		version, size = 3, minutiaSizeV2
	}
	if len(t.Singular) > 0 {
		version, size = 4, minutiaSizeV2
	}
	b := make([]byte, headerSize, headerSize+size*len(t.Minutiae)+ridgeHeader+ridgeSize(t.Ridges)+1+singularSize*len(t.Singular)+crcSize)
	copy(b, Magic)
	b[4] = version
	b[5] = 0
	binary.BigEndian.PutUint16(b[6:], uint16(t.Width))
	binary.BigEndian.PutUint16(b[8:], uint16(t.Height))
	binary.BigEndian.PutUint16(b[10:], uint16(t.ResolutionPPI))
	b[12] = uint8(t.Position)
	b[13] = uint8(t.Quality)
	binary.BigEndian.PutUint16(b[14:], uint16(len(t.Minutiae)))
	for _, m := range t.Minutiae {
		var r [minutiaSizeV2]byte
		binary.BigEndian.PutUint16(r[0:], uint16(m.X))
		binary.BigEndian.PutUint16(r[2:], uint16(m.Y))
		binary.BigEndian.PutUint16(r[4:], angleToUnits(m.Angle))
		r[6] = uint8(m.Type)
		r[7] = m.Quality
		binary.BigEndian.PutUint32(r[8:], m.Orientation)
		b = append(b, r[:size]...)
	}
	if r := t.Ridges; r != nil {
		b = append(b, uint8(r.Cell))
		b = binary.BigEndian.AppendUint16(b, uint16(int16(r.X0)))
		b = binary.BigEndian.AppendUint16(b, uint16(int16(r.Y0)))
		b = append(b, uint8(r.Cols), uint8(r.Rows))
		b = append(b, r.Cells...)
		b = append(b, r.Periods...)
	} else if version == 4 {
		b = append(b, make([]byte, ridgeHeader)...)
	}
	if version == 4 {
		b = append(b, uint8(len(t.Singular)))
		for _, p := range t.Singular {
			b = binary.BigEndian.AppendUint16(b, uint16(p.X))
			b = binary.BigEndian.AppendUint16(b, uint16(p.Y))
			b = binary.BigEndian.AppendUint16(b, angleToUnits(p.Angle))
			b = append(b, uint8(p.Type), p.Confidence)
		}
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// ridgeSize is the size of a ridge map's record (0 for none).
func ridgeSize(r *biometric.RidgeMap) int {
	if r == nil {
		return 0
	}
	return ridgeHeader + len(r.Cells) + len(r.Periods)
}

// checkRidges validates a ridge map for Encode and Decode.
func checkRidges(r *biometric.RidgeMap) error {
	if r.Cell < 1 || r.Cell > 255 {
		return fmt.Errorf("ridge map: cell of %d pixels (want 1-255)", r.Cell)
	}
	if r.X0 < math.MinInt16 || r.X0 > math.MaxInt16 || r.Y0 < math.MinInt16 || r.Y0 > math.MaxInt16 {
		return fmt.Errorf("ridge map: origin (%d, %d) out of range", r.X0, r.Y0)
	}
	if r.Cols < 1 || r.Cols > MaxRidgeSide || r.Rows < 1 || r.Rows > MaxRidgeSide {
		return fmt.Errorf("ridge map: %dx%d cells (want 1-%d a side)", r.Cols, r.Rows, MaxRidgeSide)
	}
	if len(r.Cells) != r.Cols*r.Rows || len(r.Periods) != r.PeriodCols()*r.PeriodRows() {
		return fmt.Errorf("ridge map: %d codes and %d periods for %dx%d cells", len(r.Cells), len(r.Periods), r.Cols, r.Rows)
	}
	for i, p := range r.Periods {
		if p == 0 {
			return fmt.Errorf("ridge map: period %d is 0", i)
		}
	}
	return nil
}

// check validates what Encode can represent.
func check(t *biometric.Template) error {
	if t.Width < 0 || t.Width > math.MaxUint16 || t.Height < 0 || t.Height > math.MaxUint16 {
		return fmt.Errorf("native: image size %dx%d out of range 0-65535", t.Width, t.Height)
	}
	if t.ResolutionPPI < 0 || t.ResolutionPPI > math.MaxUint16 {
		return fmt.Errorf("native: resolution %d ppi out of range 0-65535", t.ResolutionPPI)
	}
	if t.Position > biometric.LeftLittle {
		return fmt.Errorf("native: finger position %d out of range 0-10", t.Position)
	}
	if t.Quality < 0 || t.Quality > 100 {
		return fmt.Errorf("native: quality %d out of range 0-100", t.Quality)
	}
	if len(t.Minutiae) > MaxMinutiae {
		return fmt.Errorf("native: %d minutiae (at most %d)", len(t.Minutiae), MaxMinutiae)
	}
	if t.Ridges != nil {
		if err := checkRidges(t.Ridges); err != nil {
			return fmt.Errorf("native: %w", err)
		}
	}
	if len(t.Singular) > MaxSingular {
		return fmt.Errorf("native: %d singular points (at most %d)", len(t.Singular), MaxSingular)
	}
	for i, p := range t.Singular {
		if err := checkSingular(p, math.MaxUint16+1, math.MaxUint16+1); err != nil {
			return fmt.Errorf("native: singular point %d: %w", i, err)
		}
	}
	for i, m := range t.Minutiae {
		if m.X < 0 || m.X > math.MaxUint16 || m.Y < 0 || m.Y > math.MaxUint16 {
			return fmt.Errorf("native: minutia %d: position (%d, %d) out of range 0-65535", i, m.X, m.Y)
		}
		if math.IsNaN(m.Angle) || math.IsInf(m.Angle, 0) {
			return fmt.Errorf("native: minutia %d: angle is not a number", i)
		}
		if m.Type > biometric.MinutiaBifurcation {
			return fmt.Errorf("native: minutia %d: type %d unknown", i, m.Type)
		}
		if m.Quality > 100 {
			return fmt.Errorf("native: minutia %d: quality %d out of range 0-100", i, m.Quality)
		}
	}
	return nil
}

// Decode reads a native template. Bad bytes give an error wrapping
// ErrFormat, ErrVersion or ErrChecksum, never a panic.
func Decode(b []byte) (biometric.Template, error) {
	var t biometric.Template
	if len(b) < headerSize+crcSize {
		return t, fmt.Errorf("%w: %d bytes, shorter than the %d-byte minimum", ErrFormat, len(b), headerSize+crcSize)
	}
	if string(b[:4]) != Magic {
		return t, fmt.Errorf("%w: magic %q, want %q", ErrFormat, b[:4], Magic)
	}
	var minutiaSize int
	switch b[4] {
	case 1:
		minutiaSize = minutiaSizeV1
	case 2, 3, 4:
		minutiaSize = minutiaSizeV2
	default:
		return t, fmt.Errorf("%w: version %d (this reader knows 1 to %d)", ErrVersion, b[4], Version)
	}
	if b[5] != 0 {
		return t, fmt.Errorf("%w: flags %#02x set (versions 1 to 4 have none)", ErrFormat, b[5])
	}
	n := int(binary.BigEndian.Uint16(b[14:]))
	want := headerSize + minutiaSize*n + crcSize
	var rm *biometric.RidgeMap
	ridgeAt, singAt := 0, 0
	if b[4] >= 3 {
		// The ridge map's header, then its size.
		r := want - crcSize
		ridgeAt = r
		if len(b) < want+ridgeHeader {
			return t, fmt.Errorf("%w: %d bytes for %d minutiae and a ridge map, want at least %d", ErrFormat, len(b), n, want+ridgeHeader)
		}
		rm = &biometric.RidgeMap{Cell: int(b[r]), X0: int(int16(binary.BigEndian.Uint16(b[r+1:]))),
			Y0: int(int16(binary.BigEndian.Uint16(b[r+3:]))), Cols: int(b[r+5]), Rows: int(b[r+6])}
		want += ridgeHeader + rm.Cols*rm.Rows + rm.PeriodCols()*rm.PeriodRows()
		if b[4] == 4 && rm.Cell == 0 {
			// No ridge map: its header is all zero.
			for _, v := range b[r : r+ridgeHeader] {
				if v != 0 {
					return t, fmt.Errorf("%w: an absent ridge map's header is not zero", ErrFormat)
				}
			}
			rm = nil
		}
	}
	if b[4] == 4 {
		// The singular points' count, then their size.
		singAt = want - crcSize
		if len(b) < want+1 {
			return t, fmt.Errorf("%w: %d bytes for %d minutiae, a ridge map and singular points, want at least %d", ErrFormat, len(b), n, want+1)
		}
		k := int(b[singAt])
		if k < 1 || k > MaxSingular {
			return t, fmt.Errorf("%w: %d singular points (want 1-%d)", ErrFormat, k, MaxSingular)
		}
		want += 1 + singularSize*k
	}
	if len(b) != want {
		return t, fmt.Errorf("%w: %d bytes for %d minutiae, want %d", ErrFormat, len(b), n, want)
	}
	if n > MaxMinutiae {
		return t, fmt.Errorf("%w: %d minutiae (at most %d)", ErrFormat, n, MaxMinutiae)
	}
	body := b[:len(b)-crcSize]
	if got, want := crc32.ChecksumIEEE(body), binary.BigEndian.Uint32(b[len(body):]); got != want {
		return t, fmt.Errorf("%w: stored %08x, computed %08x", ErrChecksum, want, got)
	}
	t.Width = int(binary.BigEndian.Uint16(b[6:]))
	t.Height = int(binary.BigEndian.Uint16(b[8:]))
	t.ResolutionPPI = int(binary.BigEndian.Uint16(b[10:]))
	t.Position = biometric.Position(b[12])
	t.Quality = int(b[13])
	if t.Position > biometric.LeftLittle {
		return t, fmt.Errorf("%w: finger position %d out of range 0-10", ErrFormat, t.Position)
	}
	if t.Quality > 100 {
		return t, fmt.Errorf("%w: quality %d out of range 0-100", ErrFormat, t.Quality)
	}
	t.Minutiae = make([]biometric.Minutia, n)
	for i := range t.Minutiae {
		r := b[headerSize+minutiaSize*i:]
		m := biometric.Minutia{
			X:       int(binary.BigEndian.Uint16(r[0:])),
			Y:       int(binary.BigEndian.Uint16(r[2:])),
			Angle:   float64(binary.BigEndian.Uint16(r[4:])) * (2 * math.Pi / 65536),
			Type:    biometric.MinutiaType(r[6]),
			Quality: r[7],
		}
		if minutiaSize == minutiaSizeV2 {
			m.Orientation = binary.BigEndian.Uint32(r[8:])
		}
		if m.Type > biometric.MinutiaBifurcation {
			return t, fmt.Errorf("%w: minutia %d: type %d unknown", ErrFormat, i, m.Type)
		}
		if m.Quality > 100 {
			return t, fmt.Errorf("%w: minutia %d: quality %d out of range 0-100", ErrFormat, i, m.Quality)
		}
		if (t.Width > 0 && m.X >= t.Width) || (t.Height > 0 && m.Y >= t.Height) {
			return t, fmt.Errorf("%w: minutia %d at (%d, %d) outside the %dx%d image", ErrFormat, i, m.X, m.Y, t.Width, t.Height)
		}
		t.Minutiae[i] = m
	}
	if rm != nil {
		r := ridgeAt + ridgeHeader
		nc := rm.Cols * rm.Rows
		np := rm.PeriodCols() * rm.PeriodRows()
		rm.Cells = append([]uint8(nil), b[r:r+nc]...)
		rm.Periods = append([]uint8(nil), b[r+nc:r+nc+np]...)
		if err := checkRidges(rm); err != nil {
			return t, fmt.Errorf("%w: %w", ErrFormat, err)
		}
		t.Ridges = rm
	}
	if singAt > 0 {
		k := int(b[singAt])
		t.Singular = make([]biometric.SingularPoint, k)
		for i := range t.Singular {
			r := b[singAt+1+singularSize*i:]
			p := biometric.SingularPoint{
				X:          int(binary.BigEndian.Uint16(r[0:])),
				Y:          int(binary.BigEndian.Uint16(r[2:])),
				Angle:      float64(binary.BigEndian.Uint16(r[4:])) * (2 * math.Pi / 65536),
				Type:       biometric.SingularType(r[6]),
				Confidence: r[7],
			}
			w, h := t.Width, t.Height
			if w == 0 || h == 0 {
				w, h = math.MaxUint16+1, math.MaxUint16+1
			}
			if err := checkSingular(p, w, h); err != nil {
				return t, fmt.Errorf("%w: singular point %d: %w", ErrFormat, i, err)
			}
			t.Singular[i] = p
		}
	}
	return t, nil
}

// checkSingular validates a singular point of an image of w x h pixels
// for Encode and Decode.
func checkSingular(p biometric.SingularPoint, w, h int) error {
	switch {
	case p.X < 0 || p.X >= w || p.Y < 0 || p.Y >= h:
		return fmt.Errorf("position (%d, %d) outside 0-%d, 0-%d", p.X, p.Y, w-1, h-1)
	case math.IsNaN(p.Angle) || math.IsInf(p.Angle, 0):
		return errors.New("angle is not a number")
	case p.Type != biometric.SingularCore && p.Type != biometric.SingularDelta:
		return fmt.Errorf("type %d unknown", p.Type)
	case p.Confidence > 100:
		return fmt.Errorf("confidence %d out of range 0-100", p.Confidence)
	}
	return nil
}

// angleToUnits rounds an angle in radians to 1/65536 of a turn.
func angleToUnits(a float64) uint16 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return uint16(int(math.Round(a*65536/(2*math.Pi))) & 0xffff)
}

// IsNative reports whether b starts like a native template (for format
// sniffing; Decode still validates everything).
func IsNative(b []byte) bool { return len(b) >= 4 && string(b[:4]) == Magic }
