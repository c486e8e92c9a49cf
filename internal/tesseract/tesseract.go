// Package tesseract is checkpost's binding of Tesseract's C API (capi.h,
// Debian's libtesseract-dev): an Engine reads a grey image and returns its
// words with their boxes and confidences.
//
// It replaces gosseract v2.4.1, which leaks on every reading (its C++
// bridge never deletes the ResultIterator it walks, nor the word strings
// and page text Tesseract allocates for it) and has no way to bound a
// reading in time. Here every string Tesseract returns is freed with
// TessDeleteText, every iterator with TessResultIteratorDelete, the page's
// results are cleared after each reading, and each reading runs under a
// monitor (ETEXT_DESC) with a deadline and a cancel flag that a context
// raises.
//
// Tesseract runs in this process: a crash there kills it. So an Engine
// always sets its language (Init fails cleanly on a missing model rather
// than guessing one), checks every image's geometry before C reads it,
// and hands Tesseract no bytes from outside: only the pixels of an
// image.Gray whose size and stride were checked.
package tesseract

/*
#cgo pkg-config: tesseract lept
#cgo LDFLAGS: -ldl -lpthread
#include <stdlib.h>
#include <stdbool.h>
#include <dlfcn.h>
#include <pthread.h>
#include <tesseract/capi.h>

// cp_recognize runs Tesseract with OpenMP kept to the calling thread:
// max-active-levels 0 makes every parallel region of this thread's
// reading run on it alone. The setting is per thread (OpenMP 5), so it is
// made here, on the thread that recognises. libgomp is looked up, not
// linked: a Tesseract built without OpenMP has none.
typedef void (*cp_set_levels_fn)(int);
static cp_set_levels_fn cp_set_levels;
static pthread_once_t cp_set_levels_once = PTHREAD_ONCE_INIT;

static void cp_find_set_levels(void) {
	cp_set_levels = (cp_set_levels_fn)dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
}

static int cp_recognize(TessBaseAPI *api, ETEXT_DESC *monitor) {
	pthread_once(&cp_set_levels_once, cp_find_set_levels);
	if (cp_set_levels) {
		cp_set_levels(0);
	}
	return TessBaseAPIRecognize(api, monitor);
}

// cp_cancel is the flag a Go context raises to stop a reading; Tesseract
// polls it (through cp_cancel_func) before each word it recognises.
typedef struct { int stop; } cp_cancel;

static bool cp_cancel_func(void *p, int words) {
	(void)words;
	return __atomic_load_n(&((cp_cancel *)p)->stop, __ATOMIC_RELAXED) != 0;
}

static void cp_cancel_set(cp_cancel *c, int v) {
	__atomic_store_n(&c->stop, v, __ATOMIC_RELAXED);
}

static void cp_monitor_arm(ETEXT_DESC *m, cp_cancel *c, int msecs) {
	TessMonitorSetCancelFunc(m, cp_cancel_func);
	TessMonitorSetCancelThis(m, c);
	TessMonitorSetDeadlineMSecs(m, msecs);
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// PageSegMode is Tesseract's page segmentation mode (the values of its
// TessPageSegMode).
type PageSegMode int

// The page segmentation modes checkpost uses.
const (
	PSMAuto        PageSegMode = 3  // automatic page segmentation, no orientation detection
	PSMSingleBlock PageSegMode = 6  // one uniform block of text
	PSMSingleLine  PageSegMode = 7  // one line of text
	PSMSingleWord  PageSegMode = 8  // one word
	PSMSingleChar  PageSegMode = 10 // one character
	PSMSparseText  PageSegMode = 11 // as much text as possible, in no order
	PSMRawLine     PageSegMode = 13 // one line, bypassing Tesseract's own line finding
)

// Errors an Engine returns; callers branch on them with errors.Is.
var (
	// ErrInit says Tesseract could not start with the language (the model
	// is missing or unreadable).
	ErrInit = errors.New("tesseract: cannot start")
	// ErrDeadline says a reading ran past its deadline; the engine
	// stopped it and is usable again.
	ErrDeadline = errors.New("tesseract: reading deadline passed")
	// ErrClosed says the engine was closed.
	ErrClosed = errors.New("tesseract: engine closed")
	// ErrImage says the image cannot be handed to Tesseract.
	ErrImage = errors.New("tesseract: bad image")
)

// MaxPixels bounds the images an Engine reads (a 600-ppi passport page is
// about 3,000 x 2,100).
const MaxPixels = 32 << 20

// Config says how to start an Engine.
type Config struct {
	// Language is the model ("eng", "eng+deu"); required: Tesseract is
	// never left to pick one.
	Language string
	// Datapath is the folder holding <Language>.traineddata ("":
	// $TESSDATA_PREFIX or Tesseract's built-in folder).
	Datapath string
	// Variables are set as the model loads (name -> value), so that those
	// read only then (load_system_dawg, ...) take effect too; an unknown
	// name is an error.
	Variables map[string]string
}

// Options are one reading's settings.
type Options struct {
	// PSM is the page segmentation mode (0 means PSMSingleLine).
	PSM PageSegMode
	// Whitelist is the characters Tesseract may answer ("" : any).
	Whitelist string
	// Deadline bounds the reading (0: 10 s). Tesseract checks it before
	// each word, so a reading stops within one word's time of it.
	Deadline time.Duration
	// PPI is the image's resolution (0: 70, what gosseract reported for
	// images without one; Tesseract's layout thresholds scale with it).
	PPI int
	// Choices asks for each character's alternatives (Symbol.Choices):
	// the LSTM then keeps the characters it weighed at each step of its
	// decoding (Tesseract's lstm_choice_mode 2), which costs a little
	// time.
	Choices bool
}

// Word is a word Tesseract read, in the image's coordinates.
type Word struct {
	Text string
	Box  image.Rectangle
	// Confidence is Tesseract's, 0..100: with the LSTM, about that of the
	// word's least sure character.
	Confidence float64
	// Block, Para, Line and Word number the word on the page, from 1.
	Block, Para, Line, Word int
	// Symbols are the word's characters, in reading order; their texts
	// make up Text. One unknown letter (a character the model lacks, a
	// blot) sinks a word's confidence while its other characters stay
	// sure: a caller can weigh each character.
	Symbols []Symbol
}

// Symbol is one character of a word as read.
type Symbol struct {
	// Text is the character (a grapheme: one or more runes).
	Text string
	Box  image.Rectangle
	// Confidence is Tesseract's, 0..100.
	Confidence float64
	// Choices, with Options.Choices, are the characters the classifier
	// weighed here, the most likely first (usually Text itself), at most
	// MaxChoices; nil otherwise.
	Choices []Choice
}

// Choice is one of a character's alternatives.
type Choice struct {
	Text string
	// Confidence is Tesseract's, 0..100.
	Confidence float64
}

// MaxChoices bounds the alternatives kept per character.
const MaxChoices = 4

// Engine is one Tesseract instance with its model loaded (about 15 MB for
// the fast English model). It reads one image at a time: not safe for
// concurrent use.
type Engine struct {
	api     *C.TessBaseAPI
	monitor *C.ETEXT_DESC
	cancel  *C.cp_cancel
	lang    string

	psm       PageSegMode
	whitelist string
	choices   bool
}

// New starts an Engine with cfg's language.
func New(cfg Config) (*Engine, error) {
	if cfg.Language == "" {
		return nil, fmt.Errorf("%w: no language given", ErrInit)
	}
	if strings.ContainsAny(cfg.Language, "/\\\x00") || strings.Contains(cfg.Datapath, "\x00") {
		return nil, fmt.Errorf("%w: bad language %q or datapath %q", ErrInit, cfg.Language, cfg.Datapath)
	}
	if cfg.Datapath != "" {
		if _, err := os.Stat(filepath.Join(cfg.Datapath, firstLanguage(cfg.Language)+".traineddata")); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInit, err)
		}
	}
	api := C.TessBaseAPICreate()
	if api == nil {
		return nil, fmt.Errorf("%w: TessBaseAPICreate failed", ErrInit)
	}
	e := &Engine{api: api, lang: cfg.Language, psm: -1}
	lang := C.CString(cfg.Language)
	defer C.free(unsafe.Pointer(lang))
	var dp *C.char
	if cfg.Datapath != "" {
		dp = C.CString(cfg.Datapath)
		defer C.free(unsafe.Pointer(dp))
	}
	// Debug output to nowhere: Tesseract must not write on our stdout.
	vars := map[string]string{"debug_file": "/dev/null"}
	for k, v := range cfg.Variables {
		if strings.Contains(k, "\x00") || strings.Contains(v, "\x00") {
			C.TessBaseAPIDelete(api)
			return nil, fmt.Errorf("%w: variable %q: NUL byte", ErrInit, k)
		}
		vars[k] = v
	}
	names := sortedKeys(vars)
	cs := C.calloc(C.size_t(2*len(names)), C.size_t(unsafe.Sizeof((*C.char)(nil))))
	cv := unsafe.Slice((**C.char)(cs), 2*len(names))
	for i, k := range names {
		cv[i], cv[len(names)+i] = C.CString(k), C.CString(vars[k])
	}
	defer func() {
		for _, p := range cv {
			C.free(unsafe.Pointer(p))
		}
		C.free(cs)
	}()
	// OEM_LSTM_ONLY: the Debian models carry the LSTM; the legacy engine
	// is neither needed nor always in the model.
	rc := C.TessBaseAPIInit4(api, dp, lang, C.OEM_LSTM_ONLY, nil, 0, &cv[0], &cv[len(names)], C.size_t(len(names)), 0)
	if rc != 0 {
		C.TessBaseAPIDelete(api)
		return nil, fmt.Errorf("%w: language %q in %q (code %d)", ErrInit, cfg.Language, cfg.Datapath, int(rc))
	}
	for i, k := range names {
		if !e.known(cv[i]) {
			e.Close()
			return nil, fmt.Errorf("%w: unknown variable %q", ErrInit, k)
		}
	}
	e.monitor = C.TessMonitorCreate()
	e.cancel = (*C.cp_cancel)(C.calloc(1, C.size_t(unsafe.Sizeof(C.cp_cancel{}))))
	if e.monitor == nil || e.cancel == nil {
		e.Close()
		return nil, fmt.Errorf("%w: out of memory", ErrInit)
	}
	return e, nil
}

// known tells whether Tesseract has a variable of that name.
func (e *Engine) known(name *C.char) bool {
	var i C.int
	var b C.BOOL
	var d C.double
	return C.TessBaseAPIGetIntVariable(e.api, name, &i) != 0 || C.TessBaseAPIGetBoolVariable(e.api, name, &b) != 0 ||
		C.TessBaseAPIGetDoubleVariable(e.api, name, &d) != 0 || C.TessBaseAPIGetStringVariable(e.api, name) != nil
}

func firstLanguage(l string) string {
	if i := strings.IndexByte(l, '+'); i >= 0 {
		return l[:i]
	}
	return l
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Language is the model the engine was started with.
func (e *Engine) Language() string { return e.lang }

// SetVariable sets one of Tesseract's variables; an unknown name or a
// value Tesseract refuses is an error.
func (e *Engine) SetVariable(name, value string) error {
	if e.api == nil {
		return ErrClosed
	}
	if strings.Contains(name, "\x00") || strings.Contains(value, "\x00") {
		return fmt.Errorf("tesseract: variable %q: NUL byte", name)
	}
	n, v := C.CString(name), C.CString(value)
	defer C.free(unsafe.Pointer(n))
	defer C.free(unsafe.Pointer(v))
	if C.TessBaseAPISetVariable(e.api, n, v) == 0 {
		return fmt.Errorf("tesseract: variable %q = %q refused", name, value)
	}
	return nil
}

// Read reads im and returns its words, left to right within lines. The
// reading stops at opts.Deadline (ErrDeadline) or when ctx ends (its
// cause); the engine is usable again in both cases.
func (e *Engine) Read(ctx context.Context, im *image.Gray, opts Options) ([]Word, error) {
	var words []Word
	err := e.recognize(ctx, im, opts, func(it *C.TessResultIterator) {
		words = collectWords(it, opts.Choices)
	})
	if err != nil {
		return nil, err
	}
	return sanitize(words, im.Rect), nil
}

// Text reads im and returns Tesseract's text, lines ended by "\n".
func (e *Engine) Text(ctx context.Context, im *image.Gray, opts Options) (string, error) {
	var text string
	err := e.recognize(ctx, im, opts, func(*C.TessResultIterator) {
		p := C.TessBaseAPIGetUTF8Text(e.api)
		if p != nil {
			text = C.GoString(p)
			C.TessDeleteText(p)
		}
	})
	return strings.ToValidUTF8(text, "\uFFFD"), err
}

func (e *Engine) recognize(ctx context.Context, im *image.Gray, opts Options, results func(*C.TessResultIterator)) error {
	if e.api == nil {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	off, err := checkGray(im)
	if err != nil {
		return err
	}
	psm := opts.PSM
	if psm == 0 {
		psm = PSMSingleLine
	}
	if psm < 0 || psm > PSMRawLine {
		return fmt.Errorf("tesseract: page segmentation mode %d", psm)
	}
	if psm != e.psm {
		C.TessBaseAPISetPageSegMode(e.api, C.TessPageSegMode(psm))
		e.psm = psm
	}
	if opts.Whitelist != e.whitelist {
		if err := e.SetVariable("tessedit_char_whitelist", opts.Whitelist); err != nil {
			return err
		}
		e.whitelist = opts.Whitelist
	}
	if opts.Choices != e.choices {
		mode := "0"
		if opts.Choices {
			mode = "2"
		}
		if err := e.SetVariable("lstm_choice_mode", mode); err != nil {
			return err
		}
		e.choices = opts.Choices
	}
	deadline := opts.Deadline
	if deadline <= 0 {
		deadline = 10 * time.Second
	}
	ppi := opts.PPI
	if ppi <= 0 {
		ppi = 70
	}
	w, h := im.Rect.Dx(), im.Rect.Dy()
	// Tesseract copies the pixels into its own image during the call.
	C.TessBaseAPISetImage(e.api, (*C.uchar)(unsafe.Pointer(&im.Pix[off])), C.int(w), C.int(h), 1, C.int(im.Stride))
	runtime.KeepAlive(im)
	C.TessBaseAPISetSourceResolution(e.api, C.int(min(ppi, 2400)))
	defer C.TessBaseAPIClear(e.api) // the page's results, not the model

	C.cp_cancel_set(e.cancel, 0)
	// start is taken before the monitor's clock starts: a reading that
	// Tesseract stopped at its deadline always took longer than it here.
	start := time.Now()
	ms := max(1, min(deadline.Milliseconds(), math.MaxInt32))
	C.cp_monitor_arm(e.monitor, e.cancel, C.int(ms))
	fired := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		C.cp_cancel_set(e.cancel, 1)
		close(fired)
	})
	rc := C.cp_recognize(e.api, e.monitor)
	took := time.Since(start)
	if !stopWatch() {
		// The context ended: wait until its flag is up, so that it
		// cannot fall on the engine's next reading.
		<-fired
		return context.Cause(ctx)
	}
	if took > deadline {
		return fmt.Errorf("%w (%s, stopped after %s)", ErrDeadline, deadline, took.Round(time.Millisecond))
	}
	if rc != 0 {
		return fmt.Errorf("tesseract: recognition failed (code %d)", int(rc))
	}
	it := C.TessBaseAPIGetIterator(e.api)
	if it != nil {
		defer C.TessResultIteratorDelete(it)
	}
	results(it)
	return nil
}

// collectWords walks the result iterator character by character,
// starting a word at each word's first character, and frees each string
// Tesseract allocates (the choice iterator's texts are its own).
func collectWords(it *C.TessResultIterator, choices bool) []Word {
	if it == nil {
		return nil
	}
	pit := C.TessResultIteratorGetPageIteratorConst(it)
	var out []Word
	block, para, line, word := 0, 0, 0, 0
	inWord := false // the current word was kept: its characters go to it
	for {
		if C.TessPageIteratorIsAtBeginningOf(pit, C.RIL_BLOCK) != 0 {
			block, para, line, word = block+1, 0, 0, 0
		}
		if C.TessPageIteratorIsAtBeginningOf(pit, C.RIL_PARA) != 0 {
			para, line, word = para+1, 0, 0
		}
		if C.TessPageIteratorIsAtBeginningOf(pit, C.RIL_TEXTLINE) != 0 {
			line, word = line+1, 0
		}
		if C.TessPageIteratorIsAtBeginningOf(pit, C.RIL_WORD) != 0 {
			inWord = false
			if text, box, ok := iterText(it, pit, C.RIL_WORD); ok {
				word++
				inWord = true
				out = append(out, Word{
					Text:       text,
					Box:        box,
					Confidence: float64(C.TessResultIteratorConfidence(it, C.RIL_WORD)),
					Block:      block, Para: para, Line: line, Word: word,
				})
			}
		}
		if inWord {
			if text, box, ok := iterText(it, pit, C.RIL_SYMBOL); ok {
				sym := Symbol{Text: text, Box: box, Confidence: float64(C.TessResultIteratorConfidence(it, C.RIL_SYMBOL))}
				if choices {
					sym.Choices = symbolChoices(it)
				}
				w := &out[len(out)-1]
				w.Symbols = append(w.Symbols, sym)
			}
		}
		if C.TessResultIteratorNext(it, C.RIL_SYMBOL) == 0 {
			return out
		}
	}
}

// iterText returns the text and box of the iterator's element at level,
// freeing Tesseract's string.
func iterText(it *C.TessResultIterator, pit *C.TessPageIterator, level C.TessPageIteratorLevel) (string, image.Rectangle, bool) {
	p := C.TessResultIteratorGetUTF8Text(it, level)
	if p == nil {
		return "", image.Rectangle{}, false
	}
	text := C.GoString(p)
	C.TessDeleteText(p)
	var l, t, r, b C.int
	if C.TessPageIteratorBoundingBox(pit, level, &l, &t, &r, &b) == 0 {
		return "", image.Rectangle{}, false
	}
	return text, image.Rect(int(l), int(t), int(r), int(b)), true
}

// symbolChoices lists the alternatives of the iterator's character, the
// most likely first.
func symbolChoices(it *C.TessResultIterator) []Choice {
	ci := C.TessResultIteratorGetChoiceIterator(it)
	if ci == nil {
		return nil
	}
	defer C.TessChoiceIteratorDelete(ci)
	var out []Choice
	for len(out) < MaxChoices {
		if p := C.TessChoiceIteratorGetUTF8Text(ci); p != nil {
			out = append(out, Choice{Text: C.GoString(p), Confidence: float64(C.TessChoiceIteratorConfidence(ci))})
		}
		if C.TessChoiceIteratorNext(ci) == 0 {
			break
		}
	}
	return out
}

// checkGray returns the offset of im's first pixel in im.Pix, or an error
// when C could read outside im.Pix or the image is too small or large.
func checkGray(im *image.Gray) (int, error) {
	if im == nil {
		return 0, fmt.Errorf("%w: nil", ErrImage)
	}
	r := im.Rect
	w, h := r.Dx(), r.Dy()
	if w < 3 || h < 3 || w > 1<<15 || h > 1<<15 || w*h > MaxPixels {
		return 0, fmt.Errorf("%w: %dx%d pixels", ErrImage, w, h)
	}
	if im.Stride < w || im.Stride > 1<<20 {
		return 0, fmt.Errorf("%w: stride %d for width %d", ErrImage, im.Stride, w)
	}
	// The pixels sit at im.Pix[(y-Rect.Min.Y)*Stride + (x-Rect.Min.X)].
	last := (h-1)*im.Stride + w
	if last > len(im.Pix) {
		return 0, fmt.Errorf("%w: %d bytes of pixels for %dx%d at stride %d", ErrImage, len(im.Pix), w, h, im.Stride)
	}
	return 0, nil
}

// sanitize makes Tesseract's words safe to use: valid UTF-8, boxes inside
// the image (shifted to its coordinates), confidences in 0..100.
func sanitize(words []Word, r image.Rectangle) []Word {
	out := words[:0]
	for _, w := range words {
		if !utf8.ValidString(w.Text) {
			w.Text = strings.ToValidUTF8(w.Text, "\uFFFD")
		}
		if strings.TrimSpace(w.Text) == "" {
			continue
		}
		w.Box = w.Box.Canon().Add(r.Min).Intersect(r)
		if w.Box.Empty() {
			continue
		}
		w.Confidence = clampConf(w.Confidence)
		syms := w.Symbols[:0]
		for _, sy := range w.Symbols {
			sy.Text = strings.ToValidUTF8(sy.Text, "\uFFFD")
			if strings.TrimSpace(sy.Text) == "" {
				continue
			}
			sy.Box = sy.Box.Canon().Add(r.Min).Intersect(r)
			sy.Confidence = clampConf(sy.Confidence)
			chs := sy.Choices[:0]
			for _, c := range sy.Choices {
				c.Text = strings.ToValidUTF8(c.Text, "\uFFFD")
				if strings.TrimSpace(c.Text) == "" {
					continue
				}
				c.Confidence = clampConf(c.Confidence)
				chs = append(chs, c)
			}
			if len(chs) == 0 {
				chs = nil
			}
			sy.Choices = chs
			syms = append(syms, sy)
		}
		if len(syms) == 0 {
			syms = nil
		}
		w.Symbols = syms
		out = append(out, w)
	}
	return out
}

// clampConf brings a confidence into 0..100 (NaN: 0).
func clampConf(c float64) float64 {
	if math.IsNaN(c) {
		return 0
	}
	return max(0, min(100, c))
}

// Close frees the engine (its model and buffers). Closing twice is fine.
func (e *Engine) Close() error {
	if e.api != nil {
		C.TessBaseAPIEnd(e.api)
		C.TessBaseAPIDelete(e.api)
		e.api = nil
	}
	if e.monitor != nil {
		C.TessMonitorDelete(e.monitor)
		e.monitor = nil
	}
	if e.cancel != nil {
		C.free(unsafe.Pointer(e.cancel))
		e.cancel = nil
	}
	return nil
}

var version = sync.OnceValue(func() string { return C.GoString(C.TessVersion()) })

// Version is the Tesseract library's version ("5.3.0").
func Version() string { return version() }

// boolVariable returns one of Tesseract's boolean variables.
func (e *Engine) boolVariable(name string) (v, ok bool) {
	if e.api == nil {
		return false, false
	}
	n := C.CString(name)
	defer C.free(unsafe.Pointer(n))
	var b C.BOOL
	if C.TessBaseAPIGetBoolVariable(e.api, n, &b) == 0 {
		return false, false
	}
	return b != 0, true
}
