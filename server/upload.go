package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"checkpost/biometric"
	"checkpost/biometric/native"
	_ "checkpost/biometric/pnm" // finger scanners write PGM
	_ "checkpost/biometric/wsq" // and WSQ; both register with image
)

// Submission is one verification request as the counter sent it, checked
// against the limits but not yet interpreted.
type Submission struct {
	Counter   string
	Direction string // "entry" or "exit"
	Route     string // route or flight, may be empty
	// Images of the document page, by light ("white", "ir", "uv").
	Images []SubmittedImage
	// PDF is a document reader's PDF export, when sent instead of images.
	PDF     []byte
	Fingers []SubmittedFinger
}

// SubmittedImage is one page image under one light.
type SubmittedImage struct {
	Light         string
	Format        string // png, jpeg, bmp, tiff, ...
	Width, Height int
	Data          []byte
}

// Finger data kinds.
const (
	FingerImage    = "image"    // PNG, BMP, PGM, WSQ, ...
	FingerTemplate = "template" // ISO/IEC 19794-2 or ANSI INCITS 378 ("FMR\0"), or checkpost's native format
)

// SubmittedFinger is one finger: an image or a minutiae template.
type SubmittedFinger struct {
	Position      biometric.Position
	Kind          string // FingerImage or FingerTemplate
	Format        string // image format, or "iso-ansi" / "native" for templates
	Width, Height int    // images only
	Data          []byte
}

// maxFieldBytes bounds a text field (counter, direction, route, finger
// position).
const maxFieldBytes = 256

// errSubmission is a problem with the request itself: its status and text
// go back to the client.
type errSubmission struct {
	status int
	title  string
	detail string
}

func (e *errSubmission) Error() string { return e.detail }

func badSubmission(format string, args ...any) error {
	return &errSubmission{http.StatusBadRequest, "invalid submission", fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) error {
	return &errSubmission{http.StatusRequestEntityTooLarge, "submission too large", fmt.Sprintf(format, args...)}
}

// readSubmission parses a verification request: multipart/form-data with
// file parts white, ir, uv, pdf, finger (repeatable, paired in order with
// finger_position fields) and fields counter, direction, route; or JSON with
// the same names and the files in base64.
func readSubmission(r *http.Request, lim Limits) (*Submission, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, &errSubmission{http.StatusUnsupportedMediaType, "unsupported media type",
			"send multipart/form-data or application/json"}
	}
	var sub *Submission
	switch mt {
	case "multipart/form-data":
		sub, err = readMultipart(r, lim)
	case "application/json":
		sub, err = readJSONSubmission(r)
	default:
		return nil, &errSubmission{http.StatusUnsupportedMediaType, "unsupported media type",
			fmt.Sprintf("%s is not multipart/form-data or application/json", mt)}
	}
	if err != nil {
		return nil, err
	}
	return sub, sub.check(lim)
}

func readMultipart(r *http.Request, lim Limits) (*Submission, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badSubmission("multipart: %v", err)
	}
	sub := &Submission{}
	var positions []string
	var fingers [][]byte
	files := 0
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name := part.FormName()
		switch name {
		case "counter", "direction", "route", "finger_position":
			b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, err
			}
			if len(b) > maxFieldBytes {
				return nil, badSubmission("field %s is longer than %d bytes", name, maxFieldBytes)
			}
			v := strings.TrimSpace(string(b))
			if name == "finger_position" {
				positions = append(positions, v)
				continue
			}
			if seen[name] {
				return nil, badSubmission("field %s sent twice", name)
			}
			seen[name] = true
			switch name {
			case "counter":
				sub.Counter = v
			case "direction":
				sub.Direction = v
			case "route":
				sub.Route = v
			}
		case "white", "ir", "uv", "pdf", "finger":
			if files++; files > lim.MaxFiles {
				return nil, tooLarge("more than %d files in one request", lim.MaxFiles)
			}
			if name != "finger" && seen[name] {
				return nil, badSubmission("part %s sent twice", name)
			}
			seen[name] = true
			// The body as a whole is bounded by MaxBytesReader.
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, err
			}
			switch name {
			case "pdf":
				sub.PDF = b
			case "finger":
				fingers = append(fingers, b)
			default:
				sub.Images = append(sub.Images, SubmittedImage{Light: name, Data: b})
			}
		default:
			return nil, badSubmission("unknown part %q (want white, ir, uv, pdf, finger, finger_position, counter, direction, route)", name)
		}
		part.Close()
	}
	if len(positions) != len(fingers) {
		return nil, badSubmission("%d finger parts but %d finger_position fields: send one finger_position per finger, in the same order", len(fingers), len(positions))
	}
	for i, b := range fingers {
		p, err := biometric.ParsePosition(positions[i])
		if err != nil {
			return nil, badSubmission("finger %d: %v", i+1, err)
		}
		sub.Fingers = append(sub.Fingers, SubmittedFinger{Position: p, Data: b})
	}
	return sub, nil
}

// jsonSubmission is the JSON form of a submission; []byte fields are base64.
type jsonSubmission struct {
	Counter   string       `json:"counter"`
	Direction string       `json:"direction"`
	Route     string       `json:"route"`
	White     []byte       `json:"white"`
	IR        []byte       `json:"ir"`
	UV        []byte       `json:"uv"`
	PDF       []byte       `json:"pdf"`
	Fingers   []jsonFinger `json:"fingers"`
}

type jsonFinger struct {
	Position string `json:"finger_position"`
	Data     []byte `json:"data"`
}

func readJSONSubmission(r *http.Request) (*Submission, error) {
	var js jsonSubmission
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&js); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) || isTimeout(err) {
			return nil, err
		}
		return nil, badSubmission("JSON: %v", err)
	}
	if dec.More() {
		return nil, badSubmission("JSON: more than one value in the body")
	}
	for _, f := range []struct {
		name, v string
	}{{"counter", js.Counter}, {"direction", js.Direction}, {"route", js.Route}} {
		if len(f.v) > maxFieldBytes {
			return nil, badSubmission("field %s is longer than %d bytes", f.name, maxFieldBytes)
		}
	}
	sub := &Submission{Counter: strings.TrimSpace(js.Counter), Direction: strings.TrimSpace(js.Direction),
		Route: strings.TrimSpace(js.Route), PDF: js.PDF}
	for _, im := range []struct {
		light string
		data  []byte
	}{{"white", js.White}, {"ir", js.IR}, {"uv", js.UV}} {
		if len(im.data) > 0 {
			sub.Images = append(sub.Images, SubmittedImage{Light: im.light, Data: im.data})
		}
	}
	for i, f := range js.Fingers {
		p, err := biometric.ParsePosition(strings.TrimSpace(f.Position))
		if err != nil {
			return nil, badSubmission("fingers[%d]: %v", i, err)
		}
		sub.Fingers = append(sub.Fingers, SubmittedFinger{Position: p, Data: f.Data})
	}
	return sub, nil
}

// check validates the fields and every file against the limits: image
// headers are read (never the pixels) to refuse oversized images before
// any decoder allocates for them.
func (s *Submission) check(lim Limits) error {
	if s.Counter == "" {
		return badSubmission("field counter is required (the counter's id)")
	}
	if s.Direction != "entry" && s.Direction != "exit" {
		return badSubmission("field direction must be entry or exit, not %q", s.Direction)
	}
	files := len(s.Images) + len(s.Fingers)
	if len(s.PDF) > 0 {
		files++
	}
	if files == 0 {
		return badSubmission("nothing to verify: send page images (white, ir, uv), a pdf, or fingers")
	}
	if files > lim.MaxFiles {
		return tooLarge("%d files in one request; at most %d", files, lim.MaxFiles)
	}
	for i := range s.Images {
		im := &s.Images[i]
		if len(im.Data) == 0 {
			return badSubmission("image %s is empty", im.Light)
		}
		format, w, h, err := checkImage(im.Data, lim.MaxImagePixels)
		if errors.Is(err, errTooManyPixels) {
			return tooLarge("image %s: %v", im.Light, err)
		}
		if err != nil {
			return &errSubmission{http.StatusUnsupportedMediaType, "unsupported image", fmt.Sprintf("image %s: %v", im.Light, err)}
		}
		im.Format, im.Width, im.Height = format, w, h
	}
	if len(s.PDF) > 0 && !bytes.HasPrefix(s.PDF, []byte("%PDF-")) {
		return &errSubmission{http.StatusUnsupportedMediaType, "unsupported document", "part pdf does not start with %PDF-"}
	}
	for i := range s.Fingers {
		f := &s.Fingers[i]
		switch {
		case len(f.Data) == 0:
			return badSubmission("finger %d (%s) is empty", i+1, f.Position)
		case bytes.HasPrefix(f.Data, []byte("FMR\x00")):
			f.Kind, f.Format = FingerTemplate, "iso-ansi"
		case native.IsNative(f.Data):
			f.Kind, f.Format = FingerTemplate, "native"
		default:
			format, w, h, err := checkImage(f.Data, lim.MaxImagePixels)
			if errors.Is(err, errTooManyPixels) {
				return tooLarge("finger %d (%s): %v", i+1, f.Position, err)
			}
			if err != nil {
				return &errSubmission{http.StatusUnsupportedMediaType, "unsupported finger data",
					fmt.Sprintf("finger %d (%s): neither a template (ISO/IEC 19794-2, ANSI INCITS 378) nor an image (PNG, JPEG, BMP, TIFF, PGM, WSQ)", i+1, f.Position)}
			}
			f.Kind, f.Format, f.Width, f.Height = FingerImage, format, w, h
		}
	}
	return nil
}

// contentTypeOf names the MIME type of a submitted file's format.
func contentTypeOf(format string) string {
	switch format {
	case "png", "jpeg", "bmp", "tiff":
		return "image/" + format
	case "wsq":
		return "image/x-wsq"
	case "pgm", "pnm", "ppm", "pbm":
		return "image/x-portable-anymap"
	case "pdf":
		return "application/pdf"
	}
	return "application/octet-stream"
}
