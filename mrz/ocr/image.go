package ocr

import (
	"context"
	"image"
	"image/draw"
)

// ReadImage finds and reads the zone in img (a scan, a photo, a
// screenshot), whatever its rotation. A colour image is read through its
// brightest channel, in which the MRZ's black ink stays dark while
// coloured backgrounds, stamps and guilloches fade.
func (r *Reader) ReadImage(ctx context.Context, img image.Image, opts ...ReadOption) (*Result, error) {
	var rc readConfig
	for _, o := range opts {
		o(&rc)
	}
	if err := r.checkSize(img.Bounds()); err != nil {
		return nil, err
	}
	return r.readGray(ctx, valueGray(img), rc)
}

// valueGray returns the brightest channel of every pixel (the V of HSV),
// or img itself when it is grey.
func valueGray(img image.Image) *image.Gray {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.RGBA:
		return maxChannel(m.Pix, m.Stride, b)
	case *image.NRGBA:
		// Transparent pixels count as white paper.
		out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*b.Dx()]
			o := out.Pix[y*out.Stride:]
			for x := 0; x < b.Dx(); x++ {
				r, g, bb, a := row[4*x], row[4*x+1], row[4*x+2], uint32(row[4*x+3])
				v := uint32(max(r, g, bb))
				o[x] = uint8((v*a + 255*(255-a)) / 255)
			}
		}
		return out
	}
	rgba := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(rgba, rgba.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), img, b.Min, draw.Over)
	return maxChannel(rgba.Pix, rgba.Stride, rgba.Bounds())
}

func maxChannel(pix []uint8, stride int, b image.Rectangle) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		row := pix[y*stride : y*stride+4*b.Dx()]
		o := out.Pix[y*out.Stride : y*out.Stride+b.Dx()]
		for x := range o {
			o[x] = max(row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	return out
}
