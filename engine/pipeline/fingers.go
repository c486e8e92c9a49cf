package pipeline

import (
	"bytes"
	"fmt"
	"sync"

	"checkpost/biometric"
	"checkpost/biometric/ansi378"
	"checkpost/biometric/extract"
	"checkpost/biometric/iso19794"
	"checkpost/biometric/native"
	_ "checkpost/biometric/pnm" // finger scanners write PGM
	_ "checkpost/biometric/wsq" // and WSQ
)

// extractors keeps the extractors' buffers between fingers.
var extractors = sync.Pool{New: func() any { return extract.NewExtractor() }}

// FingerTemplates reads the finger views of a submitted finger: every
// view of a template record (checkpost native, ISO/IEC 19794-2:2005, ANSI
// INCITS 378), or the one extracted from an image (normalised to 500 ppi;
// ppi is the image's resolution when the file states none, 0 meaning
// 500). source names what was read; quality is the extractor's score for
// images (0 for templates).
func FingerTemplates(data []byte, ppi float64) (ts []biometric.Template, source string, quality int, err error) {
	switch {
	case len(data) == 0:
		return nil, "", 0, fmt.Errorf("empty finger data")
	case native.IsNative(data):
		t, err := native.Decode(data)
		if err != nil {
			return nil, "", 0, err
		}
		return []biometric.Template{t}, "native template", 0, nil
	case bytes.HasPrefix(data, []byte("FMR\x00")):
		rec, errISO := iso19794.Decode(data)
		if errISO == nil {
			ts, source = rec.Templates(), "ISO/IEC 19794-2 template"
		} else {
			arec, errANSI := ansi378.Decode(data)
			if errANSI != nil {
				return nil, "", 0, fmt.Errorf("neither an ISO/IEC 19794-2 record (%v) nor an ANSI INCITS 378 record (%v)", errISO, errANSI)
			}
			ts, source = arec.Templates(), "ANSI INCITS 378 template"
		}
		if len(ts) == 0 {
			return nil, "", 0, fmt.Errorf("the %s holds no finger view", source)
		}
		return ts, source, 0, nil
	}
	fi, err := biometric.DecodeImageBytes(data, biometric.ImageOptions{PPI: ppi})
	if err != nil {
		return nil, "", 0, err
	}
	x := extractors.Get().(*extract.Extractor)
	defer extractors.Put(x)
	t, err := x.Extract(fi.To500PPI())
	if err != nil {
		return nil, "", 0, err
	}
	return []biometric.Template{t}, fi.Format + " image", x.Quality().Score, nil
}
