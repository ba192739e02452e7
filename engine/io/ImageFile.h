#pragma once
// Still pictures (PNG) through FFmpeg's libavcodec PNG encoder: contact
// sheets of generated videos for reports and the README.
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

// RGB24, row-major: rgb[(y*width + x)*3 + c].
struct RgbImage {
  int64_t width = 0, height = 0;
  std::vector<uint8_t> rgb;
};

// Writes `image` as an 8-bit RGB PNG; the file appears only once complete.
// Throws Error naming the path on an empty or inconsistent image or a write
// failure.
void writePng(const std::string& path, const RgbImage& image);

}  // namespace attnscope
