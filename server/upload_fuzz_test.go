package server

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// FuzzReadSubmission: any body, as multipart or JSON, gives a submission or
// an error, never a panic, and a submission that passes respects the limits.
func FuzzReadSubmission(f *testing.F) {
	body, ctype := validSubmission("UA1")
	f.Add(body, true)
	f.Add([]byte(`{"counter":"C1","direction":"entry","white":"iVBORw0KGgo="}`), false)
	f.Add(pngBomb(1<<20, 1<<20), true)
	_, bctype := multipartBody()
	lim := Limits{MaxFiles: 4, MaxImagePixels: 1 << 20}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte, multipart bool) {
		req := httptest.NewRequest("POST", "/api/v1/verifications", bytes.NewReader(data))
		if multipart {
			if bytes.Equal(data, body) {
				req.Header.Set("Content-Type", ctype)
			} else {
				req.Header.Set("Content-Type", bctype)
			}
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		sub, err := readSubmission(req, lim)
		if err != nil {
			return
		}
		if n := len(sub.Images) + len(sub.Fingers); n > lim.MaxFiles {
			t.Fatalf("%d files passed a limit of %d", n, lim.MaxFiles)
		}
		for _, im := range sub.Images {
			if int64(im.Width)*int64(im.Height) > lim.MaxImagePixels {
				t.Fatalf("image of %dx%d passed", im.Width, im.Height)
			}
		}
	})
}
