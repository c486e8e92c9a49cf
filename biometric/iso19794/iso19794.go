// Package iso19794 reads and writes finger minutiae records of ISO/IEC
// 19794-2:2005 ("FMR\0", version " 20\0"): a record header with the image
// size and resolution, then one or more finger views, each with its
// minutiae and optional extended data (ridge counts, cores and deltas,
// vendor blocks, kept as bytes).
//
// Record layout (big-endian):
//
//	header, 24 bytes: "FMR\0", " 20\0", record length (4), capture
//	  equipment (4-bit compliance, 12-bit id), width (2), height (2),
//	  x and y resolution in pixels per cm (2 each), views (1), reserved (1)
//	view: finger position (1), view number (4 bits) and impression type
//	  (4 bits), quality (1), minutiae count (1), minutiae (6 bytes each:
//	  type (2 bits) and x (14), reserved (2) and y (14), angle in 1/256 of
//	  a turn counter-clockwise, quality), extended data length (2) and
//	  blocks
//
// The 2011 edition (version "030\0") is a different layout; Decode
// rejects it with ErrVersion.
package iso19794

import (
	"encoding/binary"
	"errors"
	"fmt"

	"checkpost/biometric"
	"checkpost/biometric/internal/fmr"
)

// AngleUnits is the number of angle units per turn (1.40625° each).
const AngleUnits = 256

const headerSize = 24

// MaxRecordSize bounds the bytes Decode accepts: 255 views of 255
// minutiae with full extended data stay far below it.
const MaxRecordSize = 16 << 20

// ErrVersion is returned for records that are not ISO/IEC 19794-2:2005.
var ErrVersion = errors.New("iso19794: not an ISO/IEC 19794-2:2005 record (want version \" 20\")")

// Record is one finger minutiae record.
type Record struct {
	// Compliance (4 bits) and EquipmentID (12 bits) identify the capture
	// equipment; 0 when unknown.
	Compliance  uint8
	EquipmentID uint16
	// Width and Height are the image size in pixels; XResolution and
	// YResolution in pixels per centimetre (197 for 500 ppi).
	Width, Height            uint16
	XResolution, YResolution uint16
	Views                    []View
	// Warnings lists inconsistencies that Decode tolerated (an extended
	// data area running past the record's end, bytes after the last
	// view). A record with warnings is not written back byte for byte.
	Warnings []string
}

// View is one finger view.
type View struct {
	Position   biometric.Position
	ViewNumber uint8 // 0-15
	Impression uint8 // 0-15: 0 live-scan plain, 1 live-scan rolled, 2 and 3 non-live, 8 swipe
	Quality    uint8 // 0-100
	Minutiae   []fmr.Minutia
	Extended   []fmr.ExtendedBlock
}

// FormatError reports a malformed record; Offset is where in the record.
type FormatError struct {
	Offset int
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("iso19794: at byte %d: %s", e.Offset, e.Msg)
}

func formatErr(off int, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Decode reads a record.
func Decode(data []byte) (*Record, error) {
	if len(data) < 8 || string(data[:4]) != "FMR\x00" {
		return nil, formatErr(0, "missing format identifier \"FMR\"")
	}
	if string(data[4:8]) != " 20\x00" {
		return nil, ErrVersion
	}
	if len(data) < headerSize {
		return nil, formatErr(len(data), "record header needs %d bytes, got %d", headerSize, len(data))
	}
	length := int(binary.BigEndian.Uint32(data[8:]))
	if length < headerSize || length > len(data) || length > MaxRecordSize {
		return nil, formatErr(8, "record length %d does not fit the %d bytes given", length, len(data))
	}
	data = data[:length]
	r := &Record{
		Compliance:  data[12] >> 4,
		EquipmentID: binary.BigEndian.Uint16(data[12:]) & 0x0FFF,
		Width:       binary.BigEndian.Uint16(data[14:]),
		Height:      binary.BigEndian.Uint16(data[16:]),
		XResolution: binary.BigEndian.Uint16(data[18:]),
		YResolution: binary.BigEndian.Uint16(data[20:]),
	}
	nViews := int(data[22])
	off := headerSize
	for v := 0; v < nViews; v++ {
		if off+4 > len(data) {
			return nil, formatErr(off, "view %d of %d: header truncated", v+1, nViews)
		}
		view := View{
			Position:   biometric.Position(data[off]),
			ViewNumber: data[off+1] >> 4,
			Impression: data[off+1] & 0x0F,
			Quality:    data[off+2],
		}
		if view.Position > 15 { // 11-15: multi-finger codes
			return nil, formatErr(off, "view %d: finger position %d out of range", v+1, view.Position)
		}
		n := int(data[off+3])
		off += 4
		ms, err := fmr.ParseMinutiae(data[off:], n)
		if err != nil {
			return nil, formatErr(off, "view %d: %v", v+1, err)
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

// Encode writes the record.
func (r *Record) Encode() ([]byte, error) {
	if len(r.Views) > 255 {
		return nil, fmt.Errorf("iso19794: %d views, at most 255", len(r.Views))
	}
	if r.Compliance > 15 || r.EquipmentID > 0x0FFF {
		return nil, fmt.Errorf("iso19794: capture equipment compliance %d / id %d out of range", r.Compliance, r.EquipmentID)
	}
	out := make([]byte, 0, 64)
	out = append(out, "FMR\x00 20\x00"...)
	out = append(out, 0, 0, 0, 0) // length, set below
	out = binary.BigEndian.AppendUint16(out, uint16(r.Compliance)<<12|r.EquipmentID)
	out = binary.BigEndian.AppendUint16(out, r.Width)
	out = binary.BigEndian.AppendUint16(out, r.Height)
	out = binary.BigEndian.AppendUint16(out, r.XResolution)
	out = binary.BigEndian.AppendUint16(out, r.YResolution)
	out = append(out, byte(len(r.Views)), 0)
	for i, v := range r.Views {
		if v.ViewNumber > 15 || v.Impression > 15 || v.Position > 15 || len(v.Minutiae) > 255 {
			return nil, fmt.Errorf("iso19794: view %d: position %d, view number %d, impression %d or %d minutiae out of range",
				i+1, v.Position, v.ViewNumber, v.Impression, len(v.Minutiae))
		}
		out = append(out, byte(v.Position), v.ViewNumber<<4|v.Impression, v.Quality, byte(len(v.Minutiae)))
		var err error
		if out, err = fmr.AppendMinutiae(out, v.Minutiae); err != nil {
			return nil, fmt.Errorf("iso19794: view %d: %w", i+1, err)
		}
		if out, err = fmr.AppendExtended(out, v.Extended); err != nil {
			return nil, fmt.Errorf("iso19794: view %d: %w", i+1, err)
		}
	}
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)))
	return out, nil
}

// Templates converts every view to a biometric.Template (angles from
// 1/256 turns to radians, resolution from pixels per cm to per inch).
func (r *Record) Templates() []biometric.Template {
	ts := make([]biometric.Template, len(r.Views))
	for i, v := range r.Views {
		ts[i] = biometric.Template{
			Width: int(r.Width), Height: int(r.Height),
			ResolutionPPI: fmr.PPIFromPPCM(int(r.XResolution)),
			Position:      v.Position, Quality: min(int(v.Quality), 100),
			Minutiae: fmr.ToTemplateMinutiae(v.Minutiae, AngleUnits),
		}
	}
	return ts
}

// FromTemplates makes a record with one view per template. The templates
// must share one resolution; the record's image size is the largest of
// theirs. Views of the same finger are numbered 0, 1, ... in order.
func FromTemplates(ts ...biometric.Template) (*Record, error) {
	if len(ts) == 0 || len(ts) > 255 {
		return nil, fmt.Errorf("iso19794: %d templates, want 1 to 255", len(ts))
	}
	r := &Record{}
	seen := map[biometric.Position]uint8{}
	for i, t := range ts {
		if t.ResolutionPPI != ts[0].ResolutionPPI {
			return nil, fmt.Errorf("iso19794: template %d at %d ppi, template 1 at %d: one record has one resolution", i+1, t.ResolutionPPI, ts[0].ResolutionPPI)
		}
		if t.Width < 0 || t.Height < 0 || t.Width > 0xFFFF || t.Height > 0xFFFF {
			return nil, fmt.Errorf("iso19794: template %d: image %dx%d out of range", i+1, t.Width, t.Height)
		}
		if t.Quality < 0 || t.Quality > 100 || t.Position > 15 {
			return nil, fmt.Errorf("iso19794: template %d: quality %d or position %d out of range", i+1, t.Quality, t.Position)
		}
		ms, err := fmr.FromTemplateMinutiae(t.Minutiae, AngleUnits)
		if err != nil {
			return nil, fmt.Errorf("iso19794: template %d: %w", i+1, err)
		}
		n := seen[t.Position]
		if n > 15 {
			return nil, fmt.Errorf("iso19794: more than 16 views of finger %v", t.Position)
		}
		seen[t.Position] = n + 1
		r.Width, r.Height = max(r.Width, uint16(t.Width)), max(r.Height, uint16(t.Height))
		r.Views = append(r.Views, View{Position: t.Position, ViewNumber: n, Quality: uint8(t.Quality), Minutiae: ms})
	}
	ppcm := fmr.PPCMFromPPI(ts[0].ResolutionPPI)
	if ppcm > 0xFFFF || ppcm < 0 {
		return nil, fmt.Errorf("iso19794: resolution %d ppi out of range", ts[0].ResolutionPPI)
	}
	r.XResolution, r.YResolution = uint16(ppcm), uint16(ppcm)
	return r, nil
}
