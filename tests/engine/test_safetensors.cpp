// Safetensors reader/writer: round trips against float64 expectations, the
// half/bfloat16 rounding, and one crafted file per kind of corruption.
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "engine/core/Error.h"
#include "engine/io/Safetensors.h"

#include "tests/support/ErrorMessage.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string lengthField(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((n >> (8 * i)) & 0xff);
  return s;
}

// A file with the given JSON header followed by `dataBytes` bytes of data.
void writeCrafted(const std::string& path, const std::string& header, size_t dataBytes) {
  writeBytes(path, lengthField(header.size()) + header + std::string(dataBytes, '\x11'));
}

// Value of x rounded to nearest-even in a binary format with `mantBits`
// explicit mantissa bits and minimum normal exponent `minExp`, computed in
// float64; returns inf beyond `maxFinite`.
double roundToFormat(double x, int mantBits, int minExp, double maxFinite) {
  if (x == 0) return x;
  int e = std::ilogb(x);
  if (e < minExp) e = minExp;  // subnormals share the smallest quantum
  const double quantum = std::ldexp(1.0, e - mantBits);
  const double r = std::nearbyint(x / quantum) * quantum;  // default mode: ties to even
  if (std::fabs(r) > maxFinite) return std::copysign(INFINITY, x);
  return r;
}

double halfReference(double x) { return roundToFormat(x, 10, -14, 65504.0); }
double bf16Reference(double x) { return roundToFormat(x, 7, -126, double(std::numeric_limits<float>::max())); }

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private slots:
  void halfConversionMatchesFloat64Rounding() {
    std::mt19937 rng(7);
    int checked = 0;
    for (int i = 0; i < 200000; ++i) {
      uint32_t bits = rng();
      float f;
      std::memcpy(&f, &bits, 4);
      if (!std::isfinite(f)) continue;
      const double expected = halfReference(f);
      const float got = halfToFloat(floatToHalf(f));
      if (double(got) != expected || std::signbit(got) != std::signbit(f))
        QFAIL(qPrintable(QString("float %1 -> half %2, expected %3").arg(f, 0, 'g', 9).arg(got, 0, 'g', 9).arg(expected, 0, 'g', 9)));
      ++checked;
    }
    QVERIFY(checked > 190000);
    // Values in the half range, including subnormals, with exact ties.
    for (int i = 0; i < 20000; ++i) {
      const int e = int(rng() % 31) - 24;
      const double tie = (double(rng() % 2048) + 0.5) * std::ldexp(1.0, e - 10);
      for (double x : {tie, -tie, std::ldexp(double(rng() % 4096) / 4096.0 + 1.0, e)}) {
        const float f = float(x);
        if (double(f) != x) continue;  // only values float holds exactly
        QVERIFY2(double(halfToFloat(floatToHalf(f))) == halfReference(x), qPrintable(QString::number(x, 'g', 17)));
      }
    }
    QCOMPARE(floatToHalf(65520.0f), uint16_t(0x7c00));  // tie above max rounds to inf
    QCOMPARE(floatToHalf(65519.0f), uint16_t(0x7bff));
    QVERIFY(std::isinf(halfToFloat(floatToHalf(INFINITY))));
    QVERIFY(std::isnan(halfToFloat(floatToHalf(NAN))));
    QVERIFY(double(halfToFloat(0x0001)) == std::ldexp(1.0, -24));  // smallest subnormal
  }

  void bfloat16ConversionMatchesFloat64Rounding() {
    std::mt19937 rng(11);
    for (int i = 0; i < 200000; ++i) {
      uint32_t bits = rng();
      float f;
      std::memcpy(&f, &bits, 4);
      if (!std::isfinite(f)) continue;
      const double expected = bf16Reference(f);
      const float got = bfloat16ToFloat(floatToBfloat16(f));
      if (double(got) != expected)
        QFAIL(qPrintable(QString("float %1 -> bf16 %2, expected %3").arg(f, 0, 'g', 9).arg(got, 0, 'g', 9).arg(expected, 0, 'g', 9)));
    }
    QVERIFY(std::isnan(bfloat16ToFloat(floatToBfloat16(NAN))));
    QVERIFY(std::isinf(bfloat16ToFloat(floatToBfloat16(-INFINITY))));
  }

  void roundTripsAllDtypesAndMetadata() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("weights.safetensors").toStdString();
    std::mt19937 rng(3);
    std::normal_distribution<double> normal(0.0, 10.0);

    std::vector<double> a(3 * 5), b(7 * 2 * 3), c(33);
    for (auto* v : {&a, &b, &c})
      for (double& x : *v) x = normal(rng);
    std::vector<float> a32(a.begin(), a.end());
    std::vector<uint16_t> b16, c16;
    for (double x : b) b16.push_back(floatToHalf(float(x)));
    for (double x : c) c16.push_back(floatToBfloat16(float(x)));

    const std::map<std::string, std::string> meta = {{"format", "test"}, {"note", "héllo \"quoted\""}};
    writeSafetensors(path,
                     {{"blocks.0.weight", DType::F32, {3, 5}, a32.data()},
                      {"half", DType::F16, {7, 2, 3}, b16.data()},
                      {"brain", DType::BF16, {33}, c16.data()}},
                     meta);

    SafetensorsFile file(path);
    QCOMPARE(file.metadata(), meta);
    QCOMPARE(int(file.tensors().size()), 3);
    QCOMPARE(QString::fromStdString(file.tensors()[0].name), QString("blocks.0.weight"));  // file order
    QCOMPARE(file.tensors()[0].offset % 8, size_t(0));  // header padded to 8 bytes

    const TensorInfo& ta = file.at("blocks.0.weight");
    QCOMPARE(ta.shape, (std::vector<int64_t>{3, 5}));
    QCOMPARE(int(ta.dtype), int(DType::F32));
    const auto fa = file.toFloat(ta);
    for (size_t i = 0; i < a.size(); ++i) QVERIFY(fa[i] == float(a[i]));  // F32 is exact

    const TensorInfo& tb = file.at("half");
    QCOMPARE(tb.shape, (std::vector<int64_t>{7, 2, 3}));
    QCOMPARE(tb.bytes, size_t(7 * 2 * 3 * 2));
    const auto fb = file.toFloat(tb);
    for (size_t i = 0; i < b.size(); ++i)  // half: relative error <= 2^-11 (+ float's own rounding)
      QVERIFY2(std::fabs(fb[i] - b[i]) <= std::fabs(b[i]) * (std::ldexp(1.0, -11) + 1e-7),
               qPrintable(QString("half[%1] = %2 vs %3").arg(i).arg(fb[i]).arg(b[i])));

    const auto fc = file.toFloat(file.at("brain"));
    QCOMPARE(file.at("brain").shape, (std::vector<int64_t>{33}));
    for (size_t i = 0; i < c.size(); ++i)  // bfloat16: relative error <= 2^-8
      QVERIFY2(std::fabs(fc[i] - c[i]) <= std::fabs(c[i]) * (std::ldexp(1.0, -8) + 1e-7),
               qPrintable(QString("bf16[%1] = %2 vs %3").arg(i).arg(fc[i]).arg(c[i])));

    QVERIFY(file.find("absent") == nullptr);
    QVERIFY(errorOf([&] { file.at("absent"); }).contains("absent"));
    QVERIFY(!QFile::exists(QString::fromStdString(path + ".tmp")));
  }

  void malformedFilesNameTheProblem_data() {
    QTest::addColumn<QByteArray>("header");  // JSON header; "RAW:" prefix = whole file bytes
    QTest::addColumn<int>("dataBytes");
    QTest::addColumn<QStringList>("mustMention");

    auto add = [](const char* tag, QByteArray header, int data, QStringList words) {
      QTest::newRow(tag) << header << data << words;
    };
    add("shorter than 8 bytes", "RAW:abc", 0, {"3 bytes", "8-byte"});
    add("header length past end", "RAW:LONGHDR", 0, {"header length 4096", "past the end", "byte offset 0"});
    add("absurd header length", "RAW:HUGEHDR", 0, {"header length", "past the end"});
    add("not json", "{\"w\": {\"dtype\": \"F32\", ", 0, {"not valid JSON", "byte offset"});
    add("not an object", "[1, 2, 3]", 0, {"array", "object"});
    add("missing data_offsets", R"({"w":{"dtype":"F32","shape":[2]}})", 8, {"'w'", "data_offsets"});
    add("missing dtype", R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8, {"'w'", "dtype"});
    add("shape wrong type", R"({"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8, {"'w'", "shape"});
    add("dtype wrong type", R"({"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", 8, {"'w'", "dtype"});
    add("unknown dtype", R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", 16,
        {"'ids'", "I64 is not supported: F32, F16, BF16"});
    add("negative dim", R"({"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,8]}})", 8, {"'w'", "negative dimension -3"});
    add("end before begin", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8, {"'w'", "end 4", "begin 8"});
    add("offsets wrong type", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8, {"'w'", "data_offsets"});
    add("byte count mismatch", R"({"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}})", 8,
        {"'w'", "8 bytes", "needs 12"});
    add("truncated data", R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"big":{"dtype":"F32","shape":[100],"data_offsets":[8,408]}})",
        40, {"'big'", "byte offset", "only"});
    add("metadata not string", R"({"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8,
        {"__metadata__", "'epoch'", "string"});
    add("metadata not object", R"({"__metadata__":"x"})", 0, {"__metadata__", "object"});
  }

  void malformedFilesNameTheProblem() {
    QFETCH(QByteArray, header);
    QFETCH(int, dataBytes);
    QFETCH(QStringList, mustMention);
    QTemporaryDir dir;
    const std::string path = dir.filePath("bad.safetensors").toStdString();
    if (header == "RAW:abc") {
      writeBytes(path, "abc");
    } else if (header == "RAW:LONGHDR") {
      writeBytes(path, lengthField(4096) + "{}");
    } else if (header == "RAW:HUGEHDR") {
      writeBytes(path, lengthField(uint64_t(1) << 63) + "{}");
    } else {
      writeCrafted(path, header.toStdString(), size_t(dataBytes));
    }
    const QString msg = errorOf([&] { SafetensorsFile f(path); });
    QVERIFY2(!msg.isEmpty(), "no Error thrown");
    QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable("path missing from: " + msg));
    for (const QString& word : mustMention)
      QVERIFY2(msg.contains(word), qPrintable("'" + word + "' missing from: " + msg));
  }

  void missingFileNamesThePath() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("nowhere.safetensors").toStdString();
    const QString msg = errorOf([&] { SafetensorsFile f(path); });
    QVERIFY2(msg.contains(QString::fromStdString(path)) && msg.contains("No such file"), qPrintable(msg));
  }

  void unwritablePathNamesThePath() {
    QTemporaryDir dir;
    // A regular file used as a directory: fails even when running as root.
    const std::string blocker = dir.filePath("plain-file").toStdString();
    writeBytes(blocker, "x");
    const std::string path = blocker + "/out.safetensors";
    const float v[2] = {1.5f, -2.25f};
    const QString msg = errorOf([&] { writeSafetensors(path, {{"w", DType::F32, {2}, v}}); });
    QVERIFY2(msg.contains(QString::fromStdString(path)), qPrintable(msg));
  }

  void failedWriteKeepsThePreviousFile() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("keep.safetensors").toStdString();
    const float v[2] = {1.5f, -2.25f};
    writeSafetensors(path, {{"w", DType::F32, {2}, v}});
    const QString msg = errorOf([&] {
      writeSafetensors(path, {{"w", DType::F32, {2}, v}, {"w", DType::F32, {2}, v}});
    });
    QVERIFY2(msg.contains("'w'") && msg.contains("twice"), qPrintable(msg));
    SafetensorsFile file(path);
    QCOMPARE(file.toFloat(file.at("w")), (std::vector<float>{1.5f, -2.25f}));
  }
};

QTEST_APPLESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
