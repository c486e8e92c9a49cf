// Package docauth authenticates a travel document's optical security
// features against the reference profile ("signature") of its document
// model, the way a forgery-detection station does: the page is found in
// each capture and registered to the profile's page, then checks written
// as light + feature + property (ICAO Doc 9303 Part 2 Appendix C) compare
// what the scanner saw under white, infrared and ultraviolet light with
// what the profile expects:
//
//   - quality.image: resolution, focus, glare, the whole page in view
//     (UNDETERMINED with the reason, never a FAIL);
//   - uv.paper.dullness: the paper's UV response relative to its white
//     response (security paper has no optical brighteners);
//   - uv.features.presence and uv.fibres.presence: the fluorescent
//     overprint in place (normalised cross-correlation with the profile's
//     pattern) and the security fibres;
//   - ir.mrz.absorption, ir.fields.absorption and ir.dropout.vanishing:
//     B900-type inks stay dark under IR, the background art and labels
//     vanish;
//   - white.pattern.match: layout and background art after registration;
//   - portrait.substitution: the portrait zone's UV glow relative to the
//     paper, how its IR image follows its white image, and the straight
//     shadow or rim of a photo's cut edge along it;
//   - viz.mrz.consistency: the printed fields equal the MRZ (names through
//     transliteration, dates through the printed format, numbers exactly);
//   - mrz.plausibility: the MRZ's check digits, codes and dates.
//
// Without a profile that fits, the profile-free checks run (ir.mrz.absorption
// on the MRZ's standard position, uv.paper.dullness against a generic bound,
// mrz.plausibility) and every other check is reported NOT_PERFORMED with the
// reason.
//
// Profiles (package profile) are learned from genuine captures by Learn.
// A Checker holds a set of profiles and is safe for concurrent use.
package docauth
