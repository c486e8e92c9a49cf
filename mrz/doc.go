// Package mrz parses, validates, repairs and generates ICAO Doc 9303 machine
// readable zones (passports, ID cards, visas). It is pure Go without cgo, so
// that it builds and fuzzes anywhere.
package mrz
