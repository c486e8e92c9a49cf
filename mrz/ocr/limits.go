package ocr

import "checkpost/devices"

// defaultMaxPixels bounds an input image (width x height) unless
// Options.MaxPixels says otherwise.
const defaultMaxPixels = devices.MaxPixels
