// Grid layout (every layer x head cell where expected, equal sizes and gaps,
// the current head highlighted), zoom geometry, and hitTest round trips that
// agree with the rendered pixels.
#include <QtTest>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "SyntheticAtlas.h"
#include "viz/AtlasViewport.h"
#include "viz/GridLayout.h"
#include "viz/HeatmapParams.h"
#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::viz;
using namespace attnscope::testing;

namespace {
// An atlas whose every (layer, head) map is one constant value, distinct per cell,
// so a rendered cell can be recognised by its colour.
AttentionAtlas constantCells(int layers, int heads) {
  AttentionAtlas a = smallAtlas(layers, heads);
  const int64_t n = a.numBlocks();
  for (auto& e : a.entries)
    for (int h = 0; h < heads; ++h)
      std::fill(e.pooled.begin() + h * n * n, e.pooled.begin() + (h + 1) * n * n, 1.0f / n);
  return a;
}
}  // namespace

class TestViewportLayout : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { viewport_ = std::make_unique<AtlasViewport>(); }
  void cleanupTestCase() { viewport_.reset(); }

  void gridCellsAreWhereExpected() {
    const int layers = 3, heads = 4, width = 420, height = 330;
    viewport_->setAtlas(constantCells(layers, heads));
    ViewState view;
    view.showOverlay = false;
    view.showFrameBoundaries = false;
    view.layer = 1;
    view.head = 2;
    RenderedImage img = viewport_->render(width, height, view);
    // Constant maps, linear scaling: every map pixel is the colormap's top colour.
    const Rgb top = toRgb(colormapRgb(Colormap::Viridis, 1.0f));
    const Rgb background = toBytes(shading::kBackground);

    // Find the map cells from the pixels alone: runs of `top` along the
    // middle row of each cell band and the middle column of each cell band.
    auto runs = [&](bool horizontal, int fixed) {
      std::vector<std::pair<int, int>> out;  // [begin, end)
      int length = horizontal ? width : height, begin = -1;
      for (int i = 0; i <= length; ++i) {
        bool on = i < length && colourDistance(horizontal ? pixel(img, i, fixed) : pixel(img, fixed, i), top) <= 2;
        if (on && begin < 0) begin = i;
        if (!on && begin >= 0) {
          out.push_back({begin, i});
          begin = -1;
        }
      }
      return out;
    };
    ViewGeometry g = computeGeometry(width, height, view, layers, heads, 16, 16);
    auto columns = runs(true, int(g.originY + 0.5f * g.mapH));
    auto rows = runs(false, int(g.originX + 0.5f * g.mapW));
    QCOMPARE(int(columns.size()), heads);
    QCOMPARE(int(rows.size()), layers);
    for (size_t i = 0; i < columns.size(); ++i) {
      QCOMPARE(columns[i].second - columns[i].first, columns[0].second - columns[0].first);  // equal widths
      QCOMPARE(float(columns[i].first), g.originX + i * g.pitchX);
      if (i) QVERIFY(columns[i].first - columns[i - 1].second >= 2);  // a visible gap
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      QCOMPARE(rows[i].second - rows[i].first, rows[0].second - rows[0].first);
      QCOMPARE(float(rows[i].first), g.originY + i * g.pitchY);
      if (i) QVERIFY(rows[i].first - rows[i - 1].second >= 2);
    }
    // Square blocks (16 x 16 maps are square), the grid inside the image and its margins.
    QCOMPARE(columns[0].second - columns[0].first, rows[0].second - rows[0].first);
    QVERIFY(columns.front().first >= kMarginLeft && rows.front().first >= kMarginTop);
    QVERIFY(columns.back().second <= width && rows.back().second <= height);
    // The grid uses the space: the limiting dimension is nearly filled.
    float usedW = columns.back().second - columns.front().first, usedH = rows.back().second - rows.front().first;
    QVERIFY(usedW > 0.9f * (width - kMarginLeft - kMarginRight) || usedH > 0.9f * (height - kMarginTop - kMarginBottom));

    // The highlight ring surrounds the current head's map only.
    const Rgb ring = toBytes(shading::kHighlight);
    PixelRect current = cellMapRect(g, 1, 2), other = cellMapRect(g, 0, 0);
    int midY = int(0.5f * (current.y0 + current.y1));
    QCOMPARE(pixel(img, int(current.x0) - 1, midY), ring);
    QCOMPARE(pixel(img, int(current.x1), midY), ring);
    QCOMPARE(pixel(img, int(0.5f * (current.x0 + current.x1)), int(current.y0) - 1), ring);
    QCOMPARE(pixel(img, int(other.x0) - 1, int(0.5f * (other.y0 + other.y1))), background);
    QCOMPARE(pixel(img, int(other.x1), int(0.5f * (other.y0 + other.y1))), background);
  }

  void uncapturedLayerIsDrawnEmpty() {
    AttentionAtlas a = smallAtlas(3, 2);
    a.entries.erase(a.entries.begin() + 1);  // layer 1 not captured
    viewport_->setAtlas(a);
    ViewState view;
    view.showOverlay = false;
    RenderedImage img = viewport_->render(200, 200, view);
    ViewGeometry g = computeGeometry(200, 200, view, 3, 2, 16, 16);
    PixelRect empty = cellMapRect(g, 1, 0);
    QCOMPARE(pixel(img, int(empty.x0 + 3), int(empty.y0 + 3)), toBytes(shading::kEmptyCell));
    QVERIFY(!viewport_->hitTest(200, 200, view, empty.x0 + 3.5f, empty.y0 + 3.5f));
    PixelRect full = cellMapRect(g, 2, 0);
    QVERIFY(viewport_->hitTest(200, 200, view, full.x0 + 3.5f, full.y0 + 3.5f).has_value());
  }

  void bigModelGridFits() {
    // 30 layers x 12 heads in a modest window: maps shrink, thinner gaps, all inside.
    ViewState view;
    ViewGeometry g = computeGeometry(1280, 720, view, 30, 12, 256, 256);
    QCOMPARE(g.rows, 30);
    QCOMPARE(g.cols, 12);
    QVERIFY(g.mapW >= 10 && g.mapW == g.mapH);
    QVERIFY(g.gap >= 2);
    PixelRect last = cellMapRect(g, 29, 11);
    QVERIFY(last.x1 <= 1280 && last.y1 <= 720);
  }

  void hitTestRoundTripsInGrid() {
    const AttentionAtlas atlas = smallAtlas(3, 4, {0, 5});
    viewport_->setAtlas(atlas);
    QCOMPARE(viewport_->capturedSteps(), (std::vector<int>{0, 5}));
    ViewState view;
    view.step = 5;
    const int width = 500, height = 400;
    ViewGeometry g = computeGeometry(width, height, view, 3, 4, 16, 16);
    for (int layer = 0; layer < 3; ++layer)
      for (int head = 0; head < 4; ++head)
        for (int64_t q : {0, 7, 15})
          for (int64_t k : {0, 4, 15}) {
            PixelRect r = cellMapRect(g, layer, head);
            float x = r.x0 + (k + 0.5f) * g.mapW / 16, y = r.y0 + (q + 0.5f) * g.mapH / 16;
            auto hit = viewport_->hitTest(width, height, view, x, y);
            QVERIFY(hit.has_value());
            QCOMPARE(hit->layer, layer);
            QCOMPARE(hit->head, head);
            QCOMPARE(hit->qBlock, q);
            QCOMPARE(hit->kBlock, k);
            QCOMPARE(hit->value, pooled(atlas, 5, layer, head, q, k));
          }
    // Gaps, margins and outside hit nothing.
    QVERIFY(!viewport_->hitTest(width, height, view, g.originX + g.mapW + 0.5f * g.gap, g.originY + 5));
    QVERIFY(!viewport_->hitTest(width, height, view, 2, 2));
    QVERIFY(!viewport_->hitTest(width, height, view, -5, 50));
    QVERIFY(!viewport_->hitTest(width, height, view, width + 3, 50));
  }

  void hitTestAgreesWithRenderedPixelsInZoom() {
    // Zoomed and panned: whatever hitTest reports under a pixel is the colour drawn there.
    const AttentionAtlas atlas = smallAtlas(2, 3);
    viewport_->setAtlas(atlas);
    ViewState view;
    view.mode = ViewMode::Zoom;
    view.layer = 1;
    view.head = 2;
    view.zoom = 2.5f;
    view.panX = 0.3f;
    view.panY = 0.65f;
    view.showOverlay = false;
    view.showFrameBoundaries = false;
    const int width = 320, height = 240;
    RenderedImage img = viewport_->render(width, height, view);
    ViewGeometry g = computeGeometry(width, height, view, 2, 3, 16, 16);
    float mapMax = 0;
    for (int64_t q = 0; q < 16; ++q)
      for (int64_t k = 0; k < 16; ++k) mapMax = std::max(mapMax, pooled(atlas, 0, 1, 2, q, k));
    std::mt19937 rng(42);
    int checked = 0, outside = 0;
    std::set<std::pair<int64_t, int64_t>> blocksSeen;
    for (int i = 0; i < 400; ++i) {
      int x = int(rng() % width), y = int(rng() % height);
      auto hit = viewport_->hitTest(width, height, view, x + 0.5f, y + 0.5f);
      if (!hit) {
        QCOMPARE(pixel(img, x, y), toBytes(shading::kBackground));
        ++outside;
        continue;
      }
      QCOMPARE(hit->layer, 1);
      QCOMPARE(hit->head, 2);
      Rgb expected = toRgb(colormapRgb(Colormap::Viridis, hit->value / mapMax));
      QVERIFY2(colourDistance(pixel(img, x, y), expected) <= 2,
               qPrintable(QString("pixel %1,%2").arg(x).arg(y)));
      blocksSeen.insert({hit->qBlock, hit->kBlock});
      ++checked;
    }
    QVERIFY(checked > 200);
    QVERIFY(outside > 0);            // zoomed off-centre: part of the view is past the map's edge
    QVERIFY(blocksSeen.size() > 20);  // and several blocks are visible
    // Zoom 2.5 shows 1/2.5 of the map: the hit k-blocks span about 16/2.5 blocks.
    int64_t kMin = 99, kMax = -1;
    for (auto [q, k] : blocksSeen) kMin = std::min(kMin, k), kMax = std::max(kMax, k);
    QVERIFY(kMax - kMin <= 16 / 2.5 * (g.content.x1 - g.content.x0) / (g.mapW / 2.5f) + 1);
  }

  void zoomKeepsThePointUnderThePointer() {
    ViewState view;
    view.mode = ViewMode::Zoom;
    const int w = 400, h = 300;
    const float x = 250, y = 120;
    auto mapPoint = [&](const ViewState& v) {
      ViewGeometry g = computeGeometry(w, h, v, 1, 1, 16, 16);
      return std::make_pair((x - g.originX) / g.mapW, (y - g.originY) / g.mapH);
    };
    auto before = mapPoint(view);
    ViewState zoomed = zoomAbout(view, w, h, 16, 16, x, y, 2.0f);
    QCOMPARE(zoomed.zoom, 2.0f);
    auto after = mapPoint(zoomed);
    QVERIFY(std::abs(after.first - before.first) < 1e-4f && std::abs(after.second - before.second) < 1e-4f);
    // Zoom is clamped to [1, maxZoom]; out again to 1 returns the fitted view.
    QCOMPARE(zoomAbout(zoomed, w, h, 16, 16, x, y, 1000.0f).zoom, 64.0f);
    ViewState back = zoomAbout(zoomed, w, h, 16, 16, x, y, 0.1f);
    QCOMPARE(back.zoom, 1.0f);
    QCOMPARE(back.panX, 0.5f);
    QCOMPARE(back.panY, 0.5f);
    // Dragging by (dx, dy) moves the map point under the pointer by that many pixels.
    ViewState panned = panByPixels(zoomed, w, h, 16, 16, -30, 12);
    ViewGeometry g0 = computeGeometry(w, h, zoomed, 1, 1, 16, 16), g1 = computeGeometry(w, h, panned, 1, 1, 16, 16);
    QVERIFY(std::abs((g1.originX - g0.originX) - (-30)) < 1e-3f && std::abs((g1.originY - g0.originY) - 12) < 1e-3f);
    // The centre stays on the map however far one drags.
    ViewState far = panByPixels(zoomed, w, h, 16, 16, 1e6f, -1e6f);
    QCOMPARE(far.panX, 0.0f);
    QCOMPARE(far.panY, 1.0f);
  }

  void smallCellsShowMaxPooledPeaks() {
    // 64x64-block maps drawn in cells of ~16 pixels: every pixel covers about
    // 4x4 blocks. One spike block per map must still show, in the pixels whose
    // 4x4 block square (max-pooled level 2) contains it, and nowhere else.
    AttentionAtlas atlas = syntheticAtlas(2, 2, TokenGrid{4, 32, 32, 0}, BlockLayout::linear(64));
    const int64_t n = atlas.numBlocks();
    QCOMPARE(n, int64_t(64));
    for (auto& e : atlas.entries) {
      std::fill(e.pooled.begin(), e.pooled.end(), 1e-3f);
      for (int h = 0; h < 2; ++h) e.pooled[(h * n + 37) * n + 22] = 1.0f;  // spike at q 37, k 22
    }
    viewport_->setAtlas(atlas);
    ViewState view;
    view.showOverlay = false;
    view.showFrameBoundaries = false;
    const int width = 70, height = 56;
    RenderedImage img = viewport_->render(width, height, view);
    ViewGeometry g = computeGeometry(width, height, view, 2, 2, n, n);
    QVERIFY(g.mapW == g.mapH && g.mapW > 8 && g.mapW <= 16);  // 4 to 8 blocks per pixel: level 2
    const Rgb peak = toRgb(colormapRgb(Colormap::Viridis, 1.0f)), low = toRgb(colormapRgb(Colormap::Viridis, 1e-3f));
    for (int row = 0; row < 2; ++row)
      for (int col = 0; col < 2; ++col) {
        PixelRect r = cellMapRect(g, row, col);
        int peaks = 0;
        for (int y = int(r.y0); y < int(r.y1); ++y)
          for (int x = int(r.x0); x < int(r.x1); ++x) {
            int64_t k = std::min<int64_t>(int64_t((x + 0.5f - r.x0) / g.mapW * n), n - 1);
            int64_t q = std::min<int64_t>(int64_t((y + 0.5f - r.y0) / g.mapH * n), n - 1);
            bool inSquare = (q >> 2) == (37 >> 2) && (k >> 2) == (22 >> 2);
            QCOMPARE(pixel(img, x, y), inSquare ? peak : low);
            peaks += inSquare;
          }
        QVERIFY(peaks >= 1);
      }
    // Zoomed in, the same map shows the spike as the single block it is.
    view.mode = ViewMode::Zoom;
    RenderedImage zoom = viewport_->render(400, 400, view);
    ViewGeometry z = computeGeometry(400, 400, view, 2, 2, n, n);
    QCOMPARE(pixel(zoom, int(z.originX + 22.5f * z.mapW / n), int(z.originY + 37.5f * z.mapH / n)), peak);
    QCOMPARE(pixel(zoom, int(z.originX + 21.5f * z.mapW / n), int(z.originY + 37.5f * z.mapH / n)), low);
  }

  void atlasPreparedOnAWorkerWhileRendering() {
    // The GUI's path: prepare on a worker while this thread keeps rendering, then commit.
    viewport_->setAtlas(smallAtlas(2, 2));
    const AttentionAtlas next = smallAtlas(4, 3, {2});
    std::shared_ptr<const PreparedAtlas> prepared;
    std::thread worker([&] { prepared = viewport_->prepareAtlas(next); });
    ViewState view;
    view.showOverlay = false;
    for (int i = 0; i < 5; ++i) QCOMPARE(viewport_->render(200, 150, view).width, 200);
    worker.join();
    QVERIFY(prepared != nullptr);
    QCOMPARE(viewport_->capturedSteps(), (std::vector<int>{0}));  // nothing changed before the commit
    viewport_->commitAtlas(prepared);
    QCOMPARE(viewport_->capturedSteps(), (std::vector<int>{2}));
    ViewGeometry g = computeGeometry(200, 150, view, 4, 3, 16, 16);
    PixelRect r = cellMapRect(g, 3, 2);
    auto hit = viewport_->hitTest(200, 150, view, r.x0 + 0.5f, r.y0 + 0.5f);
    QVERIFY(hit.has_value());
    QCOMPARE(hit->layer, 3);
    QCOMPARE(hit->head, 2);
    QCOMPARE(hit->value, pooled(next, 2, 3, 2, 0, 0));
    // A bad atlas fails on the worker with the same message, and nothing is committed.
    AttentionAtlas empty = next;
    empty.entries.clear();
    QString message;
    std::thread failing([&] { message = errorOf([&] { viewport_->prepareAtlas(empty); }); });
    failing.join();
    QVERIFY2(message.contains("no captured attention maps"), qPrintable(message));
    QCOMPARE(viewport_->capturedSteps(), (std::vector<int>{2}));
  }

  void tiledLayoutMapsRoundTrip() {
    // Tiled(2,2,2) over 4x4x4 tokens: 8 blocks of 8 tokens in tile order.
    const AttentionAtlas atlas = syntheticAtlas(1, 2, TokenGrid{4, 4, 4, 0}, BlockLayout::tiled(2, 2, 2));
    QCOMPARE(atlas.numBlocks(), int64_t(8));
    viewport_->setAtlas(atlas);
    ViewState view;
    view.mode = ViewMode::Zoom;
    view.head = 1;
    view.showOverlay = false;
    ViewGeometry g = computeGeometry(240, 240, view, 1, 2, 8, 8);
    for (int64_t q = 0; q < 8; ++q)
      for (int64_t k = 0; k < 8; ++k) {
        auto hit = viewport_->hitTest(240, 240, view, g.originX + (k + 0.5f) * g.mapW / 8,
                                      g.originY + (q + 0.5f) * g.mapH / 8);
        QVERIFY(hit.has_value());
        QCOMPARE(hit->qBlock, q);
        QCOMPARE(hit->kBlock, k);
        QCOMPARE(hit->value, pooled(atlas, 0, 0, 1, q, k));
      }
  }

 private:
  std::unique_ptr<AtlasViewport> viewport_;
};

QTEST_APPLESS_MAIN(TestViewportLayout)
#include "test_viewport_layout.moc"
