// Bad input never crashes the viewport: each case throws attnscope::Error
// with a message naming the fault, or follows the documented fallback, and
// the viewport keeps working afterwards.
#include <QtTest>

#include <cstdlib>

#include "SyntheticAtlas.h"
#include "tests/support/ErrorMessage.h"
#include "viz/AtlasViewport.h"

using namespace attnscope;
using namespace attnscope::viz;
using namespace attnscope::testing;

class TestViewportErrors : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { viewport_ = std::make_unique<AtlasViewport>(); }
  void cleanupTestCase() { viewport_.reset(); }

  void renderWithoutAtlasShowsBackground() {
    AtlasViewport fresh;
    QVERIFY(!fresh.hasAtlas());
    ViewState view;
    view.showOverlay = false;
    RenderedImage img = fresh.render(50, 40, view);
    QCOMPARE(pixel(img, 25, 20), toBytes({0.09f, 0.09f, 0.11f}));
    QVERIFY(!fresh.hitTest(50, 40, view, 25, 20));
    view.showOverlay = true;  // the overlay says so, and still renders
    QCOMPARE(fresh.render(200, 100, view).width, 200);
  }

  void atlasWithoutEntriesIsRefused() {
    viewport_->setAtlas(smallAtlas(2, 2));
    AttentionAtlas empty = smallAtlas(2, 2);
    empty.entries.clear();
    QString message = errorOf([&] { viewport_->setAtlas(empty); });
    QVERIFY2(message.contains("no captured attention maps"), qPrintable(message));
    QVERIFY(viewport_->hasAtlas());  // the previous atlas stays
    QCOMPARE(viewport_->render(64, 64, {}).width, 64);
  }

  void misShapedAtlasIsRefused() {
    AttentionAtlas wrongSize = smallAtlas(2, 2);
    wrongSize.entries[1].pooled.pop_back();
    QString message = errorOf([&] { viewport_->setAtlas(wrongSize); });
    QVERIFY2(message.contains("step 0 layer 1") && message.contains("2x16x16"), qPrintable(message));

    AttentionAtlas badLayer = smallAtlas(2, 2);
    badLayer.entries[1].layer = 7;
    message = errorOf([&] { viewport_->setAtlas(badLayer); });
    QVERIFY2(message.contains("layer 7") && message.contains("2 layers"), qPrintable(message));

    AttentionAtlas noHeads = smallAtlas(2, 2);
    noHeads.heads = 0;
    message = errorOf([&] { viewport_->setAtlas(noHeads); });
    QVERIFY2(message.contains("0 heads"), qPrintable(message));

    AttentionAtlas badTile = syntheticAtlas(1, 1, TokenGrid{4, 4, 4, 0}, BlockLayout::linear(16));
    badTile.layout = BlockLayout::tiled(3, 2, 2);
    message = errorOf([&] { viewport_->setAtlas(badTile); });
    QVERIFY2(message.contains("does not divide"), qPrintable(message));
  }

  void maskPlanOfOtherShapeIsRefused() {
    const AttentionAtlas atlas = smallAtlas(2, 2);
    viewport_->setAtlas(atlas);
    MaskPlan fits = MaskPlan::full(atlas.modelId, atlas.grid, atlas.layout, 2, 2);
    viewport_->setMaskPlan(&fits);

    MaskPlan otherHeads = MaskPlan::full(atlas.modelId, atlas.grid, atlas.layout, 2, 3);
    QString message = errorOf([&] { viewport_->setMaskPlan(&otherHeads); });
    QVERIFY2(message.contains("2 layers x 3 heads") && message.contains("2 layers x 2 heads"), qPrintable(message));

    MaskPlan otherBlocks = MaskPlan::full(atlas.modelId, atlas.grid, BlockLayout::linear(8), 2, 2);
    message = errorOf([&] { viewport_->setMaskPlan(&otherBlocks); });
    QVERIFY2(message.contains("8x8 blocks") && message.contains("16x16 blocks"), qPrintable(message));

    MaskPlan brokenMask = fits;
    brokenMask.masks[3] = BlockMask(5, 5, true);
    message = errorOf([&] { viewport_->setMaskPlan(&brokenMask); });
    QVERIFY2(message.contains("layer 1 head 1") && message.contains("5x5"), qPrintable(message));

    MaskPlan missingMasks = fits;
    missingMasks.masks.pop_back();
    message = errorOf([&] { viewport_->setMaskPlan(&missingMasks); });
    QVERIFY2(message.contains("3 masks"), qPrintable(message));
    QCOMPARE(viewport_->render(64, 64, {}).width, 64);
  }

  void planSetBeforeAMismatchedAtlasIsDropped() {
    // Documented fallback: commitAtlas drops a plan that does not fit the new atlas.
    AtlasViewport fresh;
    const AttentionAtlas small = smallAtlas(2, 2);
    MaskPlan none = MaskPlan::full(small.modelId, small.grid, small.layout, 2, 2);
    for (auto& m : none.masks) m.fill(false);  // drops everything: very visible if drawn
    fresh.setMaskPlan(&none);
    const AttentionAtlas other = smallAtlas(3, 2);
    fresh.setAtlas(other);
    ViewState view;
    view.showOverlay = false;
    RenderedImage withPlanDropped = fresh.render(120, 120, view);
    fresh.setMaskPlan(nullptr);
    QCOMPARE(fresh.render(120, 120, view).rgba, withPlanDropped.rgba);
    // A plan that fits is drawn (dropping every block changes the picture).
    fresh.setAtlas(small);
    fresh.setMaskPlan(&none);
    RenderedImage masked = fresh.render(120, 120, view);
    fresh.setMaskPlan(nullptr);
    QVERIFY(fresh.render(120, 120, view).rgba != masked.rgba);
  }

  void badViewsAreRefused() {
    viewport_->setAtlas(smallAtlas(2, 2, {0, 4}));
    ViewState view;
    view.step = 3;
    QString message = errorOf([&] { viewport_->render(64, 64, view); });
    QVERIFY2(message.contains("step 3") && message.contains("0, 4"), qPrintable(message));
    view.step = -1;
    view.mode = ViewMode::Zoom;
    view.layer = 5;
    message = errorOf([&] { viewport_->render(64, 64, view); });
    QVERIFY2(message.contains("layer 5") && message.contains("2 layers"), qPrintable(message));
    QVERIFY(!viewport_->hitTest(64, 64, view, 32, 32));
    view.layer = 0;
    message = errorOf([&] { viewport_->render(0, 64, view); });
    QVERIFY2(message.contains("0x64"), qPrintable(message));
    message = errorOf([&] { viewport_->render(64, 100000, view); });
    QVERIFY2(message.contains("64x100000"), qPrintable(message));
    QCOMPARE(viewport_->render(64, 64, view).width, 64);  // still fine
  }

  void missingVulkanDriverIsAnError() {
    // Point the Vulkan loader at a driver list that does not exist.
    const QByteArray saved = qgetenv("VK_ICD_FILENAMES");
    const QByteArray savedDrivers = qgetenv("VK_DRIVER_FILES");
    qputenv("VK_ICD_FILENAMES", "/nonexistent/attnscope_no_driver.json");
    qputenv("VK_DRIVER_FILES", "/nonexistent/attnscope_no_driver.json");
    QString message = errorOf([] { AtlasViewport v; });
    auto restore = [](const char* name, const QByteArray& value) {
      if (value.isNull()) qunsetenv(name);
      else qputenv(name, value);
    };
    restore("VK_ICD_FILENAMES", saved);
    restore("VK_DRIVER_FILES", savedDrivers);
    QVERIFY2(message.contains("Vulkan") && (message.contains("driver") || message.contains("device")),
             qPrintable(message));
    QVERIFY(!AtlasViewport().deviceName().empty());  // and with the driver back, it works
  }

 private:
  std::unique_ptr<AtlasViewport> viewport_;
};

QTEST_APPLESS_MAIN(TestViewportErrors)
#include "test_viewport_errors.moc"
