// Package biometric holds fingerprint types (templates, minutiae), their
// codecs, extraction from images, 1:1 matching and 1:N identification.
package biometric
