// Package extract finds the minutiae of a fingerprint image and scores the
// image's quality.
//
// The pipeline works on a 500 ppi grey image, in stages that each keep
// their product for inspection (see Extractor.Stages):
//
//  1. block field: per 8x8 block, grey mean and contrast, and gradient
//     moments (Sobel) of the image with its dark specks set to the local
//     mean;
//  2. segmentation: blocks with enough gradient energy and a coherent ridge
//     flow are foreground; the mask is cleaned (largest component, holes
//     filled, smoothed);
//  3. orientation field: doubled-angle gradient vectors averaged over 24x24
//     pixels, then smoothed by a Gaussian over the blocks, and a ridge period
//     per block from the grey profile across the ridges;
//  4. enhancement: an oriented, separable Gabor filter (a Gaussian along the
//     ridge, a cosine-modulated Gaussian across it, tuned to the local
//     period), applied to the locally normalised image;
//  5. binarisation (the sign of the filter response) and thinning to an
//     8-connected one-pixel skeleton;
//  6. minutiae: skeleton endings and junctions, traced along the skeleton
//     into a graph; the gaps of broken ridges (endings facing each other
//     along the flow) are drawn across and the graph built again; its
//     short edges reveal false minutiae (dots, spurs, bridges, lakes), plus
//     broken ridges left (endings facing each other), border and cluster
//     removal; direction from the orientation field with the sense from
//     the traced ridge;
//  7. quality: per minutia from the local flow coherence and contrast, per
//     image as described at Quality;
//  8. ridge map (biometric.RidgeMap): per 16x16 cell of the print, the
//     plane wave at the local ridge direction and period fitted to the
//     enhanced image, its normal and phase, so that a matcher can tell
//     whether two prints' ridges, not only their flows, lie on each
//     other;
//  9. singular points (biometric.SingularPoint): cores and deltas, by the
//     Poincaré index of the orientation field round rings of blocks in
//     the print (singular.go), with the direction a core's loop opens
//     on, so that a matcher can lay two small prints' cores together.
//
// Extraction is pure Go and allocates only on an Extractor's first use at a
// given image size.
package extract
