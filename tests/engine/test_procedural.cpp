// Procedural videos: scenes are reproducible from their seed, captions fit the
// text encoder and say what the scene shows, rendered pixels match colours and
// areas computed here from the spec, ground-truth centres agree with the
// pixels, the image analysis recovers colour and direction of the main shape
// on ground-truth renders, and bad input is refused with a named field.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/core/Error.h"
#include "engine/model/WordTokenizer.h"
#include "engine/procedural/ProceduralVideo.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<std::string> wordsOf(const std::string& caption) {
  std::istringstream in(caption);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::set<std::string> vocabulary() {
  std::ifstream in(ATTNSCOPE_SOURCE_DIR "/assets/default/vocab.txt");
  std::set<std::string> words;
  for (std::string w; std::getline(in, w);)
    if (!w.empty()) words.insert(w);
  return words;
}

// Area of each outline in units of radius², from its stated dimensions.
double areaFactor(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Circle: return kPi;
    case ShapeKind::Ring: return kPi * (1.08 * 1.08 - 0.48 * 0.48);
    case ShapeKind::Square: return 1.72 * 1.72;
    case ShapeKind::Diamond: return 2 * 1.35 * 1.05;
    case ShapeKind::Triangle: return 3 * std::sqrt(3.0) / 4 * 1.45 * 1.45;
    case ShapeKind::Star: return 5 * 1.6 * 0.611 * std::sin(36 * kPi / 180);
    case ShapeKind::Cross: return 2 * (2.4 * 0.76) - 0.76 * 0.76;
  }
  return 0;
}

std::array<double, 3> pixel(const VideoFrames& v, int64_t f, int64_t x, int64_t y) {
  const uint8_t* p = v.frame(f) + (y * v.width + x) * 3;
  return {double(p[0]), double(p[1]), double(p[2])};
}

std::array<double, 3> paletteRgb(int colour) {
  const NamedColour& c = shapePalette().at(colour);
  return {double(c.r), double(c.g), double(c.b)};
}

// Per frame: coverage of `colour` over a plain background, estimated from
// each pixel's position on the line background -> colour; returns the
// coverage-weighted area and centroid.
struct Mass {
  double area = 0, x = 0, y = 0;
};
Mass colourMass(const VideoFrames& v, int64_t f, const std::array<double, 3>& bg, const std::array<double, 3>& col) {
  Mass m;
  double len2 = 0;
  for (int c = 0; c < 3; ++c) len2 += (col[c] - bg[c]) * (col[c] - bg[c]);
  for (int64_t y = 0; y < v.height; ++y)
    for (int64_t x = 0; x < v.width; ++x) {
      auto p = pixel(v, f, x, y);
      double dot = 0;
      for (int c = 0; c < 3; ++c) dot += (p[c] - bg[c]) * (col[c] - bg[c]);
      const double a = std::clamp(dot / len2, 0.0, 1.0);
      m.area += a, m.x += a * x, m.y += a * y;
    }
  m.x /= m.area, m.y /= m.area;
  return m;
}

// Expected unit direction of a translation in image coordinates (y down).
std::array<double, 2> expectedDirection(Motion m) {
  switch (m) {
    case Motion::Left: return {-1, 0};
    case Motion::Right: return {1, 0};
    case Motion::Up: return {0, -1};
    case Motion::Down: return {0, 1};
    case Motion::UpLeft: return {-1, -1};
    case Motion::UpRight: return {1, -1};
    case Motion::DownLeft: return {-1, 1};
    case Motion::DownRight: return {1, 1};
    default: return {0, 0};
  }
}

}  // namespace

class TestProcedural : public QObject {
  Q_OBJECT

 private slots:
  // The trainer renders on many threads at once (the shape tables are built on first use,
  // so this runs first).
  void threadsRenderWhatOneThreadRenders() {
    std::vector<std::vector<uint8_t>> parallel(32);
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t)
      workers.emplace_back([&, t] {
        for (size_t i = size_t(t); i < parallel.size(); i += 4) parallel[i] = renderScene(sampleScene(900 + i)).rgb;
      });
    for (auto& w : workers) w.join();
    for (size_t i = 0; i < parallel.size(); ++i) QVERIFY(parallel[i] == renderScene(sampleScene(900 + i)).rgb);
  }

  void sameSeedGivesSameSceneAndPixels() {
    for (uint64_t seed : {uint64_t(0), uint64_t(7), uint64_t(123456789), kHeldOutSeedBase + 3}) {
      const SceneSpec a = sampleScene(seed), b = sampleScene(seed);
      QCOMPARE(a.caption, b.caption);
      QCOMPARE(a.shapes.size(), b.shapes.size());
      for (size_t i = 0; i < a.shapes.size(); ++i) {
        QCOMPARE(a.shapes[i].x, b.shapes[i].x);
        QCOMPARE(a.shapes[i].radius, b.shapes[i].radius);
        QCOMPARE(a.shapes[i].speed, b.shapes[i].speed);
      }
      QVERIFY(renderScene(a).rgb == renderScene(b).rgb);
    }
  }

  void differentSeedsDiffer() {
    std::set<std::string> captions;
    std::vector<uint8_t> previous;
    for (uint64_t seed = 0; seed < 40; ++seed) {
      const SceneSpec s = sampleScene(seed);
      captions.insert(s.caption);
      const VideoFrames v = renderScene(s);
      QVERIFY2(v.rgb != previous, qPrintable(QString("seed %1 renders like seed %2").arg(seed).arg(seed - 1)));
      previous = v.rgb;
    }
    QVERIFY2(captions.size() >= 35, qPrintable(QString::number(captions.size())));
  }

  void captionsFitTheTextEncoderAndDescribeTheScene() {
    const std::set<std::string> vocab = vocabulary();
    QVERIFY(vocab.size() > 50);
    const WordTokenizer tokenizer = WordTokenizer::load(ATTNSCOPE_SOURCE_DIR "/assets/default/vocab.txt");
    std::set<int> shapeCounts;
    for (uint64_t seed = 1000; seed < 1600; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const auto words = wordsOf(s.caption);
      QVERIFY2(words.size() <= size_t(kMaxCaptionWords), s.caption.c_str());
      for (const auto& w : words) QVERIFY2(vocab.count(w), (w + " in: " + s.caption).c_str());
      tokenizer.tokenize(s.caption, kMaxCaptionWords);  // throws on unknown or too many words
      QCOMPARE(captionFor(s), s.caption);
      shapeCounts.insert(int(s.shapes.size()));

      // Main clause first: article, colour, kind, motion.
      const ShapeSpec& main = s.shapes[0];
      const std::string colour = shapePalette()[main.colour].name;
      QCOMPARE(words[0], std::string(colour[0] == 'o' ? "an" : "a"));
      QCOMPARE(words[1], colour);
      QCOMPARE(words[2], shapeKindName(main.kind));
      const std::string motion = motionName(main.motion);
      if (isTranslation(main.motion)) {
        QCOMPARE(words[3], std::string("moves"));
        std::string said = words[4];
        if (motion.find('-') != std::string::npos) said += "-" + words[5];
        QCOMPARE(said, motion);
      } else if (main.motion == Motion::Still) {
        QCOMPARE(words[3] + " " + words[4], std::string("is still"));
      } else {
        QCOMPARE(words[3], std::string(motion == "bounce"   ? "bounces"
                                       : motion == "rotate" ? "rotates"
                                       : motion == "grow"   ? "grows"
                                                            : "shrinks"));
      }
      // Every other shape is named by colour, or counted.
      for (size_t i = 1; i < s.shapes.size(); ++i) {
        const bool named = s.caption.find(shapePalette()[s.shapes[i].colour].name + " " +
                                          shapeKindName(s.shapes[i].kind)) != std::string::npos;
        const bool counted = s.caption.find(s.shapes.size() == 3 ? "with two shapes" : "with a shape") !=
                             std::string::npos;
        QVERIFY2(named || counted, s.caption.c_str());
      }
      // The background clause closes the caption.
      QCOMPARE(words.back(), std::string("background"));
      const std::string tone = s.darkBackground ? "dark" : "light";
      QVERIFY2(s.caption.find("on a " + tone) != std::string::npos, s.caption.c_str());
      const std::string textureWord = words[words.size() - 2];
      if (textureWord != tone) QCOMPARE(textureWord, textureName(s.texture));
    }
    QCOMPARE(shapeCounts, (std::set<int>{1, 2, 3}));
  }

  void mainShapeIsLargeVisibleAndClearlyMoving() {
    const SceneSize size;
    for (uint64_t seed = 0; seed < 400; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const auto centres = shapeCentres(s);
      const ShapeSpec& main = s.shapes[0];
      const double last = double(size.frames - 1);
      const double smallest = main.motion == Motion::Shrink ? main.radius - main.speed * last : main.radius;
      QVERIFY2(smallest >= 8.0 - 1e-9, qPrintable(QString("seed %1 radius %2").arg(seed).arg(smallest)));
      std::set<int> colours;
      for (size_t i = 0; i < s.shapes.size(); ++i) {
        colours.insert(s.shapes[i].colour);
        if (i == 0) continue;
        const ShapeSpec& o = s.shapes[i];
        const double largest = o.motion == Motion::Grow ? o.radius + o.speed * last : o.radius;
        QVERIFY2(largest < smallest, qPrintable(QString("seed %1 shape %2").arg(seed).arg(i)));
      }
      QCOMPARE(colours.size(), s.shapes.size());
      for (const auto& frame : centres) {
        QVERIFY(frame[0][0] >= smallest && frame[0][0] <= size.width - 1 - smallest);
        QVERIFY(frame[0][1] >= smallest && frame[0][1] <= size.height - 1 - smallest);
      }
      if (isTranslation(main.motion)) {
        QVERIFY2(main.speed >= 1.4 && main.speed <= 2.6,
                 qPrintable(QString("seed %1 speed %2").arg(seed).arg(main.speed)));
      }
    }
  }

  void centresMoveInTheCaptionedDirection() {
    const SceneSize size;
    int translations = 0;
    for (uint64_t seed = 0; seed < 300; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const auto centres = shapeCentres(s);
      QCOMPARE(centres.size(), size_t(size.frames));
      for (size_t i = 0; i < s.shapes.size(); ++i) {
        const ShapeSpec& sh = s.shapes[i];
        const double dx = centres.back()[i][0] - centres.front()[i][0];
        const double dy = centres.back()[i][1] - centres.front()[i][1];
        if (isTranslation(sh.motion)) {
          ++translations;
          auto dir = expectedDirection(sh.motion);
          const double norm = std::hypot(dir[0], dir[1]);
          QVERIFY(std::fabs(dx - dir[0] / norm * sh.speed * 15) < 1e-9);
          QVERIFY(std::fabs(dy - dir[1] / norm * sh.speed * 15) < 1e-9);
          QVERIFY(std::hypot(dx, dy) > 0);
        } else if (sh.motion != Motion::Bounce) {
          QCOMPARE(dx, 0.0);
          QCOMPARE(dy, 0.0);
        }
      }
    }
    QVERIFY(translations > 200);
  }

  void pixelsAtTheMainShapeHaveItsPaletteColour() {
    for (uint64_t seed = 0; seed < 200; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const VideoFrames v = renderScene(s);
      const auto centres = shapeCentres(s);
      const ShapeSpec& main = s.shapes[0];
      const auto expected = paletteRgb(main.colour);
      for (int64_t f = 0; f < v.frames; f += 5) {
        double x = centres[f][0][0], y = centres[f][0][1];
        // A ring is hollow: look halfway across its band (radius 0.48..1.08).
        const double radius = main.motion == Motion::Grow     ? main.radius + main.speed * f
                              : main.motion == Motion::Shrink ? main.radius - main.speed * f
                                                              : main.radius;
        if (main.kind == ShapeKind::Ring) x += 0.78 * radius;
        QCOMPARE(pixel(v, f, std::lround(x), std::lround(y)), expected);
      }
    }
  }

  void renderedAreaAndCentroidMatchTheSpec() {
    // One shape at a time on a plain background, every kind, size and angle.
    const SceneSize size{4, 64, 64};
    for (int kind = 0; kind <= int(ShapeKind::Cross); ++kind)
      for (double radius : {5.0, 8.3, 12.7})
        for (double angle : {0.0, 0.37}) {
          SceneSpec s;
          s.texture = 0;
          s.backgroundRgb = {30, 34, 38};
          ShapeSpec sh;
          sh.kind = ShapeKind(kind);
          sh.colour = (kind + int(radius)) % int(shapePalette().size());
          sh.radius = radius;
          sh.angle = angle;
          sh.motion = Motion::DownRight;
          sh.speed = 1.9;
          sh.x = 25.3;
          sh.y = 24.6;
          s.shapes = {sh};
          const VideoFrames v = renderScene(s, size);
          const auto centres = shapeCentres(s, size);
          for (int64_t f = 0; f < size.frames; ++f) {
            const Mass m = colourMass(v, f, {30, 34, 38}, paletteRgb(sh.colour));
            const double area = areaFactor(sh.kind) * radius * radius;
            const QString what = QString("%1 r=%2 angle=%3 frame %4: area %5 vs %6, centre (%7,%8) vs (%9,%10)")
                                     .arg(QString::fromStdString(shapeKindName(sh.kind)))
                                     .arg(radius).arg(angle).arg(f).arg(m.area).arg(area)
                                     .arg(m.x).arg(m.y).arg(centres[f][0][0]).arg(centres[f][0][1]);
            QVERIFY2(std::fabs(m.area - area) < 0.03 * area + 1.5, qPrintable(what));
            QVERIFY2(std::hypot(m.x - centres[f][0][0], m.y - centres[f][0][1]) < 0.1, qPrintable(what));
          }
        }
  }

  void plainBackgroundKeepsItsColourAwayFromShapes() {
    int checked = 0;
    for (uint64_t seed = 0; seed < 200 && checked < 30; ++seed) {
      const SceneSpec s = sampleScene(seed);
      if (s.texture != 0) continue;
      const VideoFrames v = renderScene(s);
      const auto centres = shapeCentres(s);
      const std::array<double, 3> bg = {double(s.backgroundRgb[0]), double(s.backgroundRgb[1]),
                                        double(s.backgroundRgb[2])};
      for (int64_t f = 0; f < v.frames; f += 3)
        for (auto [x, y] : {std::pair<int, int>{0, 0}, {63, 0}, {0, 63}, {63, 63}, {31, 0}}) {
          bool near = false;
          for (size_t i = 0; i < s.shapes.size(); ++i)
            near |= std::hypot(centres[f][i][0] - x, centres[f][i][1] - y) < 2.2 * 16;
          if (near) continue;
          QCOMPARE(pixel(v, f, x, y), bg);
        }
      ++checked;
    }
    QCOMPARE(checked, 30);
  }

  void anySizeRenders() {
    for (SceneSize size : {SceneSize{2, 8, 8}, SceneSize{5, 48, 80}, SceneSize{24, 128, 96}, SceneSize{40, 32, 32}}) {
      for (uint64_t seed = 0; seed < 20; ++seed) {
        const SceneSpec s = sampleScene(seed, size);
        QVERIFY(wordsOf(s.caption).size() <= size_t(kMaxCaptionWords));
        const VideoFrames v = renderScene(s, size);
        QCOMPARE(v.frames, size.frames);
        QCOMPARE(v.height, size.height);
        QCOMPARE(v.width, size.width);
        QCOMPARE(v.rgb.size(), size_t(size.frames * size.height * size.width * 3));
        const auto centres = shapeCentres(s, size);
        QCOMPARE(centres.size(), size_t(size.frames));
        for (const auto& frame : centres) {
          QVERIFY(frame[0][0] >= 0 && frame[0][0] <= size.width - 1);
          QVERIFY(frame[0][1] >= 0 && frame[0][1] <= size.height - 1);
        }
      }
    }
  }

  void analysisFindsColourAndDirectionOnGroundTruth() {
    int scenes = 0, colourRight = 0, measured = 0, directionRight = 0;
    for (uint64_t seed = kHeldOutSeedBase; seed < kHeldOutSeedBase + 300; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const MainShapeEstimate e = estimateMainShape(renderScene(s));
      ++scenes;
      colourRight += e.colour == s.shapes[0].colour;
      QCOMPARE(e.track.size(), size_t(16));
      const Motion m = s.shapes[0].motion;
      if (isTranslation(m) || m == Motion::Still) {
        ++measured;
        directionRight += e.direction == m;
      }
    }
    qInfo("ground truth: colour %d/%d, direction %d/%d", colourRight, scenes, directionRight, measured);
    QVERIFY(measured > 150);
    QVERIFY(colourRight >= 0.95 * scenes);
    QVERIFY(directionRight >= 0.95 * measured);
  }

  // Generated videos are softer, paler and noisier than renders: blur 3×3,
  // fade colours 30% toward grey, add ±15 noise; the analysis must still read them.
  void analysisToleratesBlurNoiseAndFadedColours() {
    std::mt19937 rng(17);
    int scenes = 0, colourRight = 0, measured = 0, directionRight = 0;
    for (uint64_t seed = kHeldOutSeedBase + 500; seed < kHeldOutSeedBase + 700; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const VideoFrames clean = renderScene(s);
      VideoFrames v = clean;
      for (int64_t f = 0; f < v.frames; ++f)
        for (int64_t y = 0; y < v.height; ++y)
          for (int64_t x = 0; x < v.width; ++x) {
            double sum[3] = {0, 0, 0};
            for (int64_t dy = -1; dy <= 1; ++dy)
              for (int64_t dx = -1; dx <= 1; ++dx) {
                auto p = pixel(clean, f, std::clamp<int64_t>(x + dx, 0, v.width - 1),
                               std::clamp<int64_t>(y + dy, 0, v.height - 1));
                for (int c = 0; c < 3; ++c) sum[c] += p[c] / 9;
              }
            const double grey = (sum[0] + sum[1] + sum[2]) / 3;
            uint8_t* out = v.frame(f) + (y * v.width + x) * 3;
            for (int c = 0; c < 3; ++c) {
              const double noise = double(rng() % 31) - 15;
              out[c] = uint8_t(std::clamp(std::lround(0.7 * sum[c] + 0.3 * grey + noise), 0L, 255L));
            }
          }
      const MainShapeEstimate e = estimateMainShape(v);
      ++scenes;
      colourRight += e.colour == s.shapes[0].colour;
      const Motion m = s.shapes[0].motion;
      if (isTranslation(m) || m == Motion::Still) ++measured, directionRight += e.direction == m;
    }
    qInfo("degraded ground truth: colour %d/%d, direction %d/%d", colourRight, scenes, directionRight, measured);
    QVERIFY(colourRight >= 0.95 * scenes);
    QVERIFY(directionRight >= 0.95 * measured);
  }

  void analysisTrackFollowsTheGroundTruthCentre() {
    for (uint64_t seed = 0; seed < 60; ++seed) {
      const SceneSpec s = sampleScene(seed);
      if (s.shapes[0].kind == ShapeKind::Ring || s.shapes[0].motion == Motion::Rotate) continue;
      const MainShapeEstimate e = estimateMainShape(renderScene(s));
      const auto centres = shapeCentres(s);
      for (size_t f = 0; f < centres.size(); ++f)
        QVERIFY2(std::hypot(e.track[f][0] - centres[f][0][0], e.track[f][1] - centres[f][0][1]) < 0.75,
                 qPrintable(QString("seed %1 frame %2").arg(seed).arg(f)));
    }
  }

  void analysisOfAnEmptyVideoFindsNothing() {
    VideoFrames v;
    v.frames = 4, v.height = 16, v.width = 16;
    v.rgb.assign(size_t(4 * 16 * 16 * 3), 90);
    const MainShapeEstimate e = estimateMainShape(v);
    QCOMPARE(e.colour, -1);
    QCOMPARE(e.direction, Motion::Still);
    QVERIFY(std::isnan(e.track[0][0]));
  }

  // Coloured noise (what an untrained model draws) is no shape.
  void analysisOfNoiseFindsNoShape() {
    std::mt19937 rng(3);
    VideoFrames v;
    v.frames = 16, v.height = 64, v.width = 64;
    v.rgb.resize(size_t(16 * 64 * 64 * 3));
    for (auto& b : v.rgb) b = uint8_t(rng() & 0xff);
    const MainShapeEstimate e = estimateMainShape(v);
    QCOMPARE(e.colour, -1);
    // ...but a shape over strong grey-ish noise (±40 per channel) is read.
    for (uint64_t seed = kHeldOutSeedBase; seed < kHeldOutSeedBase + 10; ++seed) {
      const SceneSpec s = sampleScene(seed);
      const VideoFrames shape = renderScene(s);
      for (size_t i = 0; i < v.rgb.size(); i += 3) {
        const uint8_t* p = shape.rgb.data() + i;
        const int chroma = std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]});
        for (int c = 0; c < 3; ++c)
          v.rgb[i + c] = chroma > 60 ? p[c] : uint8_t((s.darkBackground ? 50 : 200) + int(rng() % 81) - 40);
      }
      QCOMPARE(estimateMainShape(v).colour, s.shapes[0].colour);
    }
  }

  void badInputIsRefusedWithTheFieldNamed() {
    QVERIFY(errorOf([] { sampleScene(1, {1, 64, 64}); }).contains("frames"));
    QVERIFY(errorOf([] { sampleScene(1, {16, 0, 64}); }).contains("height"));
    QVERIFY(errorOf([] { sampleScene(1, {16, 64, -3}); }).contains("width"));
    QVERIFY(errorOf([] { sampleScene(1, {100000, 4096, 4096}); }).contains("GiB"));
    const SceneSpec good = sampleScene(5);
    QVERIFY(errorOf([&] { renderScene(good, {0, 64, 64}); }).contains("frames"));
    QVERIFY(errorOf([&] { shapeCentres(good, {16, 64, 0}); }).contains("width"));
    auto broken = [&](auto change) {
      SceneSpec s = good;
      change(s);
      return errorOf([&] { renderScene(s); });
    };
    QVERIFY(broken([](SceneSpec& s) { s.shapes.clear(); }).contains("no shapes"));
    QVERIFY(broken([](SceneSpec& s) { s.shapes[0].colour = 99; }).contains("colour 99"));
    QVERIFY(broken([](SceneSpec& s) { s.shapes[0].radius = 0; }).contains("radius"));
    QVERIFY(broken([](SceneSpec& s) { s.shapes[0].x = std::nan(""); }).contains("not finite"));
    QVERIFY(broken([](SceneSpec& s) { s.texture = 9; }).contains("texture 9"));
    QVERIFY(broken([](SceneSpec& s) { s.shapes[0].kind = ShapeKind(42); }).contains("kind 42"));
    QVERIFY(broken([](SceneSpec& s) {
              s.shapes[0].motion = Motion::Shrink;
              s.shapes[0].speed = s.shapes[0].radius;
            }).contains("shrinks to nothing"));
    QVERIFY(broken([](SceneSpec& s) {
              s.shapes[0].motion = Motion::Left;
              s.shapes[0].speed = -1;
            }).contains("speed"));
    QVERIFY(errorOf([] { captionFor(SceneSpec{}); }).contains("no shapes"));

    VideoFrames v;
    QVERIFY(errorOf([&] { estimateMainShape(v); }).contains("cannot analyse"));
    v.frames = 2, v.height = 8, v.width = 8;
    v.rgb.resize(10);
    QVERIFY(errorOf([&] { estimateMainShape(v); }).contains("bytes"));
  }
};

QTEST_GUILESS_MAIN(TestProcedural)
#include "test_procedural.moc"
