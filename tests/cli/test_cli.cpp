// attnscope-cli end to end on the built default model:
// generate -> capture -> derive -> generate --mask -> compare, with the
// outputs checked, plus --help everywhere and clear errors on bad input.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/io/Safetensors.h"
#include "engine/io/Video.h"
#include "engine/mask/MaskPlan.h"
#include "engine/pipeline/RunHistory.h"

using namespace attnscope;

namespace {

struct Run {
  int code;
  QString out, err;
  QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

Run cli(const QStringList& args) {
  QProcess p;
  p.start(QString(ATTNSCOPE_BINARY_DIR) + "/app/attnscope-cli", args);
  p.waitForFinished(600000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(), p.readAllStandardError()};
}

const QStringList kCommon = {"--prompt", "a red circle moves left on a dark background", "--seed", "3", "--steps", "8"};

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString path(const char* name) { return dir_.filePath(name); }

 private Q_SLOTS:
  void everySubcommandHasHelp() {
    for (QString sub : {"generate", "capture", "derive", "compare", "strategies", "history"}) {
      Run r = cli({sub, "--help"});
      QCOMPARE(r.code, 0);
      QVERIFY2(r.out.contains("--json"), qPrintable(sub));
    }
    QVERIFY(cli({"derive", "--help"}).out.contains("threshold"));
  }

  void fullLoop() {
    Run dense = cli(QStringList{"generate"} + kCommon + QStringList{"--out", path("dense.mp4"), "--json"});
    QVERIFY2(dense.code == 0, qPrintable(dense.err));
    QJsonObject d = dense.json();
    QCOMPARE(d["frames"].toInt(), 16);
    QVERIFY(d["timings"].toObject()["attention_s"].toDouble() > 0);
    VideoFrames v = readVideo(path("dense.mp4").toStdString());
    QCOMPARE(v.frames, int64_t(16));
    QCOMPARE(v.height, int64_t(64));
    QCOMPARE(v.width, int64_t(64));

    Run capture = cli(QStringList{"capture"} + kCommon +
                      QStringList{"--capture-steps", "2,7", "--block", "64", "--layout", "tiled", "--out",
                                  path("capture.mp4"), "--export-atlas", path("atlas.safetensors"), "--json"});
    QVERIFY2(capture.code == 0, qPrintable(capture.err));
    QCOMPARE(capture.json()["layout"].toString(), QString("tiled(4,4,4)"));
    SafetensorsFile atlasFile(path("atlas.safetensors").toStdString());
    for (int step : {2, 7})
      for (int layer = 0; layer < 6; ++layer) {
        std::string s = "/step" + std::to_string(step) + "/layer" + std::to_string(layer);
        QCOMPARE(atlasFile.at("self" + s).shape, (std::vector<int64_t>{4, 16, 16}));
        QCOMPARE(atlasFile.at("sink" + s).shape, (std::vector<int64_t>{4, 1024}));
        QCOMPARE(atlasFile.at("entropy" + s).shape, (std::vector<int64_t>{4, 1024}));
        QCOMPARE(atlasFile.at("cross" + s).shape, (std::vector<int64_t>{4, 1024, 16}));
      }
    QCOMPARE(atlasFile.metadata().at("grid"), std::string("16x8x8"));
    QCOMPARE(atlasFile.metadata().at("layout"), std::string("tiled(4,4,4)"));
    QCOMPARE(atlasFile.metadata().at("model"), std::string("attnscope-default-untrained"));
    AttentionAtlas atlas = AttentionAtlas::load(path("atlas.safetensors").toStdString());
    for (int q = 0; q < 16; ++q) {
      double row = 0;
      for (int k = 0; k < 16; ++k) row += atlas.entries[0].pooled[q * 16 + k];
      QVERIFY(std::abs(row - 1.0) < 1e-4);
    }

    Run derive = cli({"derive", "--atlas", path("atlas.safetensors"), "--strategy", "threshold", "--target-density",
                      "0.25", "--warmup", "2", "--out", path("plan.json"), "--json"});
    QVERIFY2(derive.code == 0, qPrintable(derive.err));
    double density = derive.json()["density"].toDouble();
    QVERIFY2(std::abs(density - 0.25) < 0.06, qPrintable(derive.out));
    double kept = derive.json()["kept_mass"].toDouble();
    QVERIFY(kept > density && kept <= 1.0);
    MaskPlan plan = MaskPlan::load(path("plan.json").toStdString());
    QCOMPARE(plan.denseWarmupSteps, 2);
    QCOMPARE(plan.layout.str(), std::string("tiled(4,4,4)"));

    Run sparse = cli(QStringList{"generate"} + kCommon +
                     QStringList{"--mask", path("plan.json"), "--out", path("sparse.mp4"), "--json"});
    QVERIFY2(sparse.code == 0, qPrintable(sparse.err));
    QVERIFY(std::abs(sparse.json()["mask_density"].toDouble() - density) < 1e-9);

    Run compare = cli({"compare", path("dense.mp4"), path("sparse.mp4"), "--csv", path("cmp.csv"), "--json"});
    QVERIFY2(compare.code == 0, qPrintable(compare.err));
    QJsonObject c = compare.json();
    QCOMPARE(c["frames"].toArray().size(), 16);
    double psnr = c["mean_psnr"].toDouble();
    QVERIFY2(psnr > 10 && psnr < 100, qPrintable(compare.out));  // sparse differs from dense, but not wildly
    Run same = cli({"compare", path("dense.mp4"), path("capture.mp4"), "--json"});
    QVERIFY2(same.json()["mean_psnr"].toDouble() > 40, qPrintable(same.out));  // capture is exact attention
    std::ifstream csv(path("cmp.csv").toStdString());
    std::string header;
    std::getline(csv, header);
    QCOMPARE(header, std::string("frame,psnr,ssim"));

    // Human-readable reports.
    Run text = cli({"compare", path("dense.mp4"), path("sparse.mp4")});
    QVERIFY(text.out.contains("mean"));
    // Every run landed in the history next to the outputs.
    RunHistory history(dir_.filePath("attnscope-runs.sqlite").toStdString());
    QCOMPARE(history.list().size(), size_t(3));
    QCOMPARE(history.list().front().maskPath, path("plan.json").toStdString());
    Run listed = cli({"history", "--db", dir_.filePath("attnscope-runs.sqlite"), "--json"});
    QVERIFY2(listed.code == 0, qPrintable(listed.err));
    QJsonArray runs = listed.json()["runs"].toArray();
    QCOMPARE(runs.size(), 3);
    QCOMPARE(runs[0].toObject()["command"].toString(), QString("generate"));
    QCOMPARE(runs[1].toObject()["command"].toString(), QString("capture"));
    QCOMPARE(runs[1].toObject()["atlas"].toString(), path("atlas.safetensors"));
  }

  void badInputIsAClearError() {
    Run r = cli(QStringList{"generate"} + kCommon + QStringList{"--model", path("nowhere"), "--out", path("x.mp4")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("does not exist"), qPrintable(r.err));

    std::ofstream(path("broken.json").toStdString()) << "{\"format\": \"attnscope.maskplan\", ";
    r = cli(QStringList{"generate"} + kCommon + QStringList{"--mask", path("broken.json"), "--out", path("x.mp4")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("broken.json"), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("x.mp4")));

    r = cli(QStringList{"generate", "--prompt", "a zebra", "--out", path("x.mp4")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("'zebra'"), qPrintable(r.err));

    r = cli({"compare", path("dense.mp4"), path("missing.mp4")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("missing.mp4"), qPrintable(r.err));

    r = cli({"derive", "--atlas", path("dense.mp4"), "--strategy", "threshold", "--out", path("p.json")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("dense.mp4"), qPrintable(r.err));

    r = cli({"derive", "--atlas", path("atlas.safetensors"), "--strategy", "nonsense", "--out", path("p.json")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("nonsense") && r.err.contains("threshold"), qPrintable(r.err));

    r = cli(QStringList{"capture"} + kCommon + QStringList{"--capture-steps", "30", "--out", path("x.mp4"),
                                                           "--export-atlas", path("a.safetensors")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("outside"), qPrintable(r.err));
  }
};

QTEST_MAIN(TestCli)
#include "test_cli.moc"
