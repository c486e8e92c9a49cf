// Package ansi378 reads and writes finger minutiae records of ANSI
// INCITS 378: the 2004 edition (version " 20\0") and the later one with
// version "030\0" (INCITS 378-2009; libbiomeval calls its vectors
// "ANSI2007"), which moves the image size and resolution into each finger
// view and adds the quality algorithm's identity.
//
// Layouts (big-endian):
//
//	2004 header, 26 bytes (30 when the record is longer than 65535
//	  bytes): "FMR\0", " 20\0", record length (2, or 0 then 4), CBEFF
//	  product identifier (owner 2, type 2), capture equipment (4-bit
//	  compliance, 12-bit id), width, height, x and y resolution in pixels
//	  per cm (2 each), views (1), reserved (1)
//	2004 view: finger position (1), view number (4 bits) and impression
//	  type (4 bits), quality (1), minutiae count (1), minutiae, extended
//	  data
//	"030" header, 20 bytes: "FMR\0", "030\0", record length (4), CBEFF
//	  product identifier (4), capture equipment (2), views (1), reserved (1)
//	"030" view: finger position, view number, impression type, quality
//	  (1 each), quality algorithm owner and id (2 each), width, height,
//	  x and y resolution (2 each), minutiae count (1), minutiae, extended
//	  data
//
// Minutiae take 6 bytes: type (2 bits: 01 ending, 10 bifurcation) and x
// (14 bits), reserved (2) and y (14), angle in 2° units counter-clockwise
// (0-179), quality (0-100).
package ansi378

import (
	"encoding/binary"
	"fmt"

	"checkpost/biometric"
	"checkpost/biometric/internal/fmr"
)

// AngleUnits is the number of angle units per turn (2° each).
const AngleUnits = 180

// Version is an edition of the standard.
type Version int

// The editions.
const (
	Version2004 Version = iota // " 20\0"
	Version2009                // "030\0"
)

func (v Version) String() string {
	if v == Version2009 {
		return "INCITS 378-2009 (030)"
	}
	return "INCITS 378-2004 (20)"
}

// MaxRecordSize bounds the bytes Decode accepts.
const MaxRecordSize = 16 << 20

// Record is one finger minutiae record.
type Record struct {
	Version Version
	// ProductOwner and ProductType form the CBEFF product identifier of
	// the extractor.
	ProductOwner, ProductType uint16
	// Compliance (4 bits) and EquipmentID (12 bits) identify the capture
	// equipment.
	Compliance  uint8
	EquipmentID uint16
	Views       []View
	// LongLength keeps the 2004 edition's 6-byte length form for a record
	// that would fit the 2-byte one (written as read).
	LongLength bool
	// Warnings lists inconsistencies that Decode tolerated; a record with
	// warnings is not written back byte for byte.
	Warnings []string
}

// View is one finger view. In the 2004 edition every view shares the
// record's image size and resolution.
type View struct {
	Position   biometric.Position
	ViewNumber uint8 // 0-15
	Impression uint8 // 0-15
	Quality    uint8 // 0-100
	// QualityOwner and QualityAlgorithm identify the algorithm that rated
	// the view ("030" only).
	QualityOwner, QualityAlgorithm uint16
	// Width and Height in pixels, resolutions in pixels per centimetre.
	Width, Height            uint16
	XResolution, YResolution uint16
	Minutiae                 []fmr.Minutia
	Extended                 []fmr.ExtendedBlock
}

// FormatError reports a malformed record; Offset is where in the record.
type FormatError struct {
	Offset int
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("ansi378: at byte %d: %s", e.Offset, e.Msg)
}

func formatErr(off int, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Decode reads a record of either edition.
func Decode(data []byte) (*Record, error) {
	if len(data) < 8 || string(data[:4]) != "FMR\x00" {
		return nil, formatErr(0, "missing format identifier \"FMR\"")
	}
	r := &Record{}
	var off, length, nViews int
	var shared View // 2004: size and resolution of every view
	switch string(data[4:8]) {
	case " 20\x00":
		r.Version = Version2004
		if len(data) < 10 {
			return nil, formatErr(8, "record length truncated")
		}
		length, off = int(binary.BigEndian.Uint16(data[8:])), 10
		if length == 0 {
			if len(data) < 14 {
				return nil, formatErr(10, "long record length truncated")
			}
			length, off = int(binary.BigEndian.Uint32(data[10:])), 14
			r.LongLength = length <= 0xFFFF
		}
		if len(data) < off+16 {
			return nil, formatErr(len(data), "record header truncated")
		}
	case "030\x00":
		r.Version = Version2009
		if len(data) < 20 {
			return nil, formatErr(len(data), "record header truncated")
		}
		length, off = int(binary.BigEndian.Uint32(data[8:])), 12
	default:
		return nil, formatErr(4, "version %q is neither \" 20\" (2004) nor \"030\" (2009)", data[4:7])
	}
	headerEnd := off + 8 // "030": product, equipment, views, reserved
	if r.Version == Version2004 {
		headerEnd = off + 16 // and the image size and resolution
	}
	if length > len(data) || length > MaxRecordSize || length < headerEnd {
		return nil, formatErr(8, "record length %d does not fit the %d bytes given", length, len(data))
	}
	data = data[:length]
	r.ProductOwner, r.ProductType = binary.BigEndian.Uint16(data[off:]), binary.BigEndian.Uint16(data[off+2:])
	r.Compliance, r.EquipmentID = data[off+4]>>4, binary.BigEndian.Uint16(data[off+4:])&0x0FFF
	off += 6
	if r.Version == Version2004 {
		if off+10 > len(data) {
			return nil, formatErr(off, "record header truncated")
		}
		shared.Width, shared.Height = binary.BigEndian.Uint16(data[off:]), binary.BigEndian.Uint16(data[off+2:])
		shared.XResolution, shared.YResolution = binary.BigEndian.Uint16(data[off+4:]), binary.BigEndian.Uint16(data[off+6:])
		off += 8
	}
	nViews = int(data[off])
	off += 2
	for v := 0; v < nViews; v++ {
		view := shared
		var n int
		if r.Version == Version2004 {
			if off+4 > len(data) {
				return nil, formatErr(off, "view %d of %d: header truncated", v+1, nViews)
			}
			view.Position, view.ViewNumber, view.Impression = biometric.Position(data[off]), data[off+1]>>4, data[off+1]&0x0F
			view.Quality, n = data[off+2], int(data[off+3])
			off += 4
		} else {
			if off+17 > len(data) {
				return nil, formatErr(off, "view %d of %d: header truncated", v+1, nViews)
			}
			p := data[off:]
			view.Position, view.ViewNumber, view.Impression, view.Quality = biometric.Position(p[0]), p[1], p[2], p[3]
			view.QualityOwner, view.QualityAlgorithm = binary.BigEndian.Uint16(p[4:]), binary.BigEndian.Uint16(p[6:])
			view.Width, view.Height = binary.BigEndian.Uint16(p[8:]), binary.BigEndian.Uint16(p[10:])
			view.XResolution, view.YResolution = binary.BigEndian.Uint16(p[12:]), binary.BigEndian.Uint16(p[14:])
			n = int(p[16])
			off += 17
		}
		if view.Position > 15 || view.ViewNumber > 15 || view.Impression > 15 {
			return nil, formatErr(off, "view %d: finger position %d, view number %d or impression type %d out of range", v+1, view.Position, view.ViewNumber, view.Impression)
		}
		ms, err := fmr.ParseMinutiae(data[off:], n)
		if err != nil {
			return nil, formatErr(off, "view %d: %v", v+1, err)
		}
		for i, m := range ms {
			if int(m.Angle) >= AngleUnits {
				return nil, formatErr(off+i*fmr.MinutiaSize+4, "view %d minutia %d: angle %d above 179 (2° units)", v+1, i+1, m.Angle)
			}
		}
		view.Minutiae = ms
		off += n * fmr.MinutiaSize
		blocks, used, warning, err := fmr.ParseExtended(data[off:])
		if err != nil {
			return nil, formatErr(off, "view %d: %v", v+1, err)
		}
		if warning != "" {
			r.Warnings = append(r.Warnings, fmt.Sprintf("view %d: %s", v+1, warning))
		}
		view.Extended = blocks
		off += used
		r.Views = append(r.Views, view)
	}
	if off < len(data) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d bytes after the last view ignored", len(data)-off))
	}
	return r, nil
}

// Encode writes the record in its Version.
func (r *Record) Encode() ([]byte, error) {
	if len(r.Views) > 255 {
		return nil, fmt.Errorf("ansi378: %d views, at most 255", len(r.Views))
	}
	if r.Compliance > 15 || r.EquipmentID > 0x0FFF {
		return nil, fmt.Errorf("ansi378: capture equipment compliance %d / id %d out of range", r.Compliance, r.EquipmentID)
	}
	var out []byte
	lengthAt := 8
	switch r.Version {
	case Version2004:
		out = append(out, "FMR\x00 20\x00"...)
		out = append(out, 0, 0)
	case Version2009:
		out = append(out, "FMR\x00030\x00"...)
		out = append(out, 0, 0, 0, 0)
	default:
		return nil, fmt.Errorf("ansi378: unknown version %d", r.Version)
	}
	out = binary.BigEndian.AppendUint16(out, r.ProductOwner)
	out = binary.BigEndian.AppendUint16(out, r.ProductType)
	out = binary.BigEndian.AppendUint16(out, uint16(r.Compliance)<<12|r.EquipmentID)
	if r.Version == Version2004 {
		var v View
		if len(r.Views) > 0 {
			v = r.Views[0]
		}
		for i, w := range r.Views {
			if w.Width != v.Width || w.Height != v.Height || w.XResolution != v.XResolution || w.YResolution != v.YResolution {
				return nil, fmt.Errorf("ansi378: view %d differs from view 1 in image size or resolution: the 2004 edition has one per record", i+1)
			}
		}
		out = binary.BigEndian.AppendUint16(out, v.Width)
		out = binary.BigEndian.AppendUint16(out, v.Height)
		out = binary.BigEndian.AppendUint16(out, v.XResolution)
		out = binary.BigEndian.AppendUint16(out, v.YResolution)
	}
	out = append(out, byte(len(r.Views)), 0)
	for i, v := range r.Views {
		if v.ViewNumber > 15 || v.Impression > 15 || v.Position > 15 || len(v.Minutiae) > 255 {
			return nil, fmt.Errorf("ansi378: view %d: position %d, view number %d, impression %d or %d minutiae out of range",
				i+1, v.Position, v.ViewNumber, v.Impression, len(v.Minutiae))
		}
		if r.Version == Version2004 {
			out = append(out, byte(v.Position), v.ViewNumber<<4|v.Impression, v.Quality, byte(len(v.Minutiae)))
		} else {
			out = append(out, byte(v.Position), v.ViewNumber, v.Impression, v.Quality)
			for _, x := range []uint16{v.QualityOwner, v.QualityAlgorithm, v.Width, v.Height, v.XResolution, v.YResolution} {
				out = binary.BigEndian.AppendUint16(out, x)
			}
			out = append(out, byte(len(v.Minutiae)))
		}
		for j, m := range v.Minutiae {
			if int(m.Angle) >= AngleUnits {
				return nil, fmt.Errorf("ansi378: view %d minutia %d: angle %d above 179", i+1, j+1, m.Angle)
			}
		}
		var err error
		if out, err = fmr.AppendMinutiae(out, v.Minutiae); err != nil {
			return nil, fmt.Errorf("ansi378: view %d: %w", i+1, err)
		}
		if out, err = fmr.AppendExtended(out, v.Extended); err != nil {
			return nil, fmt.Errorf("ansi378: view %d: %w", i+1, err)
		}
	}
	switch {
	case r.Version == Version2009:
		binary.BigEndian.PutUint32(out[lengthAt:], uint32(len(out)))
	case len(out) <= 0xFFFF && !r.LongLength:
		binary.BigEndian.PutUint16(out[lengthAt:], uint16(len(out)))
	default:
		// 0x0000 then a 4-byte length that counts the 4 extra bytes.
		out = append(out[:lengthAt+2], append([]byte{0, 0, 0, 0}, out[lengthAt+2:]...)...)
		binary.BigEndian.PutUint32(out[lengthAt+2:], uint32(len(out)))
	}
	return out, nil
}

// Templates converts every view to a biometric.Template (angles from 2°
// units to radians, resolution from pixels per cm to per inch).
func (r *Record) Templates() []biometric.Template {
	ts := make([]biometric.Template, len(r.Views))
	for i, v := range r.Views {
		ts[i] = biometric.Template{
			Width: int(v.Width), Height: int(v.Height),
			ResolutionPPI: fmr.PPIFromPPCM(int(v.XResolution)),
			Position:      v.Position, Quality: min(int(v.Quality), 100),
			Minutiae: fmr.ToTemplateMinutiae(v.Minutiae, AngleUnits),
		}
	}
	return ts
}

// FromTemplates makes a record of the given edition with one view per
// template. In the 2004 edition the templates must share one image size
// and resolution.
func FromTemplates(version Version, ts ...biometric.Template) (*Record, error) {
	if len(ts) == 0 || len(ts) > 255 {
		return nil, fmt.Errorf("ansi378: %d templates, want 1 to 255", len(ts))
	}
	r := &Record{Version: version}
	seen := map[biometric.Position]uint8{}
	for i, t := range ts {
		if t.Width < 0 || t.Height < 0 || t.Width > 0xFFFF || t.Height > 0xFFFF || t.ResolutionPPI < 0 {
			return nil, fmt.Errorf("ansi378: template %d: image %dx%d at %d ppi out of range", i+1, t.Width, t.Height, t.ResolutionPPI)
		}
		if t.Quality < 0 || t.Quality > 100 || t.Position > 15 {
			return nil, fmt.Errorf("ansi378: template %d: quality %d or position %d out of range", i+1, t.Quality, t.Position)
		}
		ms, err := fmr.FromTemplateMinutiae(t.Minutiae, AngleUnits)
		if err != nil {
			return nil, fmt.Errorf("ansi378: template %d: %w", i+1, err)
		}
		n := seen[t.Position]
		if n > 15 {
			return nil, fmt.Errorf("ansi378: more than 16 views of finger %v", t.Position)
		}
		seen[t.Position] = n + 1
		ppcm := uint16(min(fmr.PPCMFromPPI(t.ResolutionPPI), 0xFFFF))
		r.Views = append(r.Views, View{Position: t.Position, ViewNumber: n, Quality: uint8(t.Quality),
			Width: uint16(t.Width), Height: uint16(t.Height), XResolution: ppcm, YResolution: ppcm, Minutiae: ms})
	}
	if version == Version2004 {
		for i, v := range r.Views {
			if v.Width != r.Views[0].Width || v.Height != r.Views[0].Height || v.XResolution != r.Views[0].XResolution {
				return nil, fmt.Errorf("ansi378: template %d differs from template 1 in image size or resolution: the 2004 edition has one per record", i+1)
			}
		}
	}
	return r, nil
}
