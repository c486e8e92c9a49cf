// Package watchlist holds the lists a traveller is screened against at the
// counter, in memory, in the form the verification pipeline searches:
//
//   - the lost/stolen travel document list (DocumentIndex): an exact match on
//     the issuing state and the document number, with the number normalised
//     the way MRZ readers confuse characters (see NormalizeDocumentNumber);
//   - the person watchlist (PersonIndex): fuzzy, transliteration-aware
//     screening of the MRZ name against listed names and aliases, combined
//     with the birth date and nationality into one score with a reason in
//     words.
//
// The pipeline uses the lists through the DocumentList and PersonList
// interfaces; the server's store (server/store) loads them from SQLite and
// keeps them there. The CSV formats that feed both lists are parsed here
// (DocumentCSV, PersonCSV) so that the command line and the HTTP API accept
// the same files. The generator of the evaluation set lives in
// engine/watchlist/synth.
package watchlist
