// Package ocrb classifies the characters of a machine readable zone: the
// 37 characters of OCR-B that ICAO Doc 9303 allows (0-9, A-Z, <), one
// fixed-pitch cell at a time.
//
// The classifier is a small neural network (one hidden layer) trained on
// glyphs rendered from the OCR-B font itself (Debian fonts-ocr-b, drawn by
// devices/sim's CFF reader) with augmentation: sub-pixel shifts, scale and
// stroke weight, blur, noise, print defects, textured backgrounds and the
// neighbouring characters cut by the cell. Nothing is downloaded: the
// model is trained on first use, deterministically for one TrainConfig,
// and cached (LoadOrTrain).
//
// A cell is cut from a rectified line whose pitch is Pitch pixels
// (ExtractCell); the reader in mrz/ocr and the training share that code,
// so that the network sees at training what it sees when reading.
package ocrb
