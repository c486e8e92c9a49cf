// Package mrz parses, validates, repairs and generates ICAO Doc 9303
// machine readable zones (passports, identity cards, visas). It is pure Go
// without cgo and imports no other checkpost package, so that it builds
// and fuzzes anywhere.
//
// # Formats
//
// Format names the layouts: TD1 (3x30, identity cards), TD2 (2x36), TD3
// (2x44, passports), MRVA (2x44 visas), MRVB (2x36 visas) and FrenchID
// (the 2x36 French identity card issued until 2021). Parse recognises
// them from the line count and length and the document code.
//
// # Parsing and validation
//
// Parse (text) and ParseLines (lines) return a *Result: the Format,
// overall Valid, Warnings (expired, specimen, sex X, truncated name...)
// and every field in Result.Fields, indexed by FieldName (DocumentNumber,
// BirthDate, CompositeCheck, ...; FieldName.String gives the key
// "document_number"). Each Field has its readable Value, its Raw
// characters, its Span (line and columns), Valid, and when invalid an
// ErrorCode, a Message for a person and the ErrorSpan of the offending
// characters. Check digits are fields of their own, with the Expected
// digit. Every check digit is verified with the 7-3-1 weights; state codes
// against the table of ISO 3166-1 and Doc 9303 Part 3 codes (ValidCode);
// dates as calendar dates with the century inferred from a reference date
// (WithReferenceDate; birth dates in the past, expiry dates up to
// WithExpiryHorizon years ahead). A document number longer than nine
// characters continues in the optional data (TD1, TD2, visas); both the
// ICAO rule and the issuers' variant that counts the < are accepted and
// Result.LongNumber says which matched. A digit as the document code's
// second character (the US permanent resident card's C1) is accepted with
// WarnDigitInDocumentCode: Doc 9303 defines letters there, issuers print
// digits.
//
// A Parser holds a configuration; its ParseInto reuses a Result and
// allocates only the one string that holds readable names.
//
// # Repair
//
// Repair takes OCR lines and, optionally, the OCR engine's per-cell
// Alternatives (for each line and column, the top-k Candidate characters
// with scores). It fixes characters outside their field's class (O in a
// date, 0 in a name), a document code's first character the format does
// not allow, K among trailing fillers, invalid state codes and failing
// check digits by the substitution that validates, reports every
// Correction, and reports an Ambiguity instead of choosing when several
// substitutions validate. A digit in the document code's second position
// stays when the engine offered no letter for that cell (no check digit
// covers the code); plain text gets the letter look-alike.
//
// # Generation and transliteration
//
// Generate builds the lines of a Document (for tests, the simulator and
// documentation), transliterating and truncating names. Transliterate
// turns a name in Latin with diacritics, Cyrillic or Arabic into MRZ
// characters per Doc 9303 Part 3, so that names from other sources can be
// compared with the MRZ.
package mrz
