package viz

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"time"

	"checkpost/internal/tesseract"
)

// Tesseract runs in this process through cgo (checkpost's own binding,
// internal/tesseract: gosseract v2.4.1 leaked on every reading and could
// not bound one in time): a crash inside it kills the server. So every
// call goes through a pool that
//   - checks once that the language is there before the first reading
//     (Tesseract crashed when none was set), and always sets it;
//   - sets the page segmentation and the whitelist of every call;
//   - hands Tesseract only grey images of bounded size, checked;
//   - lends each engine to one goroutine at a time and closes every engine
//     on Close;
//   - bounds every reading: Tesseract stops itself at the reading's
//     deadline (or when the caller's context ends) and the engine goes
//     back to the pool; an engine that does not come back within twice
//     that and a second (stuck inside Tesseract) is left to finish on
//     its own and closed then, and a new engine takes its place, so the
//     pool keeps its size.

// ErrNoTesseract says Tesseract or its language data is not installed.
var ErrNoTesseract = errors.New("viz: Tesseract with the requested language is not available (install tesseract-ocr-eng)")

// ErrClosed is returned by a Reader used after Close.
var ErrClosed = errors.New("viz: reader closed")

// errStuck says every engine the pool may replace is stuck in Tesseract.
var errStuck = errors.New("viz: Tesseract engines stuck; no engine left to read")

// maxPixels bounds an image handed to Tesseract (a 300-ppi passport page
// is about 1,500 x 1,050).
const maxPixels = 12 << 20

// Reading deadlines: a field's line takes Tesseract 10 to 50 ms, a page
// about a second, on one free core.
const (
	fieldReadLimit = 2 * time.Second
	pageReadLimit  = 10 * time.Second
)

// ocrEngine is what the pool needs of an engine (*tesseract.Engine; a
// test stands in one that hangs).
type ocrEngine interface {
	Read(ctx context.Context, im *image.Gray, opts tesseract.Options) ([]tesseract.Word, error)
	Close() error
}

type pool struct {
	lang   string
	prefix string
	slots  chan struct{}
	// newEngine starts an engine (tests replace it).
	newEngine func() (ocrEngine, error)
	// limit, when above 0, replaces the reading deadlines; grace, when
	// above 0, the time past it after which an engine is left as stuck
	// (tests).
	limit, grace time.Duration

	mu     sync.Mutex
	idle   []ocrEngine
	closed bool
	// stuck counts engines left running inside Tesseract past their
	// reading's hard limit; they are closed when they return.
	stuck int

	check   sync.Once
	checkOK error
}

func newPool(lang, prefix string, size int) *pool {
	p := &pool{lang: lang, prefix: prefix, slots: make(chan struct{}, size)}
	p.newEngine = func() (ocrEngine, error) {
		e, err := tesseract.New(tesseract.Config{Language: p.lang, Datapath: p.prefix})
		if err != nil {
			return nil, err
		}
		return e, nil
	}
	return p
}

// available checks, once, that an engine starts with the language; that
// first engine stays in the pool.
func (p *pool) available() error {
	p.check.Do(func() {
		if p.prefix != "" {
			langs, err := languagesIn(p.prefix)
			if err != nil {
				p.checkOK = fmt.Errorf("%w: %v", ErrNoTesseract, err)
				return
			}
			found := false
			for _, l := range langs {
				found = found || l == p.lang
			}
			if !found {
				p.checkOK = fmt.Errorf("%w (%q not among %v)", ErrNoTesseract, p.lang, langs)
				return
			}
		}
		e, err := p.newEngine()
		if err != nil {
			p.checkOK = fmt.Errorf("%w: %v", ErrNoTesseract, err)
			return
		}
		p.give(e)
	})
	return p.checkOK
}

// call is one Tesseract run's set-up.
type call struct {
	psm       tesseract.PageSegMode
	whitelist string
}

// run reads im with an engine set up for c and returns the words Tesseract
// found (with line numbers and confidences). It waits for an engine while
// ctx allows; the reading itself stops when ctx ends.
func (p *pool) run(ctx context.Context, c call, im image.Image) ([]tesseract.Word, error) {
	if err := p.available(); err != nil {
		return nil, err
	}
	b := im.Bounds()
	if b.Dx() < 8 || b.Dy() < 8 || b.Dx()*b.Dy() > maxPixels {
		return nil, fmt.Errorf("viz: image of %dx%d pixels is not for Tesseract", b.Dx(), b.Dy())
	}
	g, ok := im.(*image.Gray)
	if !ok {
		g = toGray(im)
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
	limit := fieldReadLimit
	if c.psm != tesseract.PSMSingleLine && c.psm != tesseract.PSMSingleWord && c.psm != tesseract.PSMRawLine {
		limit = pageReadLimit
	}
	if p.limit > 0 {
		limit = p.limit
	}
	type out struct {
		words []tesseract.Word
		err   error
	}
	done := make(chan out, 1)
	go func() {
		w, err := e.Read(ctx, g, tesseract.Options{PSM: c.psm, Whitelist: c.whitelist, Deadline: limit})
		done <- out{w, err}
	}()
	// Tesseract checks the deadline before each word; its layout analysis
	// and a line's recognition run unchecked, so it is given as long
	// again and a second more before the engine counts as stuck.
	grace := limit + time.Second
	if p.grace > 0 {
		grace = p.grace
	}
	hard := time.NewTimer(limit + grace)
	defer hard.Stop()
	select {
	case o := <-done:
		p.give(e)
		if o.err != nil {
			return nil, o.err
		}
		return o.words, nil
	case <-hard.C:
		p.abandon(e, func() { <-done })
		return nil, fmt.Errorf("%w: Tesseract did not stop at its deadline of %s; engine replaced", ErrTimeLimit, limit)
	}
}

func (p *pool) take() (ocrEngine, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if n := len(p.idle); n > 0 {
		e := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return e, nil
	}
	// Engines stuck in Tesseract each hold a thread (and maybe a core):
	// replace up to the pool's size of them, then stop reading.
	if p.stuck > cap(p.slots) {
		p.mu.Unlock()
		return nil, errStuck
	}
	p.mu.Unlock()
	return p.newEngine()
}

// abandon leaves e to finish its reading (wait returns then) and closes
// it; the pool makes a new engine in its place.
func (p *pool) abandon(e ocrEngine, wait func()) {
	p.mu.Lock()
	p.stuck++
	p.mu.Unlock()
	go func() {
		wait()
		e.Close()
		p.mu.Lock()
		p.stuck--
		p.mu.Unlock()
	}()
}

func (p *pool) give(e ocrEngine) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		e.Close()
		return
	}
	p.idle = append(p.idle, e)
}

// close closes the idle engines; engines in use are closed when given
// back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, e := range p.idle {
		e.Close()
	}
	p.idle = nil
}
