#pragma once
// Video frames in memory and their MP4 encoding through FFmpeg's libraries
// (libavformat/libavcodec/libswscale; never a shelled-out ffmpeg).
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

// RGB24 frames, row-major: rgb[((f*height + y)*width + x)*3 + c].
struct VideoFrames {
  int64_t frames = 0;
  int64_t height = 0;
  int64_t width = 0;
  double fps = 8.0;
  std::vector<uint8_t> rgb;

  const uint8_t* frame(int64_t f) const { return rgb.data() + f * height * width * 3; }
  uint8_t* frame(int64_t f) { return rgb.data() + f * height * width * 3; }
};

// H.264 (libx264), yuv420p, near-lossless by default (crf 12) so that
// comparisons measure the model, not the codec. Width and height must be even.
void writeMp4(const std::string& path, const VideoFrames& video, int crf = 12);

// Decodes every frame of the first video stream to RGB24. Throws Error naming
// the file when it is missing, unreadable or holds no video.
VideoFrames readVideo(const std::string& path);

}  // namespace attnscope

namespace attnscope {

// FFmpeg logs to stderr process-wide; front ends call this once to keep only
// errors (libx264's statistics are noise to a user).
void quietVideoLibraryLogs();

}  // namespace attnscope
