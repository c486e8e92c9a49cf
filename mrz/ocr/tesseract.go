package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"checkpost/internal/tesseract"
)

// Tesseract runs in this process through cgo (checkpost's own binding,
// internal/tesseract): a crash inside it kills the server. Every call
// therefore goes through tessPool, which
//   - checks once that an engine starts with the language before the
//     first reading (Tesseract crashed here when none was set);
//   - always sets the language, the page segmentation and the whitelist;
//   - hands Tesseract only grey images of bounded size made here, never a
//     caller's bytes;
//   - keeps at most tessMaxEngines engines, lends each to one goroutine at
//     a time, and bounds every reading with a deadline.

// tessLanguage is the Tesseract model used: Debian's tesseract-ocr-eng.
const tessLanguage = "eng"

// tessMaxEngines bounds the engines (each holds ~15-40 MB).
const tessMaxEngines = 2

// tessMaxPixels bounds an image handed to Tesseract.
const tessMaxPixels = 16 << 20

// tessDeadline bounds one reading (a whole page takes about a second).
const tessDeadline = 10 * time.Second

// mrzWhitelist is what an MRZ may hold.
const mrzWhitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

// ErrNoTesseract says Tesseract or its language data is not installed.
var ErrNoTesseract = errors.New("ocr: Tesseract with the 'eng' language is not available (install tesseract-ocr-eng)")

type tessMode int

const (
	tessMRZ     tessMode = iota // one block of MRZ characters
	tessMRZPage                 // a page, MRZ characters only (the baseline)
	tessPage                    // a page or field of printed text
	tessLine                    // a single line of printed text
)

// options is the reading set-up of a mode.
func (m tessMode) options() tesseract.Options {
	o := tesseract.Options{Deadline: tessDeadline}
	switch m {
	case tessMRZ:
		o.PSM, o.Whitelist = tesseract.PSMSingleBlock, mrzWhitelist
	case tessMRZPage:
		o.PSM, o.Whitelist = tesseract.PSMAuto, mrzWhitelist
	case tessPage:
		o.PSM = tesseract.PSMAuto
	default:
		o.PSM = tesseract.PSMSingleLine
	}
	return o
}

type tessPool struct {
	mu      sync.Mutex
	idle    []*tesseract.Engine
	slots   chan struct{}
	check   sync.Once
	checkOK error
}

func newTessPool() *tessPool {
	return &tessPool{slots: make(chan struct{}, tessMaxEngines)}
}

// available checks, once, that an engine starts with the language; that
// engine stays in the pool.
func (p *tessPool) available() error {
	p.check.Do(func() {
		e, err := tesseract.New(tesseract.Config{Language: tessLanguage})
		if err != nil {
			p.checkOK = fmt.Errorf("%w: %v", ErrNoTesseract, err)
			return
		}
		p.idle = append(p.idle, e)
	})
	return p.checkOK
}

// text reads im in mode and returns Tesseract's text.
func (p *tessPool) text(ctx context.Context, mode tessMode, im image.Image) (string, error) {
	if err := p.available(); err != nil {
		return "", err
	}
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 || b.Dx()*b.Dy() > tessMaxPixels {
		return "", fmt.Errorf("ocr: image of %dx%d pixels is not for Tesseract", b.Dx(), b.Dy())
	}
	g := valueGray(im)
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	defer func() { <-p.slots }()
	p.mu.Lock()
	var e *tesseract.Engine
	if n := len(p.idle); n > 0 {
		e, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	p.mu.Unlock()
	if e == nil {
		var err error
		if e, err = tesseract.New(tesseract.Config{Language: tessLanguage}); err != nil {
			return "", err
		}
	}
	txt, err := e.Text(ctx, g, mode.options())
	p.mu.Lock()
	p.idle = append(p.idle, e)
	p.mu.Unlock()
	return txt, err
}

func (p *tessPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.idle {
		e.Close()
	}
	p.idle = nil
}

// tessdataHas tells whether a tessdata folder holds lang (used by tests
// to skip where Tesseract is not installed).
func tessdataHas(dir, lang string) bool {
	_, err := os.Stat(filepath.Join(dir, lang+".traineddata"))
	return err == nil
}

// mrzLinesFromText keeps the lines of Tesseract's output that look like
// lines of a zone: long runs of MRZ characters, blanks removed.
func mrzLinesFromText(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(l), " ", ""))
		if len(l) < 20 {
			continue
		}
		good := 0
		for i := 0; i < len(l); i++ {
			if strings.IndexByte(mrzWhitelist, l[i]) >= 0 {
				good++
			}
		}
		if good*10 >= len(l)*9 {
			out = append(out, l)
		}
	}
	return out
}

// SecondOpinion is Tesseract's reading of a zone the classifier found
// hard.
type SecondOpinion struct {
	Engine string   `json:"engine"`
	Lines  []string `json:"lines,omitempty"`
	Valid  bool     `json:"valid"`
	// Used says Tesseract's lines replaced the classifier's (they were
	// valid and the classifier's were not).
	Used  bool   `json:"used"`
	Error string `json:"error,omitempty"`
}
