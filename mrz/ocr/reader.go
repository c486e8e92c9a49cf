package ocr

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"time"

	"checkpost/mrz"
	"checkpost/mrz/ocr/ocrb"

	"gocv.io/x/gocv"
)

// Options configure a Reader. The zero value is ready to use.
type Options struct {
	// CacheDir is where the trained classifier is kept ("" means
	// ocrb.DefaultCacheDir: $CHECKPOST_CACHE_DIR or ~/.cache/checkpost).
	CacheDir string
	// Train is the classifier's training config (zero means
	// ocrb.DefaultTrainConfig).
	Train ocrb.TrainConfig
	// Progress is told how training goes on the first start (nil: quiet).
	Progress ocrb.Progress
	// Model, when set, is used instead of loading or training one.
	Model *ocrb.Model
	// MaxPixels bounds an input image's width x height (0 means
	// devices.MaxPixels).
	MaxPixels int
	// PDFPPI is the resolution PDF pages are rendered at (0 means 300).
	PDFPPI float64
	// SecondOpinion asks Tesseract to read a zone the classifier found
	// hard (a cell below LowConfidence, or an invalid zone). It runs in
	// this process through cgo and costs a few hundred milliseconds.
	SecondOpinion bool
	// Parse configures the MRZ parse (reference date, expiry horizon).
	Parse []mrz.Option
}

// LowConfidence is the classifier probability below which a cell counts
// as hard to read (for SecondOpinion).
const LowConfidence = 0.6

// ErrLoading is returned by Ready while the classifier is being loaded
// or trained.
var ErrLoading = errors.New("ocr: OCR-B classifier still loading (training on the first start takes a few minutes)")

// Reader finds and reads machine readable zones. It is safe for
// concurrent use: the classifier is shared read-only and every reading
// works on its own buffers and OpenCV matrices, closed before it returns.
type Reader struct {
	opts    Options
	loaded  chan struct{}
	model   *ocrb.Model
	trained bool
	loadErr error
	tess    *tessPool
}

// New returns a Reader and starts loading its classifier in the
// background (from the cache, or by training it on the first start).
// Readings wait for it; Ready tells whether it is there.
func New(opts Options) *Reader {
	r := &Reader{opts: opts, loaded: make(chan struct{})}
	if r.opts.MaxPixels <= 0 {
		r.opts.MaxPixels = defaultMaxPixels
	}
	if r.opts.PDFPPI <= 0 {
		r.opts.PDFPPI = 300
	}
	r.tess = newTessPool()
	go r.load()
	return r
}

func (r *Reader) load() {
	defer close(r.loaded)
	if r.opts.Model != nil {
		r.model = r.opts.Model
		return
	}
	cfg := r.opts.Train
	if cfg == (ocrb.TrainConfig{}) {
		cfg = ocrb.DefaultTrainConfig
	}
	dir := r.opts.CacheDir
	if dir == "" {
		d, err := ocrb.DefaultCacheDir()
		if err != nil {
			r.loadErr = err
			return
		}
		dir = d
	}
	m, trained, err := ocrb.LoadOrTrain(context.Background(), dir, cfg, r.opts.Progress)
	if m == nil {
		r.loadErr = fmt.Errorf("ocr: OCR-B classifier: %w", err)
		return
	}
	// A cache that cannot be written costs a retraining next start, not
	// this one's readings.
	r.model, r.trained = m, trained
}

// Ready returns nil when the classifier is loaded, ErrLoading while it
// loads, or the error that stopped it loading. It never blocks: the
// server's /readyz calls it.
func (r *Reader) Ready(ctx context.Context) error {
	select {
	case <-r.loaded:
		return r.loadErr
	default:
		return ErrLoading
	}
}

// Wait blocks until the classifier is loaded (or ctx ends) and returns
// the load error, if any.
func (r *Reader) Wait(ctx context.Context) error {
	select {
	case <-r.loaded:
		return r.loadErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Model returns the loaded classifier (nil before Wait returns) and
// whether this process trained it (false: it came from the cache).
func (r *Reader) Model() (m *ocrb.Model, trained bool) {
	select {
	case <-r.loaded:
		return r.model, r.trained
	default:
		return nil, false
	}
}

// Close releases the Tesseract engines. Readings after Close still work
// (Tesseract ones open new engines).
func (r *Reader) Close() error {
	r.tess.close()
	return nil
}

// ReadOption changes one reading.
type ReadOption func(*readConfig)

type readConfig struct {
	evidence bool
}

// WithEvidence keeps the rectified zone and the cells in Result.Evidence.
func WithEvidence() ReadOption { return func(c *readConfig) { c.evidence = true } }

// bufPool holds the locators' buffers between readings.
var bufPool = sync.Pool{New: func() any { return new(locator) }}

// readGray is the pipeline on one grey image (ink dark): locate, rectify,
// read, repair.
func (r *Reader) readGray(ctx context.Context, g *image.Gray, rc readConfig) (*Result, error) {
	if err := r.Wait(ctx); err != nil {
		return nil, err
	}
	res := &Result{}
	t0 := time.Now()
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 16 || h < 16 {
		res.Reason = "no MRZ found: the image is too small to hold one"
		return res, nil
	}
	if g.Stride != w || g.Rect.Min != (image.Point{}) {
		c := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			copy(c.Pix[y*w:(y+1)*w], g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):])
		}
		g = c
	}
	src, err := gocv.NewMatFromBytes(h, w, gocv.MatTypeCV8U, g.Pix)
	if err != nil {
		return nil, fmt.Errorf("ocr: %w", err)
	}
	defer src.Close()
	scale := math.Min(1, workMaxSide/float64(max(w, h)))
	work := src
	if scale < 1 {
		work = gocv.NewMat()
		defer work.Close()
		gocv.Resize(src, &work, image.Pt(max(1, int(float64(w)*scale)), max(1, int(float64(h)*scale))), 0, 0, gocv.InterpolationArea)
		scale = float64(work.Cols()) / float64(w)
	}
	loc := bufPool.Get().(*locator)
	defer bufPool.Put(loc)
	var best *candidateReading
	located := false
	// A low offset keeps faint or blurred characters; when it also keeps
	// a guilloche that touches the characters (joining them into large
	// components), a high one drops the light lines and keeps the dark ink.
	// The high one is also tried when what the low one located reads
	// invalid: a stamp or hologram over one line can leave the low one
	// with a part of the zone.
	for _, th := range []struct {
		block int
		c     float32
	}{{31, 10}, {31, 35}} {
		tl := time.Now()
		bin := binarise(work, th.block, th.c)
		err := loc.components(bin)
		bin.Close()
		if err != nil {
			return nil, fmt.Errorf("ocr: %w", err)
		}
		loc.buildGrid()
		cands := zones(loc.rows())
		res.Timings.Locate += time.Since(tl)
		if len(cands) == 0 {
			continue
		}
		located = true
		for i := range cands {
			if i == 3 || ctx.Err() != nil {
				break
			}
			cr, err := r.readZone(src, &cands[i], loc.blobs, scale, &res.Timings)
			if err != nil {
				continue
			}
			if best == nil || cr.better(best) {
				best = cr
			}
			if best.valid {
				break
			}
		}
		if best != nil && best.valid {
			break
		}
	}
	if !located {
		res.Reason = "no MRZ found: no two parallel lines of evenly spaced characters"
		res.Timings.Total = time.Since(t0)
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if best == nil || !best.plausible() {
		res.Reason = "no MRZ found: the lines located do not read as MRZ characters"
		res.Timings.Total = time.Since(t0)
		return res, nil
	}
	best.fill(res, rc)
	t := time.Now()
	r.repairInto(res, best)
	res.Timings.Repair = time.Since(t)
	res.Timings.Total = time.Since(t0)
	return res, nil
}
