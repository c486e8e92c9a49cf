package sim

import (
	"fmt"
	"sort"
	"strings"

	"checkpost/mrz"
)

// Model is a document model of a fictional issuer: page size, layout per
// side, and how its inks behave under each light. Coordinates are
// millimetres from the page's top-left corner.
type Model struct {
	// Name is what --model takes; Title describes it for --list.
	Name, Title string
	Format      mrz.Format
	// DocumentCode and Issuer go into the MRZ; NumberPrefix starts every
	// document number.
	DocumentCode  string
	Issuer        string
	NumberPrefix  byte
	ValidityYears int
	// WidthMM and HeightMM are the page's size (ISO/IEC 7810 ID-1 for TD1,
	// ID-3 for TD3; 120 x 80 mm for an MRV-A visa).
	WidthMM, HeightMM float64
	// Front is the side with the portrait; Back, when not nil, the other
	// side of a card (a TD1 card carries its MRZ there).
	Front, Back *layout
	// PortraitIR says the portrait is printed with inks that absorb IR
	// (laser engraving, carbon): it shows in the IR image. Otherwise it
	// vanishes there, as dye-based colour prints do.
	PortraitIR bool
	// Palette of the background art, the overprint's UV colours, the
	// title.
	art       [2][3]uint8
	overprint [2][3]uint8
}

// layout places what is printed on one side.
type layout struct {
	// titles are static headings.
	titles []title
	// portrait is the portrait zone (zero when the side has none).
	portrait rectMM
	// fields are the personalised printed fields.
	fields []fieldSpec
	// mrz says the side carries the MRZ; mrzLines are the centre lines in
	// mm above the bottom edge, first line first.
	mrz      bool
	mrzLines []float64
	// overprint is the box of the UV overprint (a sunburst emblem and the
	// issuer's name, printed in fluorescent ink invisible in white light).
	overprint rectMM
	// code is the big issuer code printed in IR-absorbing ink (as the "D"
	// of German passports), empty for none.
	code   string
	codeAt rectMM
	// signature is the holder's signature box, or zero.
	signature rectMM
	// rosette is the centre and radius of the guilloche rosette.
	rosette [3]float64
}

type title struct {
	text  string
	x, y  float64 // baseline start, mm
	size  float64 // em, mm
	bold  bool
	irVis bool // printed in IR-visible ink
}

type rectMM struct{ x, y, w, h float64 }

func (r rectMM) empty() bool { return r.w <= 0 || r.h <= 0 }

// fieldSpec is one printed field: its label and where its value goes.
type fieldSpec struct {
	name  string
	label string
	x, y  float64 // top-left of the label, mm
	// irDark fields are printed in B900-type ink and stay dark under IR.
	irDark bool
}

// Field values are printed with this em size and labels with labelEM (mm).
const (
	valueEM = 3.3
	labelEM = 1.75
)

// The MRZ's geometry (Doc 9303 Part 3): OCR-B at 10 characters per inch.
// The line centres above the bottom edge follow the layouts of Parts 4
// (TD3, measured on the German specimen: 5.9 mm apart), 5 (TD1) and 7
// (MRV-A), within their tolerances.
const mrzPitchMM = 2.54

var models = []*Model{
	{
		Name: "uto-passport", Title: "Utopia passport data page (TD3, 125 x 88 mm), portrait visible in IR",
		Format: mrz.TD3, DocumentCode: "P", Issuer: "UTO", NumberPrefix: 'U', ValidityYears: 10,
		WidthMM: 125, HeightMM: 88, PortraitIR: true,
		art:       [2][3]uint8{{96, 150, 186}, {198, 140, 160}},
		overprint: [2][3]uint8{{90, 230, 120}, {70, 130, 255}},
		Front: &layout{
			titles: []title{
				{text: "REPUBLIC OF UTOPIA", x: 21, y: 9.5, size: 4.6, bold: true},
				{text: "RÉPUBLIQUE D'UTOPIE · REPÚBLICA DE UTOPÍA", x: 21, y: 13.2, size: 2.1},
				{text: "PASSPORT", x: 98, y: 9.5, size: 4.0, bold: true, irVis: true},
				{text: "PASSEPORT · PASAPORTE", x: 95, y: 13.2, size: 2.0},
			},
			portrait: rectMM{6, 18, 32, 42},
			fields: []fieldSpec{
				{"type", "Type / Type / Tipo", 44, 16.5, true},
				{"code", "Code / Code / Código", 62, 16.5, true},
				{"document_number", "Passport No. / Passeport No / Pasaporte N.º", 84, 16.5, true},
				{"surname", "1. Surname / Nom / Apellidos", 44, 23.5, true},
				{"given_names", "2. Given names / Prénoms / Nombres", 44, 30.5, true},
				{"nationality", "3. Nationality / Nationalité / Nacionalidad", 44, 37.5, false},
				{"birth_date", "4. Date of birth / Date de naissance", 44, 44.5, true},
				{"sex", "5. Sex / Sexe", 80, 44.5, true},
				{"birth_place", "6. Place of birth / Lieu de naissance", 92, 44.5, false},
				{"issue_date", "7. Date of issue / Date de délivrance", 44, 51.5, true},
				{"expiry_date", "8. Date of expiry / Date d'expiration", 80, 51.5, true},
				{"authority", "9. Authority / Autorité / Autoridad", 44, 58.5, false},
			},
			mrz: true, mrzLines: []float64{15.2, 9.3},
			overprint: rectMM{70, 18, 40, 40},
			code:      "UTO", codeAt: rectMM{104, 30, 17, 8},
			signature: rectMM{92, 57, 28, 8},
			rosette:   [3]float64{90, 40, 26},
		},
	},
	{
		Name: "uto-id-card", Title: "Utopia identity card (TD1, 85.6 x 54 mm, MRZ on the back), portrait invisible in IR",
		Format: mrz.TD1, DocumentCode: "ID", Issuer: "UTO", NumberPrefix: 'T', ValidityYears: 10,
		WidthMM: 85.6, HeightMM: 54, PortraitIR: false,
		art:       [2][3]uint8{{120, 170, 120}, {210, 170, 110}},
		overprint: [2][3]uint8{{255, 90, 80}, {240, 230, 90}},
		Front: &layout{
			titles: []title{
				{text: "REPUBLIC OF UTOPIA", x: 5, y: 6.5, size: 3.4, bold: true},
				{text: "IDENTITY CARD · CARTE D'IDENTITÉ", x: 5, y: 9.8, size: 1.9},
			},
			portrait: rectMM{4, 13, 24, 31},
			fields: []fieldSpec{
				{"document_number", "Card No. / No de carte", 58, 4, true},
				{"surname", "Surname / Nom", 32, 12.5, true},
				{"given_names", "Given names / Prénoms", 32, 19, true},
				{"birth_date", "Date of birth / Date de naissance", 32, 25.5, true},
				{"sex", "Sex / Sexe", 70, 25.5, true},
				{"nationality", "Nationality / Nationalité", 32, 32, false},
				{"expiry_date", "Date of expiry / Date d'expiration", 32, 38.5, true},
			},
			overprint: rectMM{48, 30, 32, 20},
			signature: rectMM{5, 45.5, 26, 6},
			rosette:   [3]float64{60, 28, 22},
		},
		Back: &layout{
			titles: []title{
				{text: "UTOPIA · UTOPIE", x: 5, y: 6, size: 2.8, bold: true},
			},
			fields: []fieldSpec{
				{"birth_place", "Place of birth / Lieu de naissance", 5, 8.5, false},
				{"issue_date", "Date of issue / Date de délivrance", 5, 15, true},
				{"authority", "Authority / Autorité", 45, 15, false},
			},
			mrz: true, mrzLines: []float64{14.0, 9.6, 5.2},
			overprint: rectMM{52, 3, 30, 16},
			code:      "UTO", codeAt: rectMM{66, 22, 14, 6},
			rosette: [3]float64{42, 20, 18},
		},
	},
	{
		Name: "uto-visa", Title: "Utopia entry visa sticker (MRV-A, 120 x 80 mm), portrait invisible in IR",
		Format: mrz.MRVA, DocumentCode: "V", Issuer: "UTO", NumberPrefix: 'V', ValidityYears: 2,
		WidthMM: 120, HeightMM: 80, PortraitIR: false,
		art:       [2][3]uint8{{170, 120, 170}, {120, 160, 190}},
		overprint: [2][3]uint8{{240, 200, 70}, {80, 220, 255}},
		Front: &layout{
			titles: []title{
				{text: "UTOPIA — VISA", x: 38, y: 8, size: 4.2, bold: true, irVis: true},
				{text: "VISA D'ENTRÉE · ENTRY VISA", x: 38, y: 11.5, size: 2.0},
			},
			portrait: rectMM{5, 14, 28, 36},
			fields: []fieldSpec{
				{"document_number", "Visa No. / No du visa", 90, 3.5, true},
				{"issue_date", "Valid from / Valable du", 38, 14, true},
				{"expiry_date", "Until / Au", 72, 14, true},
				{"surname", "Surname / Nom", 38, 21, true},
				{"given_names", "Given names / Prénoms", 38, 28, true},
				{"birth_date", "Date of birth / Date de naissance", 38, 35, true},
				{"sex", "Sex / Sexe", 74, 35, true},
				{"nationality", "Nationality / Nationalité", 86, 35, false},
				{"authority", "Issued at / Délivré à", 38, 42, false},
			},
			mrz: true, mrzLines: []float64{15.2, 9.3},
			overprint: rectMM{78, 16, 34, 26},
			code:      "UTO", codeAt: rectMM{96, 48, 17, 8},
			rosette: [3]float64{60, 34, 24},
		},
	},
}

// Models returns the document models, by name.
func Models() []*Model {
	out := append([]*Model(nil), models...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DefaultModel is the model --model defaults to: the passport.
const DefaultModel = "uto-passport"

// LookupModel finds a model by name.
func LookupModel(name string) (*Model, error) {
	for _, m := range models {
		if m.Name == name {
			return m, nil
		}
	}
	names := make([]string, len(models))
	for i, m := range models {
		names[i] = m.Name
	}
	return nil, fmt.Errorf("sim: unknown model %q (want one of %s)", name, strings.Join(names, ", "))
}
