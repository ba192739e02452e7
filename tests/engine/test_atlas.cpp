// AttentionAtlas on disk: random atlases round-trip exactly in both layouts,
// and files that are not atlases, or broken ones, are named precisely.
#include <QTemporaryDir>
#include <QtTest>

#include <functional>
#include <random>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/core/Error.h"
#include "engine/io/Safetensors.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

std::vector<float> randomValues(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> u(0.001f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

// 2 steps x 2 layers, cross captured, random contents.
AttentionAtlas randomAtlas(std::mt19937& rng, BlockLayout layout) {
  AttentionAtlas a;
  a.modelId = "attnscope-tiny-t2v";
  a.grid = TokenGrid{4, 4, 6, 5};
  a.layout = layout;
  a.heads = 3;
  a.layers = 2;
  a.totalSteps = 10;
  a.textTokens = {"a", "red", "ball", "\"quoted\"", "<pad>"};
  const int64_t n = a.grid.videoTokens(), nb = a.numBlocks();
  for (int step : {2, 7})
    for (int layer : {0, 1}) {
      AtlasEntry e;
      e.step = step;
      e.layer = layer;
      e.pooled = randomValues(rng, a.heads * nb * nb);
      e.sink = randomValues(rng, a.heads * n);
      e.entropy = randomValues(rng, a.heads * n);
      e.cross = randomValues(rng, a.heads * n * a.grid.text);
      e.offsets = randomValues(rng, a.heads * a.offsetBins());
      a.entries.push_back(std::move(e));
    }
  return a;
}

void compareAtlases(const AttentionAtlas& x, const AttentionAtlas& y) {
  QCOMPARE(x.modelId, y.modelId);
  QVERIFY(x.grid == y.grid);
  QVERIFY(x.layout == y.layout);
  QCOMPARE(x.heads, y.heads);
  QCOMPARE(x.layers, y.layers);
  QCOMPARE(x.totalSteps, y.totalSteps);
  QCOMPARE(x.textTokens, y.textTokens);
  QCOMPARE(x.entries.size(), y.entries.size());
  for (size_t i = 0; i < x.entries.size(); ++i) {
    const AtlasEntry &a = x.entries[i], &b = y.entries[i];
    QCOMPARE(a.step, b.step);
    QCOMPARE(a.layer, b.layer);
    QVERIFY(a.pooled == b.pooled);  // bitwise-equal floats
    QVERIFY(a.sink == b.sink);
    QVERIFY(a.entropy == b.entropy);
    QVERIFY(a.cross == b.cross);
    QVERIFY(a.offsets == b.offsets);
  }
}

// Rewrites an atlas file tensor by tensor, letting `edit` change the list or metadata.
void rewrite(const std::string& from, const std::string& to,
             const std::function<void(std::vector<TensorToWrite>&, std::map<std::string, std::string>&)>& edit) {
  SafetensorsFile file(from);
  std::vector<TensorToWrite> tensors;
  for (const TensorInfo& t : file.tensors()) tensors.push_back({t.name, t.dtype, t.shape, file.data(t)});
  auto metadata = file.metadata();
  edit(tensors, metadata);
  writeSafetensors(to, tensors, metadata);
}

}  // namespace

class TestAtlas : public QObject {
  Q_OBJECT

 private slots:
  void roundTripIsExact_data() {
    QTest::addColumn<QString>("layout");
    QTest::newRow("linear") << "linear(7)";   // 96 tokens -> 14 blocks, the last one short
    QTest::newRow("tiled") << "tiled(2,2,3)";  // 8 tiles of 12 tokens
  }

  void roundTripIsExact() {
    QFETCH(QString, layout);
    std::mt19937 rng(21);
    AttentionAtlas atlas = randomAtlas(rng, BlockLayout::parse(layout.toStdString()));
    std::swap(atlas.entries[0], atlas.entries[3]);  // save sorts by (step, layer)
    QTemporaryDir dir;
    const std::string path = dir.filePath("atlas.safetensors").toStdString();
    atlas.save(path);

    SafetensorsFile raw(path);  // the documented on-disk names, shapes and metadata
    const int64_t nb = atlas.numBlocks();
    QCOMPARE(raw.at("self/step7/layer1").shape, (std::vector<int64_t>{3, nb, nb}));
    QCOMPARE(raw.at("sink/step2/layer0").shape, (std::vector<int64_t>{3, 96}));
    QCOMPARE(raw.at("entropy/step2/layer1").shape, (std::vector<int64_t>{3, 96}));
    QCOMPARE(raw.at("cross/step7/layer0").shape, (std::vector<int64_t>{3, 96, 5}));
    QCOMPARE(raw.metadata().at("format"), std::string("attnscope.atlas"));
    QCOMPARE(raw.metadata().at("version"), std::string("1"));
    QCOMPARE(raw.metadata().at("grid"), std::string("4x4x6"));
    QCOMPARE(raw.metadata().at("text"), std::string("5"));
    QCOMPARE(raw.metadata().at("layout"), layout.toStdString());
    QCOMPARE(raw.metadata().at("block_size"), std::to_string(atlas.layout.blockSize()));
    QCOMPARE(raw.metadata().at("steps"), std::string("10"));

    const AttentionAtlas back = AttentionAtlas::load(path);
    std::sort(atlas.entries.begin(), atlas.entries.end(),
              [](const AtlasEntry& a, const AtlasEntry& b) { return std::tie(a.step, a.layer) < std::tie(b.step, b.layer); });
    compareAtlases(atlas, back);
    QCOMPARE(back.capturedSteps(), (std::vector<int>{2, 7}));
    QVERIFY(back.find(7, 0) == &back.entries[2]);
    QVERIFY(back.find(3, 0) == nullptr);
  }

  void crossIsOptional() {
    std::mt19937 rng(5);
    AttentionAtlas atlas = randomAtlas(rng, BlockLayout::linear(16));
    for (auto& e : atlas.entries) e.cross.clear();
    QTemporaryDir dir;
    const std::string path = dir.filePath("nocross.safetensors").toStdString();
    atlas.save(path);
    QVERIFY(SafetensorsFile(path).find("cross/step2/layer0") == nullptr);
    compareAtlases(atlas, AttentionAtlas::load(path));
  }

  void offsetsAreOptionalAndChecked() {
    std::mt19937 rng(6);
    AttentionAtlas atlas = randomAtlas(rng, BlockLayout::linear(16));
    QVERIFY(atlas.hasOffsets());
    QTemporaryDir dir;
    const std::string path = dir.filePath("offsets.safetensors").toStdString();
    atlas.save(path);
    // [heads, 2F-1, 2H-1, 2W-1] for the 4x4x6 grid.
    QCOMPARE(SafetensorsFile(path).at("offsets/step7/layer1").shape, (std::vector<int64_t>{3, 7, 7, 11}));
    compareAtlases(atlas, AttentionAtlas::load(path));

    // An atlas from before offsets existed still loads, and says it has none.
    for (auto& e : atlas.entries) e.offsets.clear();
    const std::string old = dir.filePath("old.safetensors").toStdString();
    atlas.save(old);
    AttentionAtlas back = AttentionAtlas::load(old);
    QVERIFY(!back.hasOffsets());
    compareAtlases(atlas, back);

    atlas.entries[1].offsets.assign(5, 0.1f);
    const QString msg = errorOf([&] { atlas.save(dir.filePath("bad.safetensors").toStdString()); });
    QVERIFY2(msg.contains("offsets/step2/layer1") && msg.contains("[3, 7, 7, 11]"), qPrintable(msg));
  }

  void safetensorsThatIsNotAnAtlas() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("weights.safetensors").toStdString();
    const float w[4] = {0.5f, 1.5f, -2.0f, 3.0f};
    writeSafetensors(path, {{"blocks.0.attn.q.weight", DType::F32, {2, 2}, w}}, {{"format", "pt"}});
    const QString msg = errorOf([&] { AttentionAtlas::load(path); });
    QVERIFY2(msg.contains(QString::fromStdString(path)) && msg.contains("not an AttnScope atlas") &&
                 msg.contains("'pt'"),
             qPrintable(msg));
  }

  void missingSinkIsNamed() {
    std::mt19937 rng(8);
    QTemporaryDir dir;
    const std::string good = dir.filePath("good.safetensors").toStdString();
    const std::string bad = dir.filePath("nosink.safetensors").toStdString();
    randomAtlas(rng, BlockLayout::linear(8)).save(good);
    rewrite(good, bad, [](auto& tensors, auto&) {
      tensors.erase(std::remove_if(tensors.begin(), tensors.end(),
                                   [](const TensorToWrite& t) { return t.name == "sink/step7/layer1"; }),
                    tensors.end());
    });
    const QString msg = errorOf([&] { AttentionAtlas::load(bad); });
    QVERIFY2(msg.contains("sink/step7/layer1") && msg.contains("missing"), qPrintable(msg));
  }

  void misShapedSelfIsNamed() {
    std::mt19937 rng(9);
    QTemporaryDir dir;
    const std::string good = dir.filePath("good.safetensors").toStdString();
    const std::string bad = dir.filePath("shape.safetensors").toStdString();
    randomAtlas(rng, BlockLayout::tiled(2, 2, 3)).save(good);  // 8 blocks
    rewrite(good, bad, [](auto& tensors, auto&) {
      for (auto& t : tensors)
        if (t.name == "self/step2/layer1") t.shape = {3, 4, 16};  // same bytes, wrong shape
    });
    const QString msg = errorOf([&] { AttentionAtlas::load(bad); });
    QVERIFY2(msg.contains("self/step2/layer1") && msg.contains("[3, 4, 16]") && msg.contains("[3, 8, 8]"),
             qPrintable(msg));
  }

  void unparsableGridIsNamed() {
    std::mt19937 rng(10);
    QTemporaryDir dir;
    const std::string good = dir.filePath("good.safetensors").toStdString();
    const std::string bad = dir.filePath("grid.safetensors").toStdString();
    randomAtlas(rng, BlockLayout::linear(8)).save(good);
    rewrite(good, bad, [](auto&, auto& metadata) { metadata["grid"] = "4 by 4 by 6"; });
    const QString msg = errorOf([&] { AttentionAtlas::load(bad); });
    QVERIFY2(msg.contains("'grid'") && msg.contains("4 by 4 by 6") && msg.contains(QString::fromStdString(bad)),
             qPrintable(msg));
  }

  void otherMetadataProblemsAreNamed() {
    std::mt19937 rng(11);
    QTemporaryDir dir;
    const std::string good = dir.filePath("good.safetensors").toStdString();
    const std::string bad = dir.filePath("meta.safetensors").toStdString();
    randomAtlas(rng, BlockLayout::linear(8)).save(good);
    const std::vector<std::pair<std::function<void(std::map<std::string, std::string>&)>, QStringList>> cases = {
        {[](auto& m) { m.erase("heads"); }, {"'heads'", "missing"}},
        {[](auto& m) { m["layers"] = "two"; }, {"'layers'", "two"}},
        {[](auto& m) { m["version"] = "9"; }, {"'version'", "9"}},
        {[](auto& m) { m["text_tokens"] = "[1,2]"; }, {"'text_tokens'", "non-string"}},
        {[](auto& m) { m["block_size"] = "9"; }, {"'block_size'", "linear(8)"}},
        {[](auto& m) { m["steps"] = "5"; }, {"step7", "5 steps"}},
    };
    for (const auto& [edit, words] : cases) {
      rewrite(good, bad, [&](auto&, auto& metadata) { edit(metadata); });
      const QString msg = errorOf([&] { AttentionAtlas::load(bad); });
      for (const QString& w : words) QVERIFY2(msg.contains(w), qPrintable("'" + w + "' missing from: " + msg));
    }
  }

  void saveRejectsInconsistentAtlas() {
    std::mt19937 rng(12);
    QTemporaryDir dir;
    AttentionAtlas atlas = randomAtlas(rng, BlockLayout::linear(8));
    atlas.entries[1].entropy.pop_back();
    const QString msg = errorOf([&] { atlas.save(dir.filePath("x.safetensors").toStdString()); });
    QVERIFY2(msg.contains("entropy/step2/layer1"), qPrintable(msg));
  }
};

QTEST_APPLESS_MAIN(TestAtlas)
#include "test_atlas.moc"
