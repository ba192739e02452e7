// Rendered heatmap colours against the colormap computed on the CPU: every
// block of a zoomed head, for each scaling and several colormaps; and the
// CPU colormap against matplotlib's published end points.
#include <QtTest>

#include <algorithm>
#include <cmath>

#include "SyntheticAtlas.h"
#include "viz/AtlasViewport.h"
#include "viz/GridLayout.h"

using namespace attnscope;
using namespace attnscope::viz;
using namespace attnscope::testing;

class TestViewportColours : public QObject {
  Q_OBJECT

 private slots:
  void colormapEndPointsMatchMatplotlib() {
    // matplotlib's first and last table entries, as bytes.
    QCOMPARE(toRgb(colormapRgb(Colormap::Viridis, 0.0f)), (Rgb{68, 1, 84}));
    QCOMPARE(toRgb(colormapRgb(Colormap::Viridis, 1.0f)), (Rgb{253, 231, 37}));
    QCOMPARE(toRgb(colormapRgb(Colormap::Magma, 1.0f)), (Rgb{252, 253, 191}));
    QCOMPARE(toRgb(colormapRgb(Colormap::Inferno, 0.0f)), (Rgb{0, 0, 4}));
    QCOMPARE(toRgb(colormapRgb(Colormap::Cividis, 0.0f)), (Rgb{0, 34, 78}));
    QCOMPARE(toRgb(colormapRgb(Colormap::Cividis, 1.0f)), (Rgb{254, 232, 56}));
    // Out-of-range and NaN inputs clamp instead of reading outside the table.
    QCOMPARE(toRgb(colormapRgb(Colormap::Magma, -3.0f)), toRgb(colormapRgb(Colormap::Magma, 0.0f)));
    QCOMPARE(toRgb(colormapRgb(Colormap::Magma, 7.0f)), toRgb(colormapRgb(Colormap::Magma, 1.0f)));
    QCOMPARE(toRgb(colormapRgb(Colormap::Magma, std::nanf(""))), toRgb(colormapRgb(Colormap::Magma, 0.0f)));
  }

  void colormapsAreMonotoneInLightness() {
    // Perceptual maps get brighter along t: a sanity check that the knots are in order.
    for (Colormap map : {Colormap::Viridis, Colormap::Magma, Colormap::Inferno, Colormap::Cividis}) {
      float previous = -1;
      for (int i = 0; i <= 64; ++i) {
        auto c = colormapRgb(map, i / 64.0f);
        float luma = 0.2126f * c[0] + 0.7152f * c[1] + 0.0722f * c[2];
        QVERIFY2(luma >= previous - 1.0f, qPrintable(QString("map %1 at t=%2").arg(int(map)).arg(i / 64.0)));
        previous = luma;
      }
    }
  }

  void renderedBlocksMatchCpuColormap_data() {
    QTest::addColumn<int>("scaling");
    QTest::addColumn<int>("colormap");
    QTest::addColumn<int>("path");
    for (ShadingPath path : {ShadingPath::PerPixel, ShadingPath::PerBlock})
      for (Scaling s : {Scaling::Linear, Scaling::Log, Scaling::RowNormalised})
        for (Colormap c : {Colormap::Viridis, Colormap::Magma, Colormap::Inferno, Colormap::Cividis})
          QTest::addRow("%s scaling %d colormap %d", path == ShadingPath::PerPixel ? "per-pixel" : "per-block",
                        int(s), int(c))
              << int(s) << int(c) << int(path);
  }

  void renderedBlocksMatchCpuColormap() {
    QFETCH(int, scaling);
    QFETCH(int, colormap);
    QFETCH(int, path);
    const AttentionAtlas atlas = smallAtlas(3, 4);
    viewport_->setAtlas(atlas);
    viewport_->setShadingPath(ShadingPath(path));
    ViewState view;
    view.mode = ViewMode::Zoom;
    view.layer = 2;
    view.head = 1;
    view.scaling = Scaling(scaling);
    view.colormap = Colormap(colormap);
    view.showOverlay = false;
    view.showFrameBoundaries = false;
    const int width = 300, height = 260;
    RenderedImage img = viewport_->render(width, height, view);
    QCOMPARE(img.width, width);
    QCOMPARE(img.height, height);
    QCOMPARE(img.rgba.size(), size_t(width * height * 4));

    const int64_t n = atlas.numBlocks();
    // Reference scaling, computed here from the atlas values.
    float mapMax = 0;
    std::vector<float> rowMax(n, 0.0f);
    for (int64_t q = 0; q < n; ++q)
      for (int64_t k = 0; k < n; ++k) {
        float v = pooled(atlas, 0, 2, 1, q, k);
        mapMax = std::max(mapMax, v);
        rowMax[q] = std::max(rowMax[q], v);
      }
    ViewGeometry g = computeGeometry(width, height, view, 3, 4, n, n);
    QVERIFY(g.mapW > n * 4 && g.mapH > n * 4);  // blocks at least 4 pixels wide
    int worst = 0;
    for (int64_t q = 0; q < n; ++q)
      for (int64_t k = 0; k < n; ++k) {
        float v = pooled(atlas, 0, 2, 1, q, k);
        float t = 0;
        switch (Scaling(scaling)) {
          case Scaling::Linear: t = v / mapMax; break;
          case Scaling::Log: t = std::clamp(1.0f + std::log10(v / mapMax) / 4.0f, 0.0f, 1.0f); break;
          case Scaling::RowNormalised: t = v / rowMax[q]; break;
        }
        Rgb expected = toRgb(colormapRgb(Colormap(colormap), t));
        int x = int(g.originX + (k + 0.5f) * g.mapW / n), y = int(g.originY + (q + 0.5f) * g.mapH / n);
        Rgb got = pixel(img, x, y);
        worst = std::max(worst, colourDistance(got, expected));
        QVERIFY2(colourDistance(got, expected) <= 2,
                 qPrintable(QString("block q%1 k%2 (t=%3): rendered %4, expected %5")
                                .arg(q).arg(k).arg(t).arg(describe(got).c_str()).arg(describe(expected).c_str())));
      }
    // The corner outside the map is background, not map.
    QCOMPARE(pixel(img, 2, 2), toBytes({0.09f, 0.09f, 0.11f}));
  }

  void scalingsDifferOnTheSameMap() {
    // The three scalings must not collapse to one picture when rows have
    // different maxima (row q scaled by 1 / (q + 1)).
    AttentionAtlas atlas = smallAtlas(1, 1);
    const int64_t n = atlas.numBlocks();
    for (int64_t q = 0; q < n; ++q)
      for (int64_t k = 0; k < n; ++k) atlas.entries[0].pooled[q * n + k] /= float(q + 1);
    viewport_->setAtlas(atlas);
    ViewState view;
    view.mode = ViewMode::Zoom;
    view.showOverlay = false;
    std::vector<std::vector<uint8_t>> images;
    for (Scaling s : {Scaling::Linear, Scaling::Log, Scaling::RowNormalised}) {
      view.scaling = s;
      images.push_back(viewport_->render(128, 128, view).rgba);
    }
    QVERIFY(images[0] != images[1]);
    QVERIFY(images[0] != images[2]);
    QVERIFY(images[1] != images[2]);
  }

  void initTestCase() { viewport_ = std::make_unique<AtlasViewport>(); }
  void cleanupTestCase() { viewport_.reset(); }

 private:
  std::unique_ptr<AtlasViewport> viewport_;
};

QTEST_APPLESS_MAIN(TestViewportColours)
#include "test_viewport_colours.moc"
