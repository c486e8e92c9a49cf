package mrz

// pos is a run of characters of one line: zero-based line, zero-based
// start, exclusive end. A zero-width pos means the format lacks the field.
type pos struct{ line, start, end int }

func (p pos) ok() bool     { return p.end > p.start }
func (p pos) span() Span   { return Span{Line: p.line, Start: p.start, End: p.end} }
func (p pos) width() int   { return p.end - p.start }
func at(line, col int) pos { return pos{line, col, col + 1} }

// layout says where each field of a format sits (Doc 9303 Parts 4-7; the
// French card from its public specification).
type layout struct {
	code, state            pos
	names                  pos // primary and secondary identifiers together
	surnameOnly, givenOnly pos // French card: the two names in separate zones
	docNumber, docCheck    pos
	nationality            pos
	birth, birthCheck      pos
	sex                    pos
	expiry, expiryCheck    pos
	optional, optionalChk  pos
	optional2              pos
	issueDate              pos
	composite              pos
	compositeParts         [4]pos
	// longNumbers: a < at docCheck means the number continues in optional.
	longNumbers bool
}

var layouts = [...]layout{
	TD1: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5},
		docNumber: pos{0, 5, 14}, docCheck: at(0, 14), optional: pos{0, 15, 30},
		birth: pos{1, 0, 6}, birthCheck: at(1, 6), sex: at(1, 7),
		expiry: pos{1, 8, 14}, expiryCheck: at(1, 14), nationality: pos{1, 15, 18},
		optional2: pos{1, 18, 29}, composite: at(1, 29),
		compositeParts: [4]pos{{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29}},
		names:          pos{2, 0, 30},
		longNumbers:    true,
	},
	TD2: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5}, names: pos{0, 5, 36},
		docNumber: pos{1, 0, 9}, docCheck: at(1, 9), nationality: pos{1, 10, 13},
		birth: pos{1, 13, 19}, birthCheck: at(1, 19), sex: at(1, 20),
		expiry: pos{1, 21, 27}, expiryCheck: at(1, 27), optional: pos{1, 28, 35},
		composite:      at(1, 35),
		compositeParts: [4]pos{{1, 0, 10}, {1, 13, 20}, {1, 21, 35}},
		longNumbers:    true,
	},
	TD3: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5}, names: pos{0, 5, 44},
		docNumber: pos{1, 0, 9}, docCheck: at(1, 9), nationality: pos{1, 10, 13},
		birth: pos{1, 13, 19}, birthCheck: at(1, 19), sex: at(1, 20),
		expiry: pos{1, 21, 27}, expiryCheck: at(1, 27),
		optional: pos{1, 28, 42}, optionalChk: at(1, 42),
		composite:      at(1, 43),
		compositeParts: [4]pos{{1, 0, 10}, {1, 13, 20}, {1, 21, 43}},
	},
	MRVA: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5}, names: pos{0, 5, 44},
		docNumber: pos{1, 0, 9}, docCheck: at(1, 9), nationality: pos{1, 10, 13},
		birth: pos{1, 13, 19}, birthCheck: at(1, 19), sex: at(1, 20),
		expiry: pos{1, 21, 27}, expiryCheck: at(1, 27), optional: pos{1, 28, 44},
		longNumbers: true,
	},
	MRVB: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5}, names: pos{0, 5, 36},
		docNumber: pos{1, 0, 9}, docCheck: at(1, 9), nationality: pos{1, 10, 13},
		birth: pos{1, 13, 19}, birthCheck: at(1, 19), sex: at(1, 20),
		expiry: pos{1, 21, 27}, expiryCheck: at(1, 27), optional: pos{1, 28, 36},
		longNumbers: true,
	},
	FrenchID: {
		code: pos{0, 0, 2}, state: pos{0, 2, 5},
		surnameOnly: pos{0, 5, 30}, optional: pos{0, 30, 36},
		docNumber: pos{1, 0, 12}, docCheck: at(1, 12), issueDate: pos{1, 0, 4},
		givenOnly: pos{1, 13, 27},
		birth:     pos{1, 27, 33}, birthCheck: at(1, 33), sex: at(1, 34),
		composite:      at(1, 35),
		compositeParts: [4]pos{{0, 0, 36}, {1, 0, 35}},
	},
}
