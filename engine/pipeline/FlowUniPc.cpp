#include "engine/pipeline/FlowUniPc.h"

#include <cmath>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

// The reference keeps sigmas as float32; its coefficients see the rounded values.
double asFloat32(double v) { return double(float(v)); }

double lambdaOf(double sigma) { return std::log(1.0 - sigma) - std::log(sigma); }

// Solves the small dense system A x = b (Gaussian elimination, partial pivoting).
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (size_t r = c + 1; r < n; ++r) {
      double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n);
  for (size_t c = n; c-- > 0;) {
    double s = b[c];
    for (size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = s / a[c][c];
  }
  return x;
}

}  // namespace

FlowUniPc::FlowUniPc(int steps, double shift, int order) : order_(order) {
  if (steps < 1) throw Error("steps must be at least 1, got " + std::to_string(steps));
  if (!(shift > 0)) throw Error("shift must be positive, got " + std::to_string(shift));
  if (order < 1 || order > 3) throw Error("UniPC order must be 1, 2 or 3");
  const double sigmaMax = asFloat32(0.999);  // 1 - 1/1000, the training schedule's first sigma
  for (int i = 0; i < steps; ++i) {
    double s = sigmaMax * (1.0 - double(i) / steps);
    sigmas_.push_back(shift * s / (1.0 + (shift - 1.0) * s));
  }
  sigmas_.push_back(0.0);
}

double FlowUniPc::timestep(int step) const { return std::trunc(sigmas_.at(step) * 1000.0); }

torch::Tensor FlowUniPc::multistep(const torch::Tensor& x, int from, int to, int order, bool corrector,
                                   const torch::Tensor& modelAtTo) {
  // from/to: step indices of the source (s0) and target (t) sigmas.
  const double sigmaT = asFloat32(sigmas_[to]), sigmaS0 = asFloat32(sigmas_[from]);
  const double alphaT = 1.0 - sigmaT;
  const double h = lambdaOf(sigmaT) - lambdaOf(sigmaS0);
  const torch::Tensor& m0 = outputs_.back();
  std::vector<double> rks;
  std::vector<torch::Tensor> d1s;
  for (int k = 1; k < order; ++k) {
    const int si = from - k;  // earlier steps, newest first
    const torch::Tensor& mk = outputs_[outputs_.size() - 1 - k];
    const double rk = (lambdaOf(asFloat32(sigmas_[si])) - lambdaOf(sigmaS0)) / h;
    rks.push_back(rk);
    d1s.push_back((mk - m0) / rk);
  }
  rks.push_back(1.0);
  const double hh = -h;  // x0-prediction
  const double hPhi1 = std::expm1(hh);
  const double bH = std::expm1(hh);  // bh2
  double hPhiK = hPhi1 / hh - 1.0, factorial = 1.0;
  std::vector<std::vector<double>> R;
  std::vector<double> b;
  for (int j = 1; j <= order; ++j) {
    std::vector<double> row;
    for (double r : rks) row.push_back(std::pow(r, j - 1));
    R.push_back(row);
    b.push_back(hPhiK * factorial / bH);
    factorial *= j + 1;
    hPhiK = hPhiK / hh - 1.0 / factorial;
  }
  torch::Tensor xt = (sigmaT / sigmaS0) * x - (alphaT * hPhi1) * m0;
  if (!corrector) {
    if (!d1s.empty()) {
      std::vector<double> rhos;
      if (order == 2) {
        rhos = {0.5};
      } else {
        std::vector<std::vector<double>> r(order - 1);
        for (int i = 0; i < order - 1; ++i) r[i].assign(R[i].begin(), R[i].begin() + order - 1);
        rhos = solve(r, std::vector<double>(b.begin(), b.end() - 1));
      }
      torch::Tensor res = torch::zeros_like(x);
      for (size_t k = 0; k < d1s.size(); ++k) res = res + rhos[k] * d1s[k];
      xt = xt - (alphaT * bH) * res;
    }
    return xt;
  }
  std::vector<double> rhos = order == 1 ? std::vector<double>{0.5} : solve(R, b);
  torch::Tensor res = torch::zeros_like(x);
  for (size_t k = 0; k < d1s.size(); ++k) res = res + rhos[k] * d1s[k];
  return xt - (alphaT * bH) * (res + rhos.back() * (modelAtTo - m0));
}

torch::Tensor FlowUniPc::step(const torch::Tensor& velocity, const torch::Tensor& input) {
  if (index_ >= steps()) throw Error("UniPC sampler stepped past its last step");
  const int i = index_;
  torch::Tensor sample = input;
  torch::Tensor x0 = sample - asFloat32(sigmas_[i]) * velocity;
  if (i > 0 && lastSample_.defined())  // correct the previous prediction with the new model output
    sample = multistep(lastSample_, i - 1, i, thisOrder_, /*corrector=*/true, x0);
  outputs_.push_back(x0);
  outputSteps_.push_back(i);
  if (int(outputs_.size()) > order_) {
    outputs_.erase(outputs_.begin());
    outputSteps_.erase(outputSteps_.begin());
  }
  const int order = std::min(order_, steps() - i);  // lower order at the end
  thisOrder_ = std::min(order, lowerOrderDone_ + 1);
  lastSample_ = sample;
  torch::Tensor next = multistep(sample, i, i + 1, thisOrder_, /*corrector=*/false, {});
  if (lowerOrderDone_ < order_) ++lowerOrderDone_;
  ++index_;
  return next;
}

}  // namespace attnscope
