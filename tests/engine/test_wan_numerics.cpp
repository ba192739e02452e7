// Wan 2.1 components against float64 re-derivations on random inputs: one
// umT5 layer with its relative-position bias, causal convolution with and
// without the feature cache, chunked vs one-shot VAE decoding, and the
// flow-matching UniPC sampler (exactness on straight flows, second order).
#include "engine/model/wan/WanVae.h"  // LibTorch before Qt: Qt's "slots" macro

#include <QtTest>

#include <cmath>

#include "engine/model/Rope3d.h"
#include "engine/model/wan/Umt5Encoder.h"
#include "engine/model/wan/WanVae.h"
#include "engine/pipeline/FlowMatchSchedule.h"
#include "engine/pipeline/FlowUniPc.h"

using namespace attnscope;

namespace {

// T5's bucket, written from the paper's description with scalar arithmetic.
int64_t bucketOf(int64_t rel, int64_t buckets, int64_t maxDistance) {
  int64_t half = buckets / 2, out = rel > 0 ? half : 0, d = std::abs(rel), exact = half / 2;
  if (d < exact) return out + d;
  int64_t large = exact + int64_t(std::log(double(d) / exact) / std::log(double(maxDistance) / exact) * (half - exact));
  return out + std::min(large, half - 1);
}

double maxRelError(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max() / b.to(torch::kFloat64).abs().max()).item<double>();
}

}  // namespace

class TestWanNumerics : public QObject {
  Q_OBJECT

 private slots:
  void relativeBuckets() {
    auto b = relativePositionBuckets(40, 300, 32, 128);
    for (int64_t q : {0, 7, 39})
      for (int64_t k : {0, 1, 5, 8, 9, 20, 100, 299})
        QCOMPARE(b[q][k].item<int64_t>(), bucketOf(k - q, 32, 128));
  }

  void ropeSplitMatchesWanForHeadDim128() {
    // Wan: frequencies of dims d - 4*(d/6), 2*(d/6), 2*(d/6) for frame, height, width.
    const int64_t d = 128, dimF = d - 4 * (d / 6), dimHW = 2 * (d / 6);
    TokenGrid g{3, 4, 5, 0};
    RopeTables rope = makeRope3d(g, d);
    QCOMPARE(rope.cos().sizes().vec(), (std::vector<int64_t>{60, 1, 64}));
    for (int64_t token : {0, 7, 26, 59}) {
      TokenCoord c = tokenCoord(g, token);
      for (int64_t j = 0; j < 64; ++j) {
        double angle;
        if (j < dimF / 2) angle = c.f * std::pow(10000.0, -2.0 * j / dimF);
        else if (j < dimF / 2 + dimHW / 2) angle = c.y * std::pow(10000.0, -2.0 * (j - dimF / 2) / dimHW);
        else angle = c.x * std::pow(10000.0, -2.0 * (j - dimF / 2 - dimHW / 2) / dimHW);
        QVERIFY(std::abs(rope.cos()[token][0][j].item<float>() - std::cos(angle)) < 1e-6);
        QVERIFY(std::abs(rope.sin()[token][0][j].item<float>() - std::sin(angle)) < 1e-6);
      }
    }
  }

  void umt5LayerMatchesFloat64() {
    torch::manual_seed(5);
    Umt5Config c;
    c.vocab = 20, c.dim = 16, c.dimAttn = 24, c.heads = 3, c.ffnDim = 20, c.layers = 1, c.buckets = 8, c.maxDistance = 16;
    Umt5Block block(c);
    for (auto& p : block->parameters()) p.data().normal_(0.0, 0.4);
    const int64_t B = 2, L = 11;
    auto x = torch::randn({B, L, c.dim});
    auto mask = torch::ones({B, L}, torch::kInt64);
    mask[1].slice(0, 7).fill_(0);
    torch::Tensor y;
    {
      torch::NoGradGuard g;
      y = block->forward(x, mask);
    }
    // float64 re-derivation with explicit loops over heads.
    auto d = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64); };
    auto rms = [&](const torch::Tensor& v, const torch::Tensor& w) { return d(w) * v / (v.pow(2).mean(-1, true) + 1e-6).sqrt(); };
    auto xd = d(x);
    auto h = rms(xd, block->norm1->weight);
    auto q = h.matmul(d(block->q->weight).t()), k = h.matmul(d(block->k->weight).t()), v = h.matmul(d(block->v->weight).t());
    auto table = d(block->bias->weight);  // [buckets, heads]
    const int64_t D = c.dimAttn / c.heads;
    auto out = torch::zeros({B, L, c.dimAttn}, torch::kFloat64);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t hd = 0; hd < c.heads; ++hd)
        for (int64_t i = 0; i < L; ++i) {
          std::vector<double> s(L);
          double mx = -1e300;
          for (int64_t j = 0; j < L; ++j) {
            if (mask[b][j].item<int64_t>() == 0) { s[j] = -1e300; continue; }
            s[j] = (q[b][i].slice(0, hd * D, (hd + 1) * D) * k[b][j].slice(0, hd * D, (hd + 1) * D)).sum().item<double>() +
                   table[bucketOf(j - i, c.buckets, c.maxDistance)][hd].item<double>();
            mx = std::max(mx, s[j]);
          }
          double z = 0;
          for (auto& e : s) z += e < -1e299 ? 0 : std::exp(e - mx);
          for (int64_t j = 0; j < L; ++j)
            if (s[j] > -1e299) out[b][i].slice(0, hd * D, (hd + 1) * D) += std::exp(s[j] - mx) / z * v[b][j].slice(0, hd * D, (hd + 1) * D);
        }
    auto y1 = xd + out.matmul(d(block->o->weight).t());
    auto f = rms(y1, block->norm2->weight);
    auto g = f.matmul(d(block->gate->weight).t());
    auto gelu = 0.5 * g * (1 + torch::tanh(std::sqrt(2.0 / M_PI) * (g + 0.044715 * g.pow(3))));
    auto ref = y1 + (f.matmul(d(block->fc1->weight).t()) * gelu).matmul(d(block->fc2->weight).t());
    double err = maxRelError(y, ref);
    QVERIFY2(err < 1e-5, qPrintable(QString::number(err)));
  }

  void causalConvCacheEqualsOneShot() {
    torch::manual_seed(9);
    auto conv = torch::nn::Conv3d(torch::nn::Conv3dOptions(3, 4, 3));
    auto x = torch::randn({1, 3, 7, 5, 6});
    torch::NoGradGuard g;
    CausalCache whole;
    auto full = causalConv3d(conv, x, 2, 1, &whole);
    // Reference: zero-pad two past frames, then an ordinary convolution.
    auto ref = conv(torch::constant_pad_nd(x, {1, 1, 1, 1, 2, 0}));
    QVERIFY(torch::allclose(full, ref, 1e-6, 1e-6));
    CausalCache cache;
    std::vector<torch::Tensor> parts;
    for (auto [a, b] : std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 5}, {5, 7}}) {
      cache.beginChunk();
      parts.push_back(causalConv3d(conv, x.slice(2, a, b), 2, 1, &cache));
    }
    QVERIFY(torch::allclose(torch::cat(parts, 2), full, 1e-6, 1e-6));
  }

  void chunkedVaeDecodeEqualsOneShot() {
    torch::manual_seed(13);
    WanVaeConfig c = officialWanVaeConfig(4, 16);
    WanVaeDecoder vae(c);
    for (auto& p : vae->parameters()) p.data().normal_(0.0, 0.3);
    torch::NoGradGuard g;
    auto z = torch::randn({1, 16, 4, 2, 3});
    auto one = vae->decode(z, 1), all = vae->decode(z, 4), two = vae->decode(z, 2);
    QCOMPARE(one.sizes().vec(), (std::vector<int64_t>{1, 3, 13, 16, 24}));
    QVERIFY(torch::isfinite(one).all().item<bool>());
    QVERIFY(one.abs().max().item<float>() <= 1.0f);
    QVERIFY2(maxRelError(all, one) < 1e-5, "one-shot decode differs from Wan's frame-by-frame decode");
    QVERIFY(maxRelError(two, one) < 1e-5);
  }

  void vaeAttentionMatchesFloat64() {
    torch::manual_seed(17);
    VaeAttentionBlock attn(6);
    for (auto& p : attn->parameters()) p.data().normal_(0.0, 0.5);
    auto x = torch::randn({1, 6, 2, 3, 4});
    torch::Tensor y;
    {
      torch::NoGradGuard g;
      y = attn->forward(x);
    }
    auto d = [](const torch::Tensor& t) { return t.detach().to(torch::kFloat64); };
    auto ref = torch::zeros({1, 6, 2, 3, 4}, torch::kFloat64);
    for (int64_t t = 0; t < 2; ++t) {
      auto f = d(x[0].select(1, t)).reshape({6, 12});  // [C, HW]
      auto n = f / f.pow(2).sum(0, true).sqrt() * std::sqrt(6.0) * d(attn->norm->gamma).view({6, 1});
      auto qkv = d(attn->toQkv->weight).view({18, 6}).matmul(n) + d(attn->toQkv->bias).view({18, 1});
      auto q = qkv.slice(0, 0, 6).t(), k = qkv.slice(0, 6, 12).t(), v = qkv.slice(0, 12, 18).t();
      auto a = torch::softmax(q.matmul(k.t()) / std::sqrt(6.0), -1).matmul(v).t();  // [C, HW]
      auto o = d(attn->proj->weight).view({6, 6}).matmul(a) + d(attn->proj->bias).view({6, 1});
      ref[0].select(1, t).copy_((o + f).view({6, 3, 4}));
    }
    QVERIFY(maxRelError(y, ref) < 1e-5);
  }

  void uniPcScheduleMatchesWan() {
    FlowUniPc s(10, 5.0);
    QCOMPARE(int(s.sigmas().size()), 11);
    for (int i = 0; i < 10; ++i) {
      double base = double(float(0.999)) * (1.0 - i / 10.0);
      double shifted = 5.0 * base / (1.0 + 4.0 * base);
      QVERIFY(std::abs(s.sigmas()[i] - shifted) < 1e-12);
      QCOMPARE(s.timestep(i), std::trunc(shifted * 1000.0));
    }
    QCOMPARE(s.sigmas().back(), 0.0);
  }

  void uniPcIsExactOnStraightFlows() {
    // x_sigma = (1 - sigma) x0 + sigma n has constant velocity n - x0: every
    // step's x0 prediction is exact, so the sampler must land on x0.
    torch::manual_seed(21);
    auto x0 = torch::randn({4, 5}, torch::kFloat64), n = torch::randn({4, 5}, torch::kFloat64);
    FlowUniPc s(7, 3.0);
    auto x = (1 - s.sigmas()[0]) * x0 + s.sigmas()[0] * n;
    for (int i = 0; i < 7; ++i) x = s.step(n - x0, x);
    // 1e-6: the sampler rounds sigmas to float32 as the reference does.
    QVERIFY(torch::allclose(x, x0, 1e-6, 1e-6));
  }

  void uniPcIsSecondOrder() {
    // Data ~ N(mu, sd^2): the exact flow velocity is known in closed form and the
    // ODE maps noise n to mu + sd*n. Doubling the steps must shrink UniPC's error
    // ~4x (second order) and Euler's ~2x (first order).
    const double mu = 0.7, sd = 0.5;
    auto velocity = [&](const torch::Tensor& x, double sigma) {
      double var = (1 - sigma) * (1 - sigma) * sd * sd + sigma * sigma;
      auto centred = x - (1 - sigma) * mu;
      return (sigma / var) * centred - (mu + (1 - sigma) * sd * sd / var * centred);
    };
    auto n = torch::linspace(-2, 2, 9, torch::kFloat64);
    auto errorFor = [&](int steps, bool unipc) {
      FlowUniPc s(steps, 1.0);
      double s0 = s.sigmas()[0];
      auto x = (1 - s0) * mu + std::sqrt((1 - s0) * (1 - s0) * sd * sd + s0 * s0) * n;
      for (int i = 0; i < steps; ++i) {
        auto v = velocity(x, s.sigmas()[i]);
        x = unipc ? s.step(v, x) : x + (s.sigmas()[i + 1] - s.sigmas()[i]) * v;
      }
      return (x - (mu + sd * n)).abs().max().item<double>();
    };
    const double u32 = errorFor(32, true), u64 = errorFor(64, true);
    const double e32 = errorFor(32, false), e64 = errorFor(64, false);
    QVERIFY2(u32 / u64 > 3.5, qPrintable(QString("UniPC ratio %1").arg(u32 / u64)));
    QVERIFY2(e32 / e64 > 1.5 && e32 / e64 < 2.6, qPrintable(QString("Euler ratio %1").arg(e32 / e64)));
    QVERIFY2(u64 < e64 / 10, qPrintable(QString("unipc %1 euler %2").arg(u64).arg(e64)));
  }
};

QTEST_APPLESS_MAIN(TestWanNumerics)
#include "test_wan_numerics.moc"
