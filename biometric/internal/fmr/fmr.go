// Package fmr holds what ISO/IEC 19794-2 and ANSI INCITS 378 finger
// minutiae records share: the 6-byte minutia, the finger view's minutiae
// list and its extended data blocks, read and written the same way by
// both standards.
package fmr

import (
	"encoding/binary"
	"fmt"
	"math"

	"checkpost/biometric"
)

// Minutia is one minutia as both standards store it: type in the top 2
// bits of X (01 ending, 10 bifurcation, 00 other), 14-bit X and Y, an
// angle byte (units differ by standard) and a quality byte.
type Minutia struct {
	Type    uint8 // 0-3
	X, Y    uint16
	Angle   uint8
	Quality uint8
	// Reserved holds the top 2 bits of the Y field, which both standards
	// reserve; kept so that a record is written back as it was read.
	Reserved uint8
}

// MinutiaSize is the bytes of one minutia.
const MinutiaSize = 6

// MaxCoordinate is the largest X or Y a minutia can hold (14 bits).
const MaxCoordinate = 1<<14 - 1

// ParseMinutiae reads n minutiae from p.
func ParseMinutiae(p []byte, n int) ([]Minutia, error) {
	if len(p) < n*MinutiaSize {
		return nil, fmt.Errorf("%d minutiae need %d bytes, %d left", n, n*MinutiaSize, len(p))
	}
	ms := make([]Minutia, n)
	for i := range ms {
		b := p[i*MinutiaSize:]
		x, y := binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:])
		ms[i] = Minutia{Type: uint8(x >> 14), X: x & MaxCoordinate, Reserved: uint8(y >> 14), Y: y & MaxCoordinate, Angle: b[4], Quality: b[5]}
	}
	return ms, nil
}

// AppendMinutiae writes ms.
func AppendMinutiae(out []byte, ms []Minutia) ([]byte, error) {
	for i, m := range ms {
		if m.X > MaxCoordinate || m.Y > MaxCoordinate || m.Type > 3 || m.Reserved > 3 {
			return nil, fmt.Errorf("minutia %d: position (%d, %d) or type %d out of range", i, m.X, m.Y, m.Type)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(m.Type)<<14|m.X)
		out = binary.BigEndian.AppendUint16(out, uint16(m.Reserved)<<14|m.Y)
		out = append(out, m.Angle, m.Quality)
	}
	return out, nil
}

// ExtendedBlock is one extended data block of a finger view: a type
// (0x0001 ridge counts, 0x0002 cores and deltas, 0x0003 zonal quality in
// ISO; others vendor-defined) and its bytes after the 4-byte block header,
// kept as they are.
type ExtendedBlock struct {
	Type uint16
	Data []byte
}

// ParseExtended reads the extended data area that starts at p: a 2-byte
// total length, then blocks of type (2), length including this 4-byte
// header (2) and data. It returns the blocks, the bytes consumed, and a
// warning when the area runs past the end of p (some writers get the last
// block's length wrong): the blocks are then cut at the end of p.
func ParseExtended(p []byte) (blocks []ExtendedBlock, used int, warning string, err error) {
	if len(p) < 2 {
		return nil, 0, "", fmt.Errorf("extended data length: %d bytes left, need 2", len(p))
	}
	n := int(binary.BigEndian.Uint16(p))
	area := p[2:]
	if n > len(area) {
		warning = fmt.Sprintf("extended data declares %d bytes but the record ends after %d", n, len(area))
		n = len(area)
	}
	area = area[:n]
	for len(area) > 0 {
		if len(area) < 4 {
			return nil, 0, "", fmt.Errorf("extended data block header: %d bytes left, need 4", len(area))
		}
		typ, l := binary.BigEndian.Uint16(area), int(binary.BigEndian.Uint16(area[2:]))
		if typ == 0 {
			return nil, 0, "", fmt.Errorf("extended data block of type 0 (reserved)")
		}
		if l < 4 {
			return nil, 0, "", fmt.Errorf("extended data block 0x%04X: length %d, less than its header", typ, l)
		}
		if l > len(area) {
			if warning == "" {
				return nil, 0, "", fmt.Errorf("extended data block 0x%04X: length %d, %d bytes left in the area", typ, l, len(area))
			}
			l = len(area) // the area was already cut at the record's end
		}
		blocks = append(blocks, ExtendedBlock{Type: typ, Data: append([]byte(nil), area[4:l]...)})
		area = area[l:]
	}
	return blocks, 2 + n, warning, nil
}

// AppendExtended writes the extended data area of blocks.
func AppendExtended(out []byte, blocks []ExtendedBlock) ([]byte, error) {
	total := 0
	for _, b := range blocks {
		if b.Type == 0 || len(b.Data) > 0xFFFF-4 {
			return nil, fmt.Errorf("extended data block type 0x%04X of %d bytes cannot be written", b.Type, len(b.Data))
		}
		total += 4 + len(b.Data)
	}
	if total > 0xFFFF {
		return nil, fmt.Errorf("extended data of %d bytes exceeds 65535", total)
	}
	out = binary.BigEndian.AppendUint16(out, uint16(total))
	for _, b := range blocks {
		out = binary.BigEndian.AppendUint16(out, b.Type)
		out = binary.BigEndian.AppendUint16(out, uint16(4+len(b.Data)))
		out = append(out, b.Data...)
	}
	return out, nil
}

// TypeFromRecord maps the 2-bit minutia type to biometric's (01 ending,
// 10 bifurcation; 00 other and the reserved 11 both to other).
func TypeFromRecord(t uint8) biometric.MinutiaType {
	switch t {
	case 1:
		return biometric.MinutiaEnding
	case 2:
		return biometric.MinutiaBifurcation
	}
	return biometric.MinutiaOther
}

// TypeToRecord is the inverse of TypeFromRecord.
func TypeToRecord(t biometric.MinutiaType) uint8 {
	switch t {
	case biometric.MinutiaEnding:
		return 1
	case biometric.MinutiaBifurcation:
		return 2
	}
	return 0
}

// PPIFromPPCM converts a resolution in pixels per centimetre (as both
// standards store it) to pixels per inch, rounded: 197 → 500.
func PPIFromPPCM(ppcm int) int { return int(math.Round(float64(ppcm) * 2.54)) }

// PPCMFromPPI converts pixels per inch to pixels per centimetre, rounded:
// 500 → 197.
func PPCMFromPPI(ppi int) int { return int(math.Round(float64(ppi) / 2.54)) }

// Angles: radians counter-clockwise from the x axis, in [0, 2π).

// AngleFromUnits converts an angle of u units of 2π/perTurn.
func AngleFromUnits(u uint8, perTurn int) float64 {
	return float64(int(u)%perTurn) * 2 * math.Pi / float64(perTurn)
}

// AngleToUnits converts radians to the nearest of perTurn units.
func AngleToUnits(a float64, perTurn int) uint8 {
	a = math.Mod(a, 2*math.Pi)
	if a < 0 {
		a += 2 * math.Pi
	}
	return uint8(int(math.Round(a*float64(perTurn)/(2*math.Pi))) % perTurn)
}

// ToTemplateMinutiae converts record minutiae with angles of perTurn units.
func ToTemplateMinutiae(ms []Minutia, perTurn int) []biometric.Minutia {
	out := make([]biometric.Minutia, len(ms))
	for i, m := range ms {
		out[i] = biometric.Minutia{X: int(m.X), Y: int(m.Y), Angle: AngleFromUnits(m.Angle, perTurn),
			Type: TypeFromRecord(m.Type), Quality: min(m.Quality, 100)}
	}
	return out
}

// FromTemplateMinutiae converts template minutiae to record ones with
// angles of perTurn units.
func FromTemplateMinutiae(ms []biometric.Minutia, perTurn int) ([]Minutia, error) {
	if len(ms) > 255 {
		return nil, fmt.Errorf("%d minutiae: a finger view holds at most 255", len(ms))
	}
	out := make([]Minutia, len(ms))
	for i, m := range ms {
		if m.X < 0 || m.Y < 0 || m.X > MaxCoordinate || m.Y > MaxCoordinate {
			return nil, fmt.Errorf("minutia %d at (%d, %d): coordinates must be 0..%d", i, m.X, m.Y, MaxCoordinate)
		}
		if m.Quality > 100 {
			return nil, fmt.Errorf("minutia %d: quality %d above 100", i, m.Quality)
		}
		out[i] = Minutia{Type: TypeToRecord(m.Type), X: uint16(m.X), Y: uint16(m.Y), Angle: AngleToUnits(m.Angle, perTurn), Quality: m.Quality}
	}
	return out, nil
}
