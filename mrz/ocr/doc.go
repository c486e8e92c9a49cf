// Package ocr finds and reads the machine readable zone (and the printed
// fields) in scanner images, phone photos and PDF pages.
package ocr
