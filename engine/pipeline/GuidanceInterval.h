#pragma once
// Classifier-free guidance limited to an interval of noise levels
// (Kynkäänniemi et al. 2024, "Applying guidance in a limited interval").
// At the first, purest-noise steps the guided velocity of a flow model
// mostly scales the caption's global brightness ("dark" / "light"): with the
// default model, guidance 4 at sigma = 1 puts the x0 estimate at a mean of
// -2 for a dark caption (data: -0.7), the next steps read the brightness
// back from the latent's mean and keep it, and the video ends clipped to
// black. Above `maxSigma` the conditional velocity alone is used.

namespace attnscope {

// The guidance scale of a step at noise level `sigma` (in [0, 1]).
inline double guidanceAt(double guidance, double maxSigma, double sigma) {
  return sigma > maxSigma ? 1.0 : guidance;
}

}  // namespace attnscope
