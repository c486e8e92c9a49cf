// Package devices holds captures from document and fingerprint scanners:
// image sets per light source, finger images, the adapters that receive
// them, and the scanner simulator.
package devices
