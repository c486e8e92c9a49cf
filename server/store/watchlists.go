package store

import (
	"fmt"
	"strings"

	"checkpost/engine/watchlist"
)

// MaxReportedLineErrors is how many bad lines an ImportError lists; the
// rest are only counted.
const MaxReportedLineErrors = 20

// ImportError is returned when a watchlist file has bad lines: nothing of
// the file was imported (the import runs in one transaction), and the
// error lists the first bad lines with their numbers.
type ImportError struct {
	Source string
	// Lines are the first MaxReportedLineErrors bad lines.
	Lines []*watchlist.LineError
	// Bad is the number of bad lines in all.
	Bad int
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store: %s: %d bad line(s), nothing imported", e.Source, e.Bad)
	for _, l := range e.Lines {
		fmt.Fprintf(&b, "\n  %s: %v", e.Source, l)
	}
	if e.Bad > len(e.Lines) {
		fmt.Fprintf(&b, "\n  ... and %d more", e.Bad-len(e.Lines))
	}
	return b.String()
}

// ImportResult counts what an import did.
type ImportResult struct {
	ImportID int64
	// Records read, entries added, entries that replaced an earlier one.
	Records, Added, Updated int
}

// collectLineError records a bad line; it reports whether err was one
// (other errors end the import).
func (e *ImportError) collect(err error) bool {
	le, ok := err.(*watchlist.LineError)
	if !ok {
		return false
	}
	e.Bad++
	if len(e.Lines) < MaxReportedLineErrors {
		e.Lines = append(e.Lines, le)
	}
	return true
}
