#include "engine/model/LatentCodec.h"

#include <cstring>

namespace attnscope {

torch::Tensor pixelUnshuffle3d(const torch::Tensor& video, int64_t r) {
  const int64_t C = video.size(0), F = video.size(1), H = video.size(2), W = video.size(3);
  return video.view({C, F, H / r, r, W / r, r})
      .permute({0, 3, 5, 1, 2, 4})  // [C, r, r, F, H/r, W/r]
      .reshape({C * r * r, F, H / r, W / r});
}

torch::Tensor pixelShuffle3d(const torch::Tensor& latent, int64_t r, int64_t imageChannels) {
  const int64_t F = latent.size(1), h = latent.size(2), w = latent.size(3);
  return latent.view({imageChannels, r, r, F, h, w})
      .permute({0, 3, 4, 1, 5, 2})  // [C, F, h, r, w, r]
      .reshape({imageChannels, F, h * r, w * r});
}

VideoFrames decodeLatent(const torch::Tensor& latent, const LatentConfig& config, double fps) {
  return framesFromPixels(pixelShuffle3d(latent.to(torch::kFloat32), config.factor, config.imageChannels), fps);
}

VideoFrames framesFromPixels(const torch::Tensor& video, double fps) {
  auto bytes = ((video.clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8).permute({1, 2, 3, 0}).contiguous();
  VideoFrames out;
  out.frames = bytes.size(0);
  out.height = bytes.size(1);
  out.width = bytes.size(2);
  out.fps = fps;
  out.rgb.resize(bytes.numel());
  std::memcpy(out.rgb.data(), bytes.data_ptr<uint8_t>(), out.rgb.size());
  return out;
}

torch::Tensor encodeFrames(const VideoFrames& video, const LatentConfig& config) {
  auto bytes = torch::from_blob(const_cast<uint8_t*>(video.rgb.data()), {video.frames, video.height, video.width, 3},
                                torch::kUInt8);
  auto pixels = bytes.permute({3, 0, 1, 2}).to(torch::kFloat32) / 127.5 - 1.0;
  return pixelUnshuffle3d(pixels.contiguous(), config.factor);
}

torch::Tensor encodeFrameBatch(const torch::Tensor& bytes, const LatentConfig& config) {
  const int64_t B = bytes.size(0), F = bytes.size(1), H = bytes.size(2), W = bytes.size(3);
  auto pixels = bytes.permute({4, 0, 1, 2, 3}).to(torch::kFloat32) / 127.5 - 1.0;  // [3, B, F, H, W]
  // Clips side by side along the frame axis: the codec works frame by frame.
  auto latent = pixelUnshuffle3d(pixels.reshape({3, B * F, H, W}), config.factor);  // [C, B*F, h, w]
  return latent.view({latent.size(0), B, F, latent.size(2), latent.size(3)}).permute({1, 0, 2, 3, 4}).contiguous();
}

}  // namespace attnscope
