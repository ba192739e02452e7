#pragma once
// Quality metrics between two videos of the same size: PSNR over RGB
// (capped at 100 dB for identical frames) and SSIM on luma (BT.601) with an
// 11-tap Gaussian window, sigma 1.5, as in Wang et al. 2004.
#include <cstdint>
#include <vector>

#include "engine/io/Video.h"

namespace attnscope {

constexpr double kPsnrCap = 100.0;

struct FrameQuality {
  double psnr = 0;
  double ssim = 0;
};

struct VideoQuality {
  std::vector<FrameQuality> frames;
  double meanPsnr = 0;
  double meanSsim = 0;
};

double psnr(const uint8_t* a, const uint8_t* b, size_t count);
double ssimRgb(const uint8_t* a, const uint8_t* b, int64_t height, int64_t width);
// Throws Error when frame counts or sizes differ.
VideoQuality compareVideos(const VideoFrames& a, const VideoFrames& b);

}  // namespace attnscope
