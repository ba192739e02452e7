// MaskPlan files: exact round trip, refusal of plans made for another run, and
// clear errors for every kind of malformed file.
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <functional>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/core/Error.h"
#include "engine/mask/Base64.h"
#include "engine/mask/MaskPlan.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;
using nlohmann::json;

namespace {

MaskPlan randomPlan(const BlockLayout& layout, unsigned seed) {
  TokenGrid grid = TokenGrid::parse("4x8x8+7");
  MaskPlan plan = MaskPlan::full("tiny-dit", grid, layout, 3, 2);
  std::mt19937 rng(seed);
  std::bernoulli_distribution keep(0.35);
  for (BlockMask& m : plan.masks)
    for (int64_t q = 0; q < m.nq(); ++q)
      for (int64_t k = 0; k < m.nk(); ++k) m.set(q, k, keep(rng));
  plan.denseWarmupSteps = 3;
  plan.provenance.method = "strategy";
  plan.provenance.strategy = "topk";
  plan.provenance.paramsJson = R"({"k":3})";
  plan.provenance.source = "runs/atlas.safetensors";
  plan.provenance.created = "2024-05-01T12:00:00Z";
  return plan;
}

json readJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

bool contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return true;
  qWarning("message \"%s\" lacks \"%s\"", text.c_str(), part.c_str());
  return false;
}

}  // namespace

class TestMaskPlan : public QObject {
  Q_OBJECT

 private slots:
  void base64MatchesKnownVectors() {
    // RFC 4648 test vectors.
    const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; ++i) {
      std::string s = plain[i];
      std::vector<uint8_t> bytes(s.begin(), s.end());
      QCOMPARE(base64Encode(bytes), std::string(coded[i]));
      QVERIFY(base64Decode(coded[i]) == bytes);
    }
    std::vector<uint8_t> all(256);
    for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
    QVERIFY(base64Decode(base64Encode(all)) == all);
    QVERIFY(contains(errorText([] { base64Decode("Zm9*"); }), "'*' at position 3"));
    QVERIFY(contains(errorText([] { base64Decode("Zm9"); }), "multiple of 4"));
  }

  void roundTripIsExact_data() {
    QTest::addColumn<QString>("layout");
    QTest::newRow("linear, short last block") << "linear(48)";  // 256 tokens -> 6 blocks, 36 bits
    QTest::newRow("tiled") << "tiled(2,4,4)";                   // 16 blocks
  }
  void roundTripIsExact() {
    QFETCH(QString, layout);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::string path = dir.filePath("plan.json").toStdString();
    MaskPlan plan = randomPlan(BlockLayout::parse(layout.toStdString()), 7);
    plan.save(path);
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));

    MaskPlan back = MaskPlan::load(path);
    QCOMPARE(back.modelId, plan.modelId);
    QVERIFY(back.grid == plan.grid);  // text count included
    QVERIFY(back.layout == plan.layout);
    QCOMPARE(back.layers, plan.layers);
    QCOMPARE(back.heads, plan.heads);
    QCOMPARE(back.denseWarmupSteps, 3);
    QCOMPARE(back.provenance.method, plan.provenance.method);
    QCOMPARE(back.provenance.strategy, plan.provenance.strategy);
    QCOMPARE(json::parse(back.provenance.paramsJson), json::parse(plan.provenance.paramsJson));
    QCOMPARE(back.provenance.source, plan.provenance.source);
    QCOMPARE(back.provenance.created, plan.provenance.created);
    QCOMPARE(back.masks.size(), plan.masks.size());
    for (size_t i = 0; i < plan.masks.size(); ++i) QVERIFY(back.masks[i] == plan.masks[i]);
    QCOMPARE(back.loadedFrom, path);
    // The random masks are neither empty nor full, so the comparison means something.
    QVERIFY(plan.density() > 0.2 && plan.density() < 0.5);
    QCOMPARE(back.density(), plan.density());
  }

  void densityIsMeanOverHeads() {
    MaskPlan plan = MaskPlan::full("m", TokenGrid::parse("2x4x4"), BlockLayout::linear(8), 2, 2);  // 4x4 blocks
    QCOMPARE(plan.density(), 1.0);
    plan.mask(1, 0).fill(false);
    plan.mask(1, 1).set(0, 0, false);  // 15 of 16 kept
    QCOMPARE(plan.layerDensity(0), 1.0);
    QCOMPARE(plan.layerDensity(1), (0.0 + 15.0 / 16.0) / 2.0);
    QCOMPARE(plan.density(), (2.0 + 15.0 / 16.0) / 4.0);
    QVERIFY(contains(errorText([&] { plan.layerDensity(2); }), "layer 2"));
  }

  void mismatchedRunIsRefused() {
    QTemporaryDir dir;
    std::string path = dir.filePath("plan.json").toStdString();
    randomPlan(BlockLayout::linear(64), 1).save(path);
    MaskPlan plan = MaskPlan::load(path);
    TokenGrid grid = TokenGrid::parse("4x8x8+99");  // another text count is fine
    plan.checkCompatible("tiny-dit", grid, 3, 2);

    std::string model = errorText([&] { plan.checkCompatible("wan2.1-t2v-1.3b", grid, 3, 2); });
    QVERIFY(contains(model, "plan.json"));
    QVERIFY(contains(model, "'tiny-dit'"));
    QVERIFY(contains(model, "'wan2.1-t2v-1.3b'"));
    std::string otherGrid = errorText([&] { plan.checkCompatible("tiny-dit", TokenGrid::parse("8x8x8"), 3, 2); });
    QVERIFY(contains(otherGrid, "grid 4x8x8"));
    QVERIFY(contains(otherGrid, "grid 8x8x8"));
    std::string layers = errorText([&] { plan.checkCompatible("tiny-dit", grid, 5, 2); });
    QVERIFY(contains(layers, "3 layers"));
    QVERIFY(contains(layers, "5 layers"));
    std::string heads = errorText([&] { plan.checkCompatible("tiny-dit", grid, 3, 4); });
    QVERIFY(contains(heads, "2 heads"));
    QVERIFY(contains(heads, "4 heads"));
  }

  void malformedFilesAreNamed_data() {
    QTest::addColumn<QString>("damage");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not json") << "not json" << "not valid JSON";
    QTest::newRow("wrong format") << "format" << "format is 'attnscope.atlas'";
    QTest::newRow("version 2") << "version" << "version 2";
    QTest::newRow("missing field") << "missing nq" << "field 'nq' is missing";
    QTest::newRow("mistyped field") << "layers string" << "field 'layers' must be an integer";
    QTest::newRow("bad layout") << "layout" << "layout 'diagonal(3)'";
    QTest::newRow("bad grid") << "grid" << "token grid '4x8'";
    QTest::newRow("nq mismatch") << "nq" << "nq x nk is 5x4";
    QTest::newRow("bad base64") << "base64" << "masks[1].bits (layer 0, head 1) is not valid base64";
    QTest::newRow("wrong bit length") << "length" << "decodes to 3 bytes, expected 2";
    QTest::newRow("missing mask") << "drop mask" << "no entry for layer 2, head 1";
    QTest::newRow("duplicate mask") << "duplicate" << "repeats the mask of layer 0, head 0";
    QTest::newRow("mask out of range") << "head range" << "layer 0, head 9, outside";
    QTest::newRow("missing file") << "delete" << "cannot open mask plan";
  }
  void malformedFilesAreNamed() {
    QFETCH(QString, damage);
    QFETCH(QString, expected);
    QTemporaryDir dir;
    std::string path = dir.filePath("broken.json").toStdString();
    randomPlan(BlockLayout::linear(64), 3).save(path);  // 4x4 blocks: 16 bits, 2 bytes per mask
    json doc = readJson(path);
    std::string d = damage.toStdString();
    if (d == "format") doc["format"] = "attnscope.atlas";
    if (d == "version") doc["version"] = 2;
    if (d == "missing nq") doc.erase("nq");
    if (d == "layers string") doc["layers"] = "3";
    if (d == "layout") doc["layout"] = "diagonal(3)";
    if (d == "grid") doc["grid"] = "4x8";
    if (d == "nq") doc["nq"] = 5;
    if (d == "base64") doc["masks"][1]["bits"] = "A!==";
    if (d == "length") doc["masks"][1]["bits"] = base64Encode({1, 2, 3});
    if (d == "drop mask") doc["masks"].erase(5);
    if (d == "duplicate") doc["masks"][1]["head"] = 0;
    if (d == "head range") doc["masks"][1]["head"] = 9;
    writeText(path, doc.dump());
    if (d == "not json") writeText(path, "{\"format\": \"attnscope.maskplan\",\n \"version\": 1,,}");
    if (d == "delete") QVERIFY(QFile::remove(QString::fromStdString(path)));

    std::string message = errorText([&] { MaskPlan::load(path); });
    QVERIFY(contains(message, path));
    QVERIFY(contains(message, expected.toStdString()));
  }

  void parseErrorGivesPosition() {
    QTemporaryDir dir;
    std::string path = dir.filePath("typo.json").toStdString();
    writeText(path, "{\"format\": \"attnscope.maskplan\",\n \"version\": 1,,}");
    QVERIFY(contains(errorText([&] { MaskPlan::load(path); }), "byte 48"));
  }

  void saveIntoMissingDirectoryFails() {
    QTemporaryDir dir;
    std::string path = dir.filePath("no/such/dir/plan.json").toStdString();
    std::string message = errorText([&] { randomPlan(BlockLayout::linear(64), 2).save(path); });
    QVERIFY(contains(message, "cannot write mask plan"));
    QVERIFY(contains(message, "no/such/dir/plan.json"));
  }
};

QTEST_APPLESS_MAIN(TestMaskPlan)
#include "test_maskplan.moc"
