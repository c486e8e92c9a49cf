package viz

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"sync"

	"github.com/otiai10/gosseract/v2"
)

// Tesseract runs in this process through cgo: a crash inside it kills the
// server. So every call goes through a pool that
//   - checks once that the tessdata folder holds the language before the
//     first engine is made (Tesseract crashed when none was set);
//   - always sets the language, the page segmentation and the whitelist
//     of the call explicitly;
//   - hands Tesseract only PNGs encoded here from images of bounded size;
//   - lends each engine to one goroutine at a time and closes every engine
//     on Close (an engine whose call failed is closed at once).

// ErrNoTesseract says Tesseract or its language data is not installed.
var ErrNoTesseract = errors.New("viz: Tesseract with the requested language is not available (install tesseract-ocr-eng)")

// ErrClosed is returned by a Reader used after Close.
var ErrClosed = errors.New("viz: reader closed")

// maxPixels bounds an image handed to Tesseract (a 300-ppi passport page
// is about 1,500 x 1,050).
const maxPixels = 12 << 20

type engine struct {
	c *gosseract.Client
}

type pool struct {
	lang   string
	prefix string
	slots  chan struct{}

	mu     sync.Mutex
	idle   []*engine
	closed bool

	check   sync.Once
	checkOK error
}

func newPool(lang, prefix string, size int) *pool {
	return &pool{lang: lang, prefix: prefix, slots: make(chan struct{}, size)}
}

func (p *pool) available() error {
	p.check.Do(func() {
		var langs []string
		var err error
		if p.prefix != "" {
			langs, err = languagesIn(p.prefix)
		} else {
			langs, err = gosseract.GetAvailableLanguages()
		}
		if err != nil {
			p.checkOK = fmt.Errorf("%w: %v", ErrNoTesseract, err)
			return
		}
		for _, l := range langs {
			if l == p.lang {
				return
			}
		}
		p.checkOK = fmt.Errorf("%w (%q not among %v)", ErrNoTesseract, p.lang, langs)
	})
	return p.checkOK
}

// call is one Tesseract run's set-up.
type call struct {
	psm       gosseract.PageSegMode
	whitelist string
}

// run reads im with an engine set up for c and returns the words Tesseract
// found (with line numbers and confidences). It waits for an engine while
// ctx allows.
func (p *pool) run(ctx context.Context, c call, im image.Image) ([]gosseract.BoundingBox, error) {
	if err := p.available(); err != nil {
		return nil, err
	}
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 || b.Dx()*b.Dy() > maxPixels {
		return nil, fmt.Errorf("viz: image of %dx%d pixels is not for Tesseract", b.Dx(), b.Dy())
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, im); err != nil {
		return nil, err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-p.slots }()
	e, err := p.take()
	if err != nil {
		return nil, err
	}
	words, err := e.read(c, buf.Bytes())
	if err != nil {
		e.c.Close()
		return nil, err
	}
	p.give(e)
	return words, nil
}

func (p *pool) take() (*engine, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return e, nil
	}
	c := gosseract.NewClient()
	if err := c.SetLanguage(p.lang); err != nil {
		c.Close()
		return nil, err
	}
	if p.prefix != "" {
		if err := c.SetTessdataPrefix(p.prefix); err != nil {
			c.Close()
			return nil, err
		}
	}
	// gosseract starts Tesseract on the first reading, and starting
	// resets the page segmentation mode set before: start it now, on a
	// blank image, so that every reading gets the mode it asks for.
	if err := c.DisableOutput(); err != nil { // no debug prints on stdout
		c.Close()
		return nil, err
	}
	if err := c.SetImageFromBytes(blankPNG); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := c.Text(); err != nil {
		c.Close()
		return nil, err
	}
	return &engine{c: c}, nil
}

// blankPNG is a small white image.
var blankPNG = func() []byte {
	im := image.NewGray(image.Rect(0, 0, 32, 32))
	for i := range im.Pix {
		im.Pix[i] = 255
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		panic(err)
	}
	return buf.Bytes()
}()

func (p *pool) give(e *engine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		e.c.Close()
		return
	}
	p.idle = append(p.idle, e)
}

func (e *engine) read(c call, png []byte) ([]gosseract.BoundingBox, error) {
	if err := e.c.SetPageSegMode(c.psm); err != nil {
		return nil, err
	}
	if err := e.c.SetWhitelist(c.whitelist); err != nil {
		return nil, err
	}
	if err := e.c.SetImageFromBytes(png); err != nil {
		return nil, err
	}
	return e.c.GetBoundingBoxesVerbose()
}

// close closes the idle engines; engines in use are closed when given
// back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, e := range p.idle {
		e.c.Close()
	}
	p.idle = nil
}
