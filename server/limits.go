package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for DecodeConfig
	_ "image/png"  // registers PNG for DecodeConfig
	"net/http"
	"time"

	_ "golang.org/x/image/bmp"  // document readers write BMP
	_ "golang.org/x/image/tiff" // and some write TIFF
)

// Limits bound what one request may cost. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// MaxUpload bounds the body of a verification request: three 300-ppi
	// page images as PNG are 10-25 MB together, finger images far less.
	MaxUpload int64
	// MaxFiles bounds the file parts (images, PDF, fingers) of one request.
	MaxFiles int
	// MaxImagePixels bounds each image's width x height, read from its
	// header before anything is decoded (a 20 kB PNG can claim 100k x 100k).
	MaxImagePixels int64
	// VerifyTimeout bounds a verification request from its first byte to
	// its answer, upload and pipeline included.
	VerifyTimeout time.Duration
}

// DefaultLimits are the limits of a server that does not set its own.
var DefaultLimits = Limits{
	MaxUpload:      64 << 20,
	MaxFiles:       16,
	MaxImagePixels: 50_000_000, // a TD3 page at 1200 ppi is ~30 MP
	VerifyTimeout:  60 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxUpload > 0 {
		d.MaxUpload = l.MaxUpload
	}
	if l.MaxFiles > 0 {
		d.MaxFiles = l.MaxFiles
	}
	if l.MaxImagePixels > 0 {
		d.MaxImagePixels = l.MaxImagePixels
	}
	if l.VerifyTimeout > 0 {
		d.VerifyTimeout = l.VerifyTimeout
	}
	return d
}

// limitRequest bounds the body to maxBody bytes and the request to timeout:
// the context ends then, and reading the body fails once the deadline has
// passed (so a client trickling its upload cannot hold a handler).
func limitRequest(maxBody int64, timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBody {
				writeProblem(w, r, http.StatusRequestEntityTooLarge, "request too large",
					fmt.Sprintf("the body has %d bytes; this endpoint takes at most %d", r.ContentLength, maxBody))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			// Not every ResponseWriter supports deadlines (test recorders
			// do not); the context still bounds the handler's work.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// bodyError answers for an error met while reading a request body: too
// large (413), too slow (408), or malformed (400).
func bodyError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, "request too large",
			fmt.Sprintf("the body is larger than %d bytes", tooBig.Limit))
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		writeProblem(w, r, http.StatusRequestTimeout, "request timeout", "the request body did not arrive in time")
	default:
		writeProblem(w, r, http.StatusBadRequest, "malformed request", err.Error())
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// errTooManyPixels is returned by checkImage for an image past the limit.
var errTooManyPixels = errors.New("image has too many pixels")

// checkImage reads an image's header only (format and size) and checks its
// pixel count against the limit, before anyone decodes it.
func checkImage(data []byte, maxPixels int64) (format string, w, h int, err error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", 0, 0, fmt.Errorf("not a PNG, JPEG, BMP or TIFF image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return format, 0, 0, fmt.Errorf("%s image of %dx%d pixels", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return format, cfg.Width, cfg.Height, fmt.Errorf("%w: %dx%d is more than %d", errTooManyPixels, cfg.Width, cfg.Height, maxPixels)
	}
	return format, cfg.Width, cfg.Height, nil
}
