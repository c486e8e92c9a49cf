package ocr

import (
	"encoding/json"
	"image"
	"time"

	"checkpost/devices"
	"checkpost/mrz"
)

// Result is the reading of one image (one PDF page, one capture).
type Result struct {
	// Found says a zone was located and read; when false, Reason says
	// why ("no MRZ found: ...") and the other fields are empty.
	Found  bool   `json:"found"`
	Reason string `json:"reason,omitempty"`
	// Format is the zone's format (TD1, TD2, TD3, MRV-A, MRV-B, FRA-ID).
	Format mrz.Format `json:"format"`
	// Lines are the zone's lines after repair; Read the lines as the
	// classifier read them.
	Lines []string `json:"lines"`
	Read  []string `json:"read"`
	// Valid says every field of Lines is valid (check digits, dates,
	// codes); MRZ is their parse, field by field.
	Valid bool        `json:"valid"`
	MRZ   *mrz.Result `json:"-"`
	// Corrections are the characters repair changed (check digits, field
	// classes); Decided the ambiguities repair left open that the
	// classifier's scores settled; Ambiguities those still open.
	Corrections []mrz.Correction `json:"corrections,omitempty"`
	Decided     []Decision       `json:"decided,omitempty"`
	Ambiguities []mrz.Ambiguity  `json:"ambiguities,omitempty"`
	// Chars are the classifier's readings, line by line, cell by cell,
	// with the confidence and the runner-up characters.
	Chars [][]Char `json:"chars,omitempty"`
	// MinConfidence and MeanConfidence summarise Chars.
	MinConfidence  float64 `json:"min_confidence"`
	MeanConfidence float64 `json:"mean_confidence"`
	// Quad is the zone's outline in the input image's pixels, corners in
	// reading order: top-left, top-right, bottom-right, bottom-left of
	// the printed characters.
	Quad [4]devices.Point `json:"quad"`
	// Angle is the zone's rotation in degrees, clockwise, from upright
	// (180: the page upside down).
	Angle float64 `json:"angle"`
	// PPI is the resolution measured from the pitch (10 characters per
	// inch).
	PPI float64 `json:"ppi"`
	// Light is the capture light the zone was read under, Side the side
	// ("front", "back"); Page the PDF page (1-based, 0 otherwise).
	Light devices.Light `json:"light,omitempty"`
	Side  string        `json:"side,omitempty"`
	Page  int           `json:"page,omitempty"`
	// SecondOpinion is Tesseract's reading when it was asked (low
	// confidence or an invalid zone, with Options.SecondOpinion).
	SecondOpinion *SecondOpinion `json:"second_opinion,omitempty"`
	// Timings are the time of each stage.
	Timings Timings `json:"timings"`
	// Evidence holds the crops, when asked for (WithEvidence).
	Evidence *Evidence `json:"-"`
}

// Char is one cell as the classifier read it.
type Char struct {
	Char       byte
	Confidence float64
	// Alternatives are the best classes after Char, best first, with
	// their probabilities.
	Alternatives []mrz.Candidate
}

// MarshalJSON writes {"c": "A", "p": 0.99, "alt": [["4", 0.01]]}.
func (c Char) MarshalJSON() ([]byte, error) {
	alt := make([][2]any, len(c.Alternatives))
	for i, a := range c.Alternatives {
		alt[i] = [2]any{string(a.Char), round4(a.Score)}
	}
	return json.Marshal(struct {
		C   string   `json:"c"`
		P   float64  `json:"p"`
		Alt [][2]any `json:"alt,omitempty"`
	}{string(c.Char), round4(c.Confidence), alt})
}

func round4(v float64) float64 { return float64(int64(v*1e4+0.5)) / 1e4 }

// Decision is an ambiguity of the repair that the classifier's scores
// settled: the option taken and the margin by which it won (natural
// log of its odds over the runner-up's, from the classifier).
type Decision struct {
	Field  mrz.FieldName    `json:"-"`
	Name   string           `json:"field"`
	Chosen mrz.RepairOption `json:"chosen"`
	Margin float64          `json:"margin"`
}

// Timings are the durations of the stages of one reading.
type Timings struct {
	Decode        time.Duration `json:"decode"`
	Locate        time.Duration `json:"locate"`
	Rectify       time.Duration `json:"rectify"`
	Classify      time.Duration `json:"classify"`
	Repair        time.Duration `json:"repair"`
	SecondOpinion time.Duration `json:"second_opinion,omitempty"`
	Total         time.Duration `json:"total"`
}

// Evidence are the intermediate images of a reading, for the review page
// and for debugging.
type Evidence struct {
	// Rectified is the zone turned upright with a pitch of ocrb.Pitch
	// pixels; Cells[line][column] each cell as the classifier saw it
	// (ink dark), in the same order as Result.Chars.
	Rectified *image.Gray
	Cells     [][]*image.Gray
}
