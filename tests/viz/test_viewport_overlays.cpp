// What is drawn over the heatmap: the mask overlay (dropped blocks dimmed and
// hatched, kept blocks untouched), frame boundaries on both axes (linear and
// tiled layouts), and the Dear ImGui layer (hover read-out, legend, brush palette).
#include <QFile>
#include <QtTest>

#include <algorithm>
#include <cstdio>

#include "SyntheticAtlas.h"
#include "viz/AtlasViewport.h"
#include "viz/FrameBoundaries.h"
#include "viz/GridLayout.h"
#include "viz/HeatmapParams.h"

using namespace attnscope;
using namespace attnscope::viz;
using namespace attnscope::testing;

namespace {
ViewState zoomView() {
  ViewState v;
  v.mode = ViewMode::Zoom;
  v.showOverlay = false;
  v.showFrameBoundaries = false;
  return v;
}

// Keeps block (q, k) when (q + 2k) % 3 == 0, for every layer and head.
MaskPlan stripedPlan(const AttentionAtlas& a) {
  MaskPlan plan = MaskPlan::full(a.modelId, a.grid, a.layout, a.layers, a.heads);
  for (auto& mask : plan.masks)
    for (int64_t q = 0; q < mask.nq(); ++q)
      for (int64_t k = 0; k < mask.nk(); ++k) mask.set(q, k, (q + 2 * k) % 3 == 0);
  return plan;
}

}  // namespace

class TestViewportOverlays : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { viewport_ = std::make_unique<AtlasViewport>(); }
  void cleanupTestCase() { viewport_.reset(); }

  void maskOverlayDimsAndHatchesDroppedBlocks_data() {
    QTest::addColumn<int>("path");
    QTest::addRow("per-pixel") << int(ShadingPath::PerPixel);
    QTest::addRow("per-block") << int(ShadingPath::PerBlock);
  }

  void maskOverlayDimsAndHatchesDroppedBlocks() {
    QFETCH(int, path);
    viewport_->setShadingPath(ShadingPath(path));
    const AttentionAtlas atlas = smallAtlas(2, 2);
    const MaskPlan plan = stripedPlan(atlas);
    viewport_->setAtlas(atlas);
    viewport_->setMaskPlan(&plan);
    ViewState view = zoomView();
    view.layer = 1;
    view.head = 1;
    const int width = 340, height = 300;
    RenderedImage masked = viewport_->render(width, height, view);
    view.showMask = false;
    RenderedImage plain = viewport_->render(width, height, view);
    ViewGeometry g = computeGeometry(width, height, view, 2, 2, 16, 16);

    int keptChecked = 0, dimChecked = 0, hatchChecked = 0;
    for (int64_t q = 0; q < 16; ++q)
      for (int64_t k = 0; k < 16; ++k) {
        // Every pixel strictly inside the block (1 pixel margin).
        int x0 = int(g.originX + k * g.mapW / 16) + 1, x1 = int(g.originX + (k + 1) * g.mapW / 16) - 1;
        int y0 = int(g.originY + q * g.mapH / 16) + 1, y1 = int(g.originY + (q + 1) * g.mapH / 16) - 1;
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) {
            Rgb base = pixel(plain, x, y), got = pixel(masked, x, y);
            if (plan.mask(1, 1).get(q, k)) {
              QCOMPARE(got, base);  // kept: untouched
              ++keptChecked;
              continue;
            }
            Rgb expected;
            if (shading::hatchAt(x, y)) {
              expected = toBytes(shading::kHatch);
              ++hatchChecked;
            } else {
              // The dimmed colour, from the un-masked pixel.
              expected = {int(std::lround(base[0] * shading::kDroppedDim)),
                          int(std::lround(base[1] * shading::kDroppedDim)),
                          int(std::lround(base[2] * shading::kDroppedDim))};
              ++dimChecked;
            }
            QVERIFY2(colourDistance(got, expected) <= 2,
                     qPrintable(QString("dropped block q%1 k%2 pixel %3,%4: %5 vs %6")
                                    .arg(q).arg(k).arg(x).arg(y).arg(describe(got).c_str())
                                    .arg(describe(expected).c_str())));
          }
      }
    QVERIFY(keptChecked > 1000 && dimChecked > 1000 && hatchChecked > 300);
    saveSnapshot(masked, "zoom-mask");

    // Clearing the plan removes the overlay.
    viewport_->setMaskPlan(nullptr);
    view.showMask = true;
    QCOMPARE(viewport_->render(width, height, view).rgba, plain.rgba);
    viewport_->setShadingPath(ShadingPath::Auto);
  }

  void shadingPathsDrawTheSamePicture() {
    // Grid and zoom, with mask, boundaries and highlight: per-pixel and per-block shading agree.
    const AttentionAtlas atlas = smallAtlas(3, 4);
    const MaskPlan plan = stripedPlan(atlas);
    viewport_->setAtlas(atlas);
    viewport_->setMaskPlan(&plan);
    for (ViewMode mode : {ViewMode::Grid, ViewMode::Zoom}) {
      ViewState view;
      view.mode = mode;
      view.layer = 2;
      view.head = 3;
      view.zoom = mode == ViewMode::Zoom ? 1.7f : 1.0f;
      view.scaling = Scaling::Log;
      view.showOverlay = false;
      viewport_->setShadingPath(ShadingPath::PerPixel);
      RenderedImage perPixel = viewport_->render(420, 330, view);
      viewport_->setShadingPath(ShadingPath::PerBlock);
      RenderedImage perBlock = viewport_->render(420, 330, view);
      int worst = 0;
      for (int y = 0; y < 330; ++y)
        for (int x = 0; x < 420; ++x) worst = std::max(worst, colourDistance(pixel(perPixel, x, y), pixel(perBlock, x, y)));
      QVERIFY2(worst <= 1, qPrintable(QString("mode %1: largest difference %2").arg(int(mode)).arg(worst)));
    }
    viewport_->setShadingPath(ShadingPath::Auto);
    viewport_->setMaskPlan(nullptr);
  }

  void paintingUpdatesTheOverlayEveryTime() {
    // The UI sends the plan again after every stroke: each version must show.
    const AttentionAtlas atlas = smallAtlas(1, 1);
    viewport_->setAtlas(atlas);
    MaskPlan plan = MaskPlan::full(atlas.modelId, atlas.grid, atlas.layout, 1, 1);
    ViewState view = zoomView();
    const int width = 200, height = 200;
    ViewGeometry g = computeGeometry(width, height, view, 1, 1, 16, 16);
    auto blockPixel = [&](const RenderedImage& img, int q, int k) {
      // A pixel inside the block that hatching does not touch.
      int x = int(g.originX + (k + 0.5f) * g.mapW / 16), y = int(g.originY + (q + 0.5f) * g.mapH / 16);
      while (shading::hatchAt(x, y)) ++x;
      return pixel(img, x, y);
    };
    viewport_->setMaskPlan(&plan);
    RenderedImage allKept = viewport_->render(width, height, view);
    for (int stroke = 0; stroke < 3; ++stroke) {
      plan.mask(0, 0).set(stroke, stroke + 2, false);  // drop one more block
      viewport_->setMaskPlan(&plan);
      RenderedImage img = viewport_->render(width, height, view);
      for (int s = 0; s <= stroke; ++s) {
        Rgb kept = blockPixel(allKept, s, s + 2), now = blockPixel(img, s, s + 2);
        Rgb dimmed{int(std::lround(kept[0] * shading::kDroppedDim)), int(std::lround(kept[1] * shading::kDroppedDim)),
                   int(std::lround(kept[2] * shading::kDroppedDim))};
        QVERIFY2(colourDistance(now, dimmed) <= 2, qPrintable(QString("stroke %1 block %2").arg(stroke).arg(s)));
      }
      QCOMPARE(blockPixel(img, 9, 9), blockPixel(allKept, 9, 9));
    }
    viewport_->setMaskPlan(nullptr);
  }

  void frameBoundariesFromLayout() {
    // Linear(3) over 4-token frames: frames start inside blocks 1 and 2.
    FrameBoundaries linear = FrameBoundaries::compute(TokenGrid{3, 2, 2, 0}, BlockLayout::linear(3));
    QCOMPARE(linear.positions.size(), size_t(2));
    QCOMPARE(linear.positions[0], 4.0f / 3.0f);
    QCOMPARE(linear.positions[1], 8.0f / 3.0f);
    QCOMPARE(linear.firstFrame, (std::vector<int64_t>{1, 2}));
    // Tiled(2,2,2) over 4x4x4: tiles of frame pairs; a new frame group at block 4 (blockBox f0 0 -> 2).
    const TokenGrid grid{4, 4, 4, 0};
    const BlockLayout tiled = BlockLayout::tiled(2, 2, 2);
    FrameBoundaries t = FrameBoundaries::compute(grid, tiled);
    QCOMPARE(t.positions, (std::vector<float>{4.0f}));
    QCOMPARE(t.firstFrame, (std::vector<int64_t>{2}));
    QCOMPARE(tiled.blockBox(grid, 3).f0, int64_t(0));
    QCOMPARE(tiled.blockBox(grid, 4).f0, int64_t(2));
    QCOMPARE(t.minSpacing, 4.0f);
  }

  void frameBoundariesAreDrawnOnBothAxes() {
    const AttentionAtlas atlas = smallAtlas(1, 1);  // frames start at blocks 4, 8, 12
    viewport_->setAtlas(atlas);
    ViewState view = zoomView();
    const int width = 300, height = 300;
    RenderedImage plain = viewport_->render(width, height, view);
    view.showFrameBoundaries = true;
    RenderedImage lines = viewport_->render(width, height, view);
    ViewGeometry g = computeGeometry(width, height, view, 1, 1, 16, 16);
    auto boundaryColour = [](const Rgb& c) {
      Rgb out;
      for (int i = 0; i < 3; ++i)
        out[i] = int(std::lround((c[i] / 255.0f * (1 - shading::kBoundaryMix) + shading::kBoundaryMix) * 255));
      return out;
    };
    for (int b : {4, 8, 12}) {
      int column = int(std::floor(g.originX + b * g.mapW / 16));  // the pixel containing the boundary
      int row = int(std::floor(g.originY + b * g.mapH / 16));
      for (int along : {int(g.originY + 3), int(g.originY + g.mapH * 0.4f), int(g.originY + g.mapH - 4)}) {
        QVERIFY(colourDistance(pixel(lines, column, along), boundaryColour(pixel(plain, column, along))) <= 2);
        QCOMPARE(pixel(lines, column + 3, along), pixel(plain, column + 3, along));  // a line, not a band
        QCOMPARE(pixel(lines, column - 3, along), pixel(plain, column - 3, along));
      }
      int across = int(g.originX + g.mapW * 0.55f);
      QVERIFY(colourDistance(pixel(lines, across, row), boundaryColour(pixel(plain, across, row))) <= 2);
      QCOMPARE(pixel(lines, across, row + 3), pixel(plain, across, row + 3));
    }
    // Within a frame (block 2's middle) nothing changes.
    int inside = int(g.originX + 2.5f * g.mapW / 16);
    QCOMPARE(pixel(lines, inside, int(g.originY + 0.5f * g.mapH / 16)),
             pixel(plain, inside, int(g.originY + 0.5f * g.mapH / 16)));
  }

  void boundariesTooDenseAreLeftOut() {
    // Tiny cells: boundaries closer than 3 pixels would paint the map white; they are skipped.
    const AttentionAtlas atlas = smallAtlas(2, 2);
    viewport_->setAtlas(atlas);
    ViewState view;
    view.showOverlay = false;
    RenderedImage plain = viewport_->render(60, 60, view);
    view.showFrameBoundaries = false;
    QCOMPARE(viewport_->render(60, 60, view).rgba, plain.rgba);
  }

  void hoverReadoutNamesBlocksFramesAndMass() {
    // Linear(4) over 4 frames of 4x4: block b holds row b % 4 of frame b / 4.
    const AttentionAtlas atlas = smallAtlas(2, 2);
    MaskPlan plan = MaskPlan::full(atlas.modelId, atlas.grid, atlas.layout, 2, 2);
    for (int64_t k = 8; k < 16; ++k) plan.mask(1, 0).set(5, k, false);  // q-block 5 drops k-blocks 8..15
    viewport_->setAtlas(atlas);
    ViewState view = zoomView();
    view.layer = 1;
    view.head = 0;
    const int width = 300, height = 300;
    ViewGeometry g = computeGeometry(width, height, view, 2, 2, 16, 16);
    const float x = g.originX + 9.5f * g.mapW / 16, y = g.originY + 5.5f * g.mapH / 16;  // q 5, k 9
    QVERIFY(viewport_->hoverLines(width, height, view, 2, 2).empty());  // margin: nothing
    std::vector<std::string> lines = viewport_->hoverLines(width, height, view, x, y);
    QCOMPARE(int(lines.size()), 5);  // no mask: no kept-mass line
    QCOMPARE(QString::fromStdString(lines[0]), QString("step 0  layer 1  head 0"));
    QCOMPARE(QString::fromStdString(lines[1]), QString("q-block 5: f 1, y 1, x 0-3"));
    QCOMPARE(QString::fromStdString(lines[2]), QString("k-block 9: f 2, y 1, x 0-3"));
    char value[32];
    std::snprintf(value, sizeof value, "%.4f", pooled(atlas, 0, 1, 0, 5, 9));
    if (pooled(atlas, 0, 1, 0, 5, 9) < 1e-3f) std::snprintf(value, sizeof value, "%.2e", pooled(atlas, 0, 1, 0, 5, 9));
    QCOMPARE(QString::fromStdString(lines[3]), QString("value ") + value);
    QCOMPARE(QString::fromStdString(lines[4]), QString("row mass 1.0000"));  // rows sum to 1

    viewport_->setMaskPlan(&plan);
    lines = viewport_->hoverLines(width, height, view, x, y);
    QCOMPARE(int(lines.size()), 6);
    float keptMass = 0;
    for (int64_t k = 0; k < 8; ++k) keptMass += pooled(atlas, 0, 1, 0, 5, k);
    char kept[64];
    std::snprintf(kept, sizeof kept, "row mass kept %.4f (block dropped)", keptMass);
    QCOMPARE(QString::fromStdString(lines[5]), QString(kept));
    viewport_->setMaskPlan(nullptr);

    // Tiled(2,2,2): block 4 is the first tile of frames 2-3.
    const AttentionAtlas tiled = syntheticAtlas(1, 1, TokenGrid{4, 4, 4, 0}, BlockLayout::tiled(2, 2, 2));
    viewport_->setAtlas(tiled);
    view.layer = 0;
    ViewGeometry t = computeGeometry(width, height, view, 1, 1, 8, 8);
    lines = viewport_->hoverLines(width, height, view, t.originX + 3.5f * t.mapW / 8, t.originY + 4.5f * t.mapH / 8);
    QCOMPARE(QString::fromStdString(lines[1]), QString("q-block 4: f 2-3, y 0-1, x 0-1"));
    QCOMPARE(QString::fromStdString(lines[2]), QString("k-block 3: f 0-1, y 2-3, x 2-3"));
  }

  void imguiOverlayDrawsLegendAndHoverReadout() {
    const AttentionAtlas atlas = smallAtlas(2, 2);
    viewport_->setAtlas(atlas);
    ViewState view = zoomView();
    const int width = 480, height = 360;
    RenderedImage bare = viewport_->render(width, height, view);
    view.showOverlay = true;
    RenderedImage legend = viewport_->render(width, height, view);
    saveSnapshot(legend, "overlay-legend");
    QVERIFY(legend.rgba != bare.rgba);
    // The legend's colour bar (bottom right) shows the colormap: find pixels
    // matching viridis at several t along one row of that corner.
    int matches = 0;
    for (float t : {0.1f, 0.3f, 0.5f, 0.7f, 0.9f}) {
      Rgb want = toRgb(colormapRgb(Colormap::Viridis, t));
      bool found = false;
      for (int y = height - 80; y < height && !found; ++y)
        for (int x = width - 200; x < width && !found; ++x) found = colourDistance(pixel(legend, x, y), want) <= 6;
      matches += found;
    }
    QVERIFY2(matches >= 4, qPrintable(QString("legend colours found: %1 of 5").arg(matches)));

    // Hovering a block adds the read-out near the pointer.
    ViewGeometry g = computeGeometry(width, height, view, 2, 2, 16, 16);
    PointerInput pointer;
    pointer.x = g.originX + 0.2f * g.mapW;
    pointer.y = g.originY + 0.2f * g.mapH;
    RenderedImage hover = viewport_->render(width, height, view, pointer);
    saveSnapshot(hover, "overlay-hover");
    int changedNearPointer = 0;
    for (int y = int(pointer.y) + 20; y < int(pointer.y) + 60; ++y)
      for (int x = int(pointer.x) + 20; x < int(pointer.x) + 120; ++x)
        changedNearPointer += pixel(hover, x, y) != pixel(legend, x, y);
    QVERIFY2(changedNearPointer > 500, qPrintable(QString("%1 pixels changed").arg(changedNearPointer)));
    QVERIFY(!viewport_->overlay().wantsPointer);
  }

  void gridSnapshot() {
    // A picture for people (build/viz-snapshots/grid.png): the grid with a mask, boundaries and overlay.
    const AttentionAtlas atlas = smallAtlas(3, 4);
    const MaskPlan plan = stripedPlan(atlas);
    viewport_->setAtlas(atlas);
    viewport_->setMaskPlan(&plan);
    ViewState view;
    view.layer = 1;
    view.head = 2;
    view.colormap = Colormap::Inferno;
    view.scaling = Scaling::Log;
    PointerInput pointer;
    pointer.x = 150;
    pointer.y = 120;
    RenderedImage img = viewport_->render(640, 440, view, pointer);
    saveSnapshot(img, "grid");
    QVERIFY(QFile::exists(QStringLiteral(ATTNSCOPE_BINARY_DIR "/viz-snapshots/grid.png")));
    viewport_->setMaskPlan(nullptr);
  }

  void heatmapIsRedrawnOnlyWhenItChanges() {
    const AttentionAtlas atlas = smallAtlas(2, 2);
    viewport_->setAtlas(atlas);
    ViewState view;  // grid, overlay on
    const int width = 360, height = 280;
    PointerInput pointer;
    pointer.x = 60;
    pointer.y = 60;
    RenderedImage first = viewport_->render(width, height, view, pointer);
    const int64_t draws = viewport_->heatmapDraws();
    for (int i = 0; i < 3; ++i) {  // only the pointer moves: the cached heatmap is reused
      pointer.x += 7;
      viewport_->render(width, height, view, pointer);
    }
    QCOMPARE(viewport_->heatmapDraws(), draws);
    // Under no ImGui content the reused heatmap is pixel for pixel the fresh one.
    view.showOverlay = false;
    RenderedImage bare = viewport_->render(width, height, view);
    QCOMPARE(viewport_->heatmapDraws(), draws);
    ViewGeometry g = computeGeometry(width, height, view, 2, 2, 16, 16);
    PixelRect lastCell = cellMapRect(g, 1, 0);
    for (int y = int(lastCell.y0); y < int(lastCell.y1); y += 3)
      QCOMPARE(pixel(first, int(lastCell.x0) + 5, y), pixel(bare, int(lastCell.x0) + 5, y));
    // Anything the heatmap shows changes it: colormap, mask plan, step, size.
    view.colormap = Colormap::Magma;
    RenderedImage magma = viewport_->render(width, height, view);
    QCOMPARE(viewport_->heatmapDraws(), draws + 1);
    QVERIFY(magma.rgba != bare.rgba);
    MaskPlan plan = stripedPlan(atlas);
    viewport_->setMaskPlan(&plan);
    QVERIFY(viewport_->render(width, height, view).rgba != magma.rgba);
    QCOMPARE(viewport_->heatmapDraws(), draws + 2);
    viewport_->render(width + 1, height, view);
    QCOMPARE(viewport_->heatmapDraws(), draws + 3);
    viewport_->setMaskPlan(nullptr);
  }

  void brushPaletteSelectsEveryTool() {
    viewport_->setAtlas(smallAtlas(1, 1));
    ViewState view;
    const int width = 400, height = 300;
    std::vector<BrushTool> seen;
    PointerInput pointer;
    pointer.x = width - 50.0f;
    bool paletteCapturedPointer = false;
    // Click down the palette's column (top right); each row selects its tool.
    for (int y = 10; y < 160; y += 3) {
      pointer.y = float(y);
      pointer.down[0] = false;
      viewport_->render(width, height, view, pointer);
      paletteCapturedPointer |= viewport_->overlay().wantsPointer;
      pointer.down[0] = true;
      viewport_->render(width, height, view, pointer);
      pointer.down[0] = false;
      viewport_->render(width, height, view, pointer);
      BrushTool now = viewport_->overlay().brush;
      if (seen.empty() || seen.back() != now) seen.push_back(now);
    }
    QVERIFY(paletteCapturedPointer);
    // Rectangle is the default; clicking down the column visits all five tools in order.
    std::vector<BrushTool> expected{BrushTool::Rectangle, BrushTool::Brush, BrushTool::Rectangle,
                                    BrushTool::Erase, BrushTool::FillRow, BrushTool::FillColumn};
    QVERIFY2(seen == expected, qPrintable(QString("%1 tool changes").arg(seen.size())));
    // The UI can set the tool too (keyboard shortcut).
    viewport_->setBrush(BrushTool::Erase);
    QCOMPARE(int(viewport_->overlay().brush), int(BrushTool::Erase));
  }

 private:
  std::unique_ptr<AtlasViewport> viewport_;
};

QTEST_APPLESS_MAIN(TestViewportOverlays)
#include "test_viewport_overlays.moc"
