package ocr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/otiai10/gosseract/v2"
)

// Tesseract runs in this process through cgo: a crash inside it kills
// the server. Every call therefore goes through tessPool, which
//   - checks once that the tessdata folder holds the language before the
//     first engine starts (Tesseract crashed here when none was set);
//   - always sets the language and the page segmentation explicitly;
//   - hands Tesseract only PNGs this package encoded itself, of bounded
//     size, never a caller's bytes;
//   - keeps at most tessMaxEngines engines and lends each to one
//     goroutine at a time.

// tessLanguage is the Tesseract model used: Debian's tesseract-ocr-eng.
const tessLanguage = "eng"

// tessMaxEngines bounds the engines (each holds ~40 MB).
const tessMaxEngines = 2

// tessMaxPixels bounds an image handed to Tesseract.
const tessMaxPixels = 16 << 20

// mrzWhitelist is what an MRZ may hold.
const mrzWhitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"

// ErrNoTesseract says Tesseract or its language data is not installed.
var ErrNoTesseract = errors.New("ocr: Tesseract with the 'eng' language is not available (install tesseract-ocr-eng)")

type tessMode int

const (
	tessMRZ  tessMode = iota // one block of MRZ characters
	tessPage                 // a page or field of printed text
	tessLine                 // a single line of printed text
)

type tessEngine struct {
	c    *gosseract.Client
	mode tessMode
}

type tessPool struct {
	mu      sync.Mutex
	idle    []*tessEngine
	slots   chan struct{}
	check   sync.Once
	checkOK error
}

func newTessPool() *tessPool {
	return &tessPool{slots: make(chan struct{}, tessMaxEngines)}
}

// available checks, once, that the language data is installed.
func (p *tessPool) available() error {
	p.check.Do(func() {
		langs, err := gosseract.GetAvailableLanguages()
		if err != nil {
			p.checkOK = fmt.Errorf("%w: %v", ErrNoTesseract, err)
			return
		}
		for _, l := range langs {
			if l == tessLanguage {
				return
			}
		}
		p.checkOK = ErrNoTesseract
	})
	return p.checkOK
}

// do runs f with an engine configured for mode.
func (p *tessPool) do(mode tessMode, f func(c *gosseract.Client) error) error {
	if err := p.available(); err != nil {
		return err
	}
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	p.mu.Lock()
	var e *tessEngine
	if n := len(p.idle); n > 0 {
		e, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	p.mu.Unlock()
	if e == nil {
		e = &tessEngine{c: gosseract.NewClient(), mode: -1}
		if err := e.c.SetLanguage(tessLanguage); err != nil {
			e.c.Close()
			return err
		}
	}
	if e.mode != mode {
		var err error
		switch mode {
		case tessMRZ:
			err = errors.Join(e.c.SetPageSegMode(gosseract.PSM_SINGLE_BLOCK), e.c.SetWhitelist(mrzWhitelist))
		case tessPage:
			err = errors.Join(e.c.SetPageSegMode(gosseract.PSM_AUTO), e.c.SetWhitelist(""))
		case tessLine:
			err = errors.Join(e.c.SetPageSegMode(gosseract.PSM_SINGLE_LINE), e.c.SetWhitelist(""))
		}
		if err != nil {
			e.c.Close()
			return err
		}
		e.mode = mode
	}
	err := f(e.c)
	p.mu.Lock()
	p.idle = append(p.idle, e)
	p.mu.Unlock()
	return err
}

func (p *tessPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.idle {
		e.c.Close()
	}
	p.idle = nil
}

// setImage hands im to Tesseract as a PNG encoded here.
func setImage(c *gosseract.Client, im image.Image) error {
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 || b.Dx()*b.Dy() > tessMaxPixels {
		return fmt.Errorf("ocr: image of %dx%d pixels is not for Tesseract", b.Dx(), b.Dy())
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, im); err != nil {
		return err
	}
	return c.SetImageFromBytes(buf.Bytes())
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
