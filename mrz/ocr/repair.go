package ocr

import (
	"math"

	"checkpost/mrz"
)

// Thresholds of the repair, in classifier odds.
const (
	// A character is kept as printed against the only substitution that
	// satisfies a check digit (or makes a valid state code, or a document
	// code the format allows) when the
	// classifier finds the substitution less than decideFloorOdds as
	// likely as the character read: specimens print wrong check digits on
	// purpose, a forged zone may too, and when only one of the few look-
	// alikes in a field's cells happens to satisfy a check digit the
	// check digit proves little. Tuning seeds 500..899 at 110 ppi with
	// defocus and JPEG (the only simulator set where the substitution is
	// ever needed): every right substitution had odds of 1:16 or better,
	// every one at 1:20 or worse was wrong.
	//
	// An ambiguity is settled by the classifier when its best option is
	// decideOdds times as likely as the next (the product over the
	// changed cells of p(new)/p(old), a probability below probFloor
	// counting as probFloor: a character the classifier did not offer is
	// unlikely, not impossible) and at least decideFloorOdds as likely as
	// the reading as it stands.
	decideOdds      = 4.0
	decideFloorOdds = 0.05
	probFloor       = 0.001
)

// logOdds is how much likelier the classifier finds the option's changes
// than the characters they replace (natural log).
func logOdds(chars [][]Char, o mrz.RepairOption) float64 {
	var s float64
	for _, ch := range o.Changes {
		s += math.Log(max(prob(chars, ch.Line, ch.Column, ch.To), probFloor)) -
			math.Log(max(prob(chars, ch.Line, ch.Column, ch.From), probFloor))
	}
	return s
}

// alternatives turns the classifier's readings into repair alternatives:
// the read character first, then the runners-up.
func alternatives(chars [][]Char) mrz.Alternatives {
	alts := make(mrz.Alternatives, len(chars))
	for i, row := range chars {
		alts[i] = make([][]mrz.Candidate, len(row))
		for k, c := range row {
			a := make([]mrz.Candidate, 0, 1+len(c.Alternatives))
			a = append(a, mrz.Candidate{Char: c.Char, Score: c.Confidence})
			a = append(a, c.Alternatives...)
			alts[i][k] = a
		}
	}
	return alts
}

// prob is the classifier's probability of b in a cell (0 when b was not
// among its candidates).
func prob(chars [][]Char, line, col int, b byte) float64 {
	if line >= len(chars) || col >= len(chars[line]) {
		return 0
	}
	c := chars[line][col]
	if c.Char == b {
		return c.Confidence
	}
	for _, a := range c.Alternatives {
		if a.Char == b {
			return a.Score
		}
	}
	return 0
}

// repairInto runs mrz.Repair on the classifier's reading with its
// alternatives, undoes check-digit "repairs" that go against a confident
// reading, settles ambiguities the scores clearly decide, and fills the
// lines, validity and parse of res.
func (r *Reader) repairInto(res *Result, cr *candidateReading) {
	alts := alternatives(res.Chars)
	rep, err := mrz.Repair(res.Read, alts, r.opts.Parse...)
	if err != nil {
		// Not the shape of any format: report the reading as it is.
		res.Lines = append([]string(nil), res.Read...)
		res.Format = mrz.UnknownFormat
		return
	}
	lines := rep.Lines
	var kept []mrz.Correction
	undone := false
	for _, c := range rep.Corrections {
		if (c.Reason == mrz.ReasonCheckDigit || c.Reason == mrz.ReasonCode || c.Reason == mrz.ReasonDocumentCode) && c.From != 0 && c.To != 0 &&
			logOdds(res.Chars, mrz.RepairOption{Changes: []mrz.Correction{c}}) < math.Log(decideFloorOdds) {
			b := []byte(lines[c.Line])
			b[c.Column] = c.From
			lines[c.Line] = string(b)
			undone = true
			continue
		}
		kept = append(kept, c)
	}
	var open []mrz.Ambiguity
	for _, a := range rep.Ambiguities {
		if len(a.Options) == 0 {
			continue
		}
		// The options ranked by the classifier's odds.
		opts := append([]mrz.RepairOption(nil), a.Options...)
		odds := make([]float64, len(opts))
		for i, o := range opts {
			odds[i] = logOdds(res.Chars, o)
		}
		best := 0
		for i := range opts {
			if odds[i] > odds[best] {
				best = i
			}
		}
		margin := math.Inf(1)
		for i := range opts {
			if i != best {
				margin = math.Min(margin, odds[best]-odds[i])
			}
		}
		if margin >= math.Log(decideOdds) && odds[best] >= math.Log(decideFloorOdds) {
			chosen := opts[best]
			for _, ch := range chosen.Changes {
				b := []byte(lines[ch.Line])
				b[ch.Column] = ch.To
				lines[ch.Line] = string(b)
				kept = append(kept, ch)
			}
			res.Decided = append(res.Decided, Decision{Field: a.Field, Name: a.Field.String(), Chosen: chosen, Margin: margin})
			undone = true
			continue
		}
		open = append(open, a)
	}
	res.Lines = lines
	res.Corrections = kept
	res.Ambiguities = open
	result := rep.Result
	if undone {
		if p, err := mrz.NewParser(r.opts.Parse...).ParseLines(lines); err == nil {
			result = p
		}
	}
	res.MRZ = result
	if result != nil {
		res.Format = result.Format
		res.Valid = result.Valid && len(open) == 0
	}
}
