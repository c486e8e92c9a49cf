package mrz

import "fmt"

// Format is the layout of a machine readable zone: its number of lines,
// their length, and where each field sits.
type Format uint8

// The formats of ICAO Doc 9303, plus the pre-2021 French national identity
// card. UnknownFormat is the zero value.
const (
	UnknownFormat Format = iota
	TD1                  // 3 lines of 30: identity cards (Doc 9303 Part 5)
	TD2                  // 2 lines of 36: identity cards (Part 6)
	TD3                  // 2 lines of 44: passport books (Part 4)
	MRVA                 // 2 lines of 44: visas of format A (Part 7)
	MRVB                 // 2 lines of 36: visas of format B (Part 7)
	FrenchID             // 2 lines of 36: French identity card issued 1988-2021
)

var formatNames = [...]string{
	UnknownFormat: "UNKNOWN",
	TD1:           "TD1",
	TD2:           "TD2",
	TD3:           "TD3",
	MRVA:          "MRV-A",
	MRVB:          "MRV-B",
	FrenchID:      "FRA-ID",
}

// String returns the format's usual name: TD1, TD2, TD3, MRV-A, MRV-B or
// FRA-ID.
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// MarshalText writes the format's name, so that JSON shows "TD3", not 3.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a name written by MarshalText (or ParseFormat's
// other spellings).
func (f *Format) UnmarshalText(b []byte) error {
	v, err := ParseFormat(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFormat reads a format name: TD1, TD2, TD3, MRV-A (or MRVA), MRV-B
// (or MRVB), FRA-ID (or FrenchID), case-sensitive.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "TD1":
		return TD1, nil
	case "TD2":
		return TD2, nil
	case "TD3":
		return TD3, nil
	case "MRV-A", "MRVA":
		return MRVA, nil
	case "MRV-B", "MRVB":
		return MRVB, nil
	case "FRA-ID", "FrenchID", "FRA-ID-2x36":
		return FrenchID, nil
	}
	return UnknownFormat, fmt.Errorf("mrz: unknown format %q (want TD1, TD2, TD3, MRV-A, MRV-B or FRA-ID)", s)
}

// Lines returns the number of lines of the format (0 for UnknownFormat).
func (f Format) Lines() int {
	switch f {
	case TD1:
		return 3
	case TD2, TD3, MRVA, MRVB, FrenchID:
		return 2
	}
	return 0
}

// LineLength returns the number of characters of each line of the format
// (0 for UnknownFormat).
func (f Format) LineLength() int {
	switch f {
	case TD1:
		return 30
	case TD2, MRVB, FrenchID:
		return 36
	case TD3, MRVA:
		return 44
	}
	return 0
}

// detectFormat chooses the format from the line count and length, then
// from the document code: a 2x44 zone starting with V is an MRV-A visa, a
// 2x36 one an MRV-B visa, and a 2x36 zone issued by FRA whose second
// line has the French card's layout (given names where a TD2 has its
// nationality and birth date) is the pre-2021 French card.
func detectFormat(lines *[3]string, n int) Format {
	switch {
	case n == 3 && len(lines[0]) == 30 && len(lines[1]) == 30 && len(lines[2]) == 30:
		return TD1
	case n == 2 && len(lines[0]) == 44 && len(lines[1]) == 44:
		if lines[0][0] == 'V' {
			return MRVA
		}
		return TD3
	case n == 2 && len(lines[0]) == 36 && len(lines[1]) == 36:
		if lines[0][0] == 'V' {
			return MRVB
		}
		if lines[0][2:5] == "FRA" && looksFrench(lines[1]) {
			return FrenchID
		}
		return TD2
	}
	return UnknownFormat
}

// looksFrench tells a French card's second line (12-character number, check
// digit, 14 letters of given names, birth date, check digit, sex,
// composite) from a TD2 second line (9-character number, check digit,
// nationality letters, birth date digits...). Columns 14-19 decide: the
// TD2 birth date is digits there, the French given names are letters or
// fillers.
func looksFrench(l string) bool {
	digits := 0
	for i := 13; i < 19; i++ {
		if c := l[i]; c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits <= 2
}
