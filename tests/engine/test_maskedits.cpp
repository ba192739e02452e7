// Mask edits (rectangle, row, column; head / layer / all-layer scope) on
// small plans built in the test, checked cell by cell, plus undo by snapshot.
#include <QtTest>

#include "engine/core/Error.h"
#include "engine/mask/MaskEdits.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

// grid 2x4x4 (32 tokens), linear(4) -> 8 x 8 blocks, 3 layers x 2 heads, all kept.
MaskPlan smallPlan() { return MaskPlan::full("tiny", TokenGrid::parse("2x4x4"), BlockLayout::linear(4), 3, 2); }

int64_t keptIn(const BlockMask& m, int64_t q0, int64_t q1, int64_t k0, int64_t k1) {
  int64_t n = 0;
  for (int64_t q = q0; q <= q1; ++q)
    for (int64_t k = k0; k <= k1; ++k) n += m.get(q, k);
  return n;
}

}  // namespace

class TestMaskEdits : public QObject {
  Q_OBJECT
 private slots:
  void rectangleErasesExactlyItsCells() {
    MaskPlan plan = smallPlan();
    MaskEdit e;
    e.layer = 1;
    e.head = 1;
    e.q0 = 5, e.q1 = 2, e.k0 = 6, e.k1 = 3;  // corners in any order
    e.keep = false;
    applyMaskEdit(plan, e);
    const BlockMask& m = plan.mask(1, 1);
    QCOMPARE(keptIn(m, 2, 5, 3, 6), int64_t(0));
    QCOMPARE(m.kept(), int64_t(64 - 16));
    QVERIFY(plan.mask(1, 0).full());  // other heads untouched
    QVERIFY(plan.mask(0, 1).full());
    QCOMPARE(plan.density(), (5 * 1.0 + 48.0 / 64.0) / 6.0);
  }

  void rectangleIsClampedToTheMask() {
    BlockMask m(4, 6, false);
    fillRectangle(m, -3, 1, 4, 99, true);
    QCOMPARE(m.kept(), int64_t(2 * 2));
    QVERIFY(m.get(0, 4) && m.get(1, 5) && !m.get(2, 4) && !m.get(0, 3));
  }

  void rowAndColumnFill() {
    BlockMask m(5, 7, false);
    fillRow(m, 3, true);
    QCOMPARE(m.kept(), int64_t(7));
    QCOMPARE(keptIn(m, 3, 3, 0, 6), int64_t(7));
    fillColumn(m, 2, true);
    QCOMPARE(m.kept(), int64_t(7 + 4));
    fillColumn(m, 2, false);
    QCOMPARE(m.kept(), int64_t(6));
    QVERIFY(!m.get(3, 2));
  }

  void scopeLayerAndAllLayers() {
    MaskPlan plan = smallPlan();
    MaskEdit row;
    row.shape = EditShape::Row;
    row.scope = EditScope::Layer;
    row.layer = 2;
    row.head = 0;
    row.q0 = 7;
    row.keep = false;
    applyMaskEdit(plan, row);
    for (int64_t h = 0; h < 2; ++h) QCOMPARE(plan.mask(2, h).kept(), int64_t(64 - 8));
    QVERIFY(plan.mask(1, 0).full());

    MaskEdit col;
    col.shape = EditShape::Column;
    col.scope = EditScope::AllLayers;
    col.k0 = 0;
    col.keep = false;
    applyMaskEdit(plan, col);
    for (int64_t l = 0; l < 3; ++l)
      for (int64_t h = 0; h < 2; ++h) {
        QCOMPARE(keptIn(plan.mask(l, h), 0, 7, 0, 0), int64_t(0));
        QCOMPARE(plan.mask(l, h).kept(), int64_t(l == 2 ? 64 - 8 - 7 : 64 - 8));
      }
  }

  void snapshotUndoesTheEdit() {
    MaskPlan plan = smallPlan();
    MaskEdit e;
    e.scope = EditScope::AllLayers;
    e.q1 = 7;
    e.k1 = 3;
    e.keep = false;
    MaskPlan original = plan;
    MaskSnapshot before = applyMaskEdit(plan, e);
    QCOMPARE(before.indices.size(), size_t(6));
    QCOMPARE(plan.density(), 0.5);
    MaskSnapshot after = snapshotMasks(plan, before.indices);
    restoreMasks(plan, before);
    QVERIFY(plan.masks == original.masks);
    restoreMasks(plan, after);  // redo
    QCOMPARE(plan.density(), 0.5);
  }

  void copyToLayer() {
    MaskPlan plan = smallPlan();
    fillRectangle(plan.mask(0, 1), 0, 7, 0, 7, false);
    fillRow(plan.mask(0, 1), 4, true);
    copyMaskToScope(plan, 0, 1, EditScope::Layer);
    QVERIFY(plan.mask(0, 0) == plan.mask(0, 1));
    QCOMPARE(plan.mask(0, 0).kept(), int64_t(8));
    QVERIFY(plan.mask(1, 0).full());
  }

  void badEditsThrowAndLeaveThePlan() {
    MaskPlan plan = smallPlan();
    MaskPlan original = plan;
    MaskEdit e;
    e.layer = 3;  // only 3 layers
    QVERIFY(errorOf([&] { applyMaskEdit(plan, e); }).contains("outside the plan's 3 layers x 2 heads"));
    e.layer = 0;
    e.shape = EditShape::Row;
    e.q0 = 8;
    e.keep = false;
    QVERIFY(errorOf([&] { applyMaskEdit(plan, e); }).contains("outside the mask's 0..7"));
    QVERIFY(plan.masks == original.masks);
  }
};

QTEST_APPLESS_MAIN(TestMaskEdits)
#include "test_maskedits.moc"
