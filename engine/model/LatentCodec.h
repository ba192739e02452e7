#pragma once
// The default model's latent codec: each frame's pixels (in [-1, 1]) are
// folded into channels by a factor x factor pixel-unshuffle. Lossless and
// exact, so quality comparisons measure attention, not a decoder.
#include <torch/torch.h>

#include "engine/io/Video.h"
#include "engine/model/ModelConfig.h"

namespace attnscope {

// [3, F, H, W] in [-1, 1] <-> [3*r*r, F, H/r, W/r]
torch::Tensor pixelUnshuffle3d(const torch::Tensor& video, int64_t factor);
torch::Tensor pixelShuffle3d(const torch::Tensor& latent, int64_t factor, int64_t imageChannels);

// Latent [C, F, h, w] -> RGB frames (clamped to [-1, 1], rounded to bytes).
VideoFrames decodeLatent(const torch::Tensor& latent, const LatentConfig& config, double fps);
// Pixels [3, F, H, W] in [-1, 1] (clamped) -> RGB frames rounded to bytes;
// what every decoder (this codec, real models' VAEs) ends with.
VideoFrames framesFromPixels(const torch::Tensor& video, double fps);
// RGB frames -> latent [C, F, h, w].
torch::Tensor encodeFrames(const VideoFrames& video, const LatentConfig& config);
// A batch of clips as bytes [B, F, H, W, 3] (RGB, any device) -> latents
// [B, C, F, h, w] float32: per clip the same values as encodeFrames.
torch::Tensor encodeFrameBatch(const torch::Tensor& bytes, const LatentConfig& config);

}  // namespace attnscope
