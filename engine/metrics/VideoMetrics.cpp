#include "engine/metrics/VideoMetrics.h"

#include <algorithm>
#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

constexpr int kWindow = 11;       // Gaussian taps, Wang et al. 2004
constexpr double kSigma = 1.5;
constexpr double kC1 = (0.01 * 255) * (0.01 * 255);
constexpr double kC2 = (0.03 * 255) * (0.03 * 255);

std::vector<double> gaussianTaps() {
  std::vector<double> w(kWindow);
  double sum = 0;
  for (int i = 0; i < kWindow; ++i) {
    const double d = i - kWindow / 2;
    w[i] = std::exp(-d * d / (2 * kSigma * kSigma));
    sum += w[i];
  }
  for (double& v : w) v /= sum;
  return w;
}

// BT.601 luma, unrounded.
std::vector<double> luma(const uint8_t* rgb, int64_t pixels) {
  std::vector<double> y(pixels);
  for (int64_t i = 0; i < pixels; ++i)
    y[i] = 0.299 * rgb[3 * i] + 0.587 * rgb[3 * i + 1] + 0.114 * rgb[3 * i + 2];
  return y;
}

// 'Valid' separable filtering: out is (h-10) x (w-10).
std::vector<double> filterValid(const std::vector<double>& in, int64_t h, int64_t w,
                                const std::vector<double>& taps) {
  const int64_t ow = w - kWindow + 1, oh = h - kWindow + 1;
  std::vector<double> rows(h * ow);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      const double* p = &in[y * w + x];
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += taps[k] * p[k];
      rows[y * ow + x] = s;
    }
  std::vector<double> out(oh * ow);
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      double s = 0;
      for (int k = 0; k < kWindow; ++k) s += taps[k] * rows[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  return out;
}

std::string shapeOf(const VideoFrames& v) {
  return std::to_string(v.frames) + "x" + std::to_string(v.height) + "x" + std::to_string(v.width);
}

}  // namespace

double psnr(const uint8_t* a, const uint8_t* b, size_t count) {
  if (count == 0) throw Error("PSNR of an empty image is undefined");
  uint64_t sse = 0;
  for (size_t i = 0; i < count; ++i) {
    const int d = int(a[i]) - int(b[i]);
    sse += uint64_t(d * d);
  }
  if (sse == 0) return kPsnrCap;
  const double mse = double(sse) / double(count);
  return std::min(kPsnrCap, 10.0 * std::log10(255.0 * 255.0 / mse));
}

// Mean SSIM over the 'valid' region (windows lying fully inside the frame, as
// in the reference MATLAB code), so no padding values leak into the score.
double ssimRgb(const uint8_t* a, const uint8_t* b, int64_t height, int64_t width) {
  if (height < kWindow || width < kWindow)
    throw Error("SSIM needs frames of at least 11x11 pixels, got " + std::to_string(height) + "x" +
                std::to_string(width));
  const int64_t n = height * width;
  const std::vector<double> x = luma(a, n), y = luma(b, n);
  std::vector<double> xx(n), yy(n), xy(n);
  for (int64_t i = 0; i < n; ++i) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const std::vector<double> taps = gaussianTaps();
  const auto mx = filterValid(x, height, width, taps), my = filterValid(y, height, width, taps);
  const auto mxx = filterValid(xx, height, width, taps), myy = filterValid(yy, height, width, taps);
  const auto mxy = filterValid(xy, height, width, taps);
  double sum = 0;
  for (size_t i = 0; i < mx.size(); ++i) {
    const double vx = mxx[i] - mx[i] * mx[i], vy = myy[i] - my[i] * my[i];
    const double cov = mxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + kC1) * (2 * cov + kC2)) /
           ((mx[i] * mx[i] + my[i] * my[i] + kC1) * (vx + vy + kC2));
  }
  return sum / double(mx.size());
}

VideoQuality compareVideos(const VideoFrames& a, const VideoFrames& b) {
  if (a.frames != b.frames || a.height != b.height || a.width != b.width)
    throw Error("cannot compare videos of different shapes: " + shapeOf(a) + " vs " + shapeOf(b) +
                " (frames x height x width)");
  if (a.frames <= 0) throw Error("cannot compare empty videos (" + shapeOf(a) + ")");
  const size_t frameBytes = static_cast<size_t>(a.height * a.width * 3);
  for (const VideoFrames* v : {&a, &b})
    if (v->rgb.size() != frameBytes * a.frames)
      throw Error("video of shape " + shapeOf(*v) + " holds " + std::to_string(v->rgb.size()) +
                  " RGB bytes, expected " + std::to_string(frameBytes * a.frames));
  VideoQuality q;
  for (int64_t f = 0; f < a.frames; ++f) {
    FrameQuality fq;
    fq.psnr = psnr(a.frame(f), b.frame(f), frameBytes);
    fq.ssim = ssimRgb(a.frame(f), b.frame(f), a.height, a.width);
    q.meanPsnr += fq.psnr;
    q.meanSsim += fq.ssim;
    q.frames.push_back(fq);
  }
  q.meanPsnr /= double(a.frames);
  q.meanSsim /= double(a.frames);
  return q;
}

}  // namespace attnscope
