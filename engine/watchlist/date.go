package watchlist

import (
	"fmt"
	"strconv"
	"strings"
)

// PartialDate is a calendar date of which parts may be unknown, as birth
// dates on watchlists and in MRZs often are (a year only, or year and
// month). Zero means unknown. A Year below 100 is a two-digit year whose
// century is unknown (as read from an MRZ); it matches any century.
type PartialDate struct {
	Year, Month, Day int
}

// Known reports whether any part of the date is known.
func (d PartialDate) Known() bool { return d.Year != 0 || d.Month != 0 || d.Day != 0 }

// Full reports whether year, month and day are all known.
func (d PartialDate) Full() bool { return d.Year != 0 && d.Month != 0 && d.Day != 0 }

// String formats the date as YYYY-MM-DD with unknown parts as XX ("1980-XX-XX");
// the unknown date is "".
func (d PartialDate) String() string {
	if !d.Known() {
		return ""
	}
	part := func(v, width int) string {
		if v == 0 {
			return strings.Repeat("X", width)
		}
		return fmt.Sprintf("%0*d", width, v)
	}
	y := part(d.Year, 4)
	if d.Year != 0 && d.Year <= 100 {
		y = fmt.Sprintf("XX%02d", d.Year%100)
	}
	return y + "-" + part(d.Month, 2) + "-" + part(d.Day, 2)
}

// pack stores the date in 32 bits (year<<9 | month<<5 | day) for the
// compact in-memory lists; 0 is the unknown date.
func (d PartialDate) pack() uint32 {
	return uint32(d.Year)<<9 | uint32(d.Month)<<5 | uint32(d.Day)
}

func unpackDate(v uint32) PartialDate {
	return PartialDate{Year: int(v >> 9), Month: int(v>>5) & 15, Day: int(v) & 31}
}

// ParseDate reads a full or partial date: "1980-03-14", "1980-03",
// "1980", "1980-XX-XX", "XX80-03-14" (century unknown), "1980-00-00"; the
// empty string is the unknown date. Unknown parts are written as X or 0.
func ParseDate(s string) (PartialDate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return PartialDate{}, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 {
		return PartialDate{}, fmt.Errorf("date %q: want YYYY-MM-DD, YYYY-MM or YYYY", s)
	}
	var v [3]int
	widths := [3]int{4, 2, 2}
	for i, p := range parts {
		if len(p) != widths[i] {
			return PartialDate{}, fmt.Errorf("date %q: part %q should have %d digits", s, p, widths[i])
		}
		switch {
		case strings.Trim(p, "Xx") == "":
			v[i] = 0
		case i == 0 && (p[:2] == "XX" || p[:2] == "xx"):
			n, err := strconv.Atoi(p[2:])
			if err != nil || n < 0 {
				return PartialDate{}, fmt.Errorf("date %q: bad year %q", s, p)
			}
			if n == 0 {
				n = 100 // "XX00": year 00 of an unknown century; 100 keeps it known
			}
			v[0] = n
		default:
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 {
				return PartialDate{}, fmt.Errorf("date %q: %q is not a number", s, p)
			}
			if i == 0 && (n < 1800 || n > 2999) {
				return PartialDate{}, fmt.Errorf("date %q: year %d out of range 1800-2999 (write XX80 for a year of unknown century)", s, n)
			}
			v[i] = n
		}
	}
	d := PartialDate{Year: v[0], Month: v[1], Day: v[2]}
	if err := d.validate(); err != nil {
		return PartialDate{}, fmt.Errorf("date %q: %w", s, err)
	}
	return d, nil
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func (d PartialDate) validate() error {
	if d.Year != 0 && d.Year >= 100 && (d.Year < 1800 || d.Year > 2999) {
		if d.Year != 100 {
			return fmt.Errorf("year %d out of range 1800-2999", d.Year)
		}
	}
	if d.Month < 0 || d.Month > 12 {
		return fmt.Errorf("month %d out of range", d.Month)
	}
	if d.Day < 0 || d.Day > 31 || (d.Month != 0 && d.Day > daysIn[d.Month]) {
		return fmt.Errorf("day %d out of range", d.Day)
	}
	return nil
}

// DateFromMRZ reads an MRZ date field (YYMMDD, unknown parts as "<<" or
// "XX", as ICAO 9303 allows for birth dates). The century is left unknown:
// the year is returned as two digits, which matches any century.
func DateFromMRZ(yymmdd string) (PartialDate, error) {
	if len(yymmdd) != 6 {
		return PartialDate{}, fmt.Errorf("MRZ date %q: want 6 characters YYMMDD", yymmdd)
	}
	var v [3]int
	for i := 0; i < 3; i++ {
		p := yymmdd[2*i : 2*i+2]
		if p == "<<" || p == "XX" {
			continue
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return PartialDate{}, fmt.Errorf("MRZ date %q: %q is not a number", yymmdd, p)
		}
		v[i] = n
	}
	if v[0] == 0 && yymmdd[:2] == "00" {
		v[0] = 100 // year 00 is known: keep it apart from "unknown"
	}
	d := PartialDate{Year: v[0], Month: v[1], Day: v[2]}
	if err := d.validate(); err != nil {
		return PartialDate{}, fmt.Errorf("MRZ date %q: %w", yymmdd, err)
	}
	return d, nil
}

// yearsAgree compares two years either of which may be two-digit
// (century unknown, 100 standing for "00").
func yearsAgree(a, b int) bool {
	if a < 100 || b < 100 || a == 100 || b == 100 {
		return a%100 == b%100
	}
	return a == b
}
