// attnscope-cli end to end on the built default model:
// generate -> capture -> derive -> generate --mask -> compare, with the
// outputs checked, the prompt-following evaluation, plus --help everywhere
// and clear errors on bad input.
#include <QJsonArray>
#include <QJsonDocument>
#include <QDir>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <utility>
#include <vector>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/cuda/CudaRuntime.h"
#include "engine/io/Safetensors.h"
#include "engine/io/Video.h"
#include "engine/mask/MaskPlan.h"
#include "engine/pipeline/RunHistory.h"
#include "engine/procedural/ProceduralVideo.h"
#include "tests/support/CliRun.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

const QStringList kCommon = {"--prompt", "a red circle moves left on a dark background", "--seed", "3", "--steps", "8"};

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString path(const char* name) { return dir_.filePath(name); }

 private Q_SLOTS:
  void everySubcommandHasHelp() {
    for (QString sub : {"generate", "capture", "derive", "compare", "strategies", "history", "evaluate"}) {
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
        QCOMPARE(atlasFile.at("self" + s).shape, (std::vector<int64_t>{8, 16, 16}));
        QCOMPARE(atlasFile.at("sink" + s).shape, (std::vector<int64_t>{8, 1024}));
        QCOMPARE(atlasFile.at("entropy" + s).shape, (std::vector<int64_t>{8, 1024}));
        QCOMPARE(atlasFile.at("cross" + s).shape, (std::vector<int64_t>{8, 1024, 16}));
      }
    QCOMPARE(atlasFile.metadata().at("grid"), std::string("16x8x8"));
    QCOMPARE(atlasFile.metadata().at("layout"), std::string("tiled(4,4,4)"));
    QCOMPARE(atlasFile.metadata().at("model"), std::string("attnscope-default-v5"));
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

  // The report's shape and counts are checked here; the shipped model's
  // accuracy is tests/engine/test_default_model.cpp's business.
  void evaluateReportsPromptFollowing() {
    Run r = cli({"evaluate", "--samples", "2", "--steps", "2", "--strip", path("strip.png"), "--strip-truth", "--csv",
                 path("rows.csv"), "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonObject j = r.json();
    QCOMPARE(j["command"].toString(), QString("evaluate"));
    QCOMPARE(j["samples"].toInt(), 2);
    QCOMPARE(j["steps"].toInt(), 2);
    QCOMPARE(j["model_trained"].toBool(), true);
    QCOMPARE(j["device"].toString(), QString("cpu"));  // no --device: the CPU, in float32
    QCOMPARE(j["dtype"].toString(), QString("float32"));
    const QJsonArray rows = j["rows"].toArray();
    QCOMPARE(rows.size(), 2);
    int scored = 0;
    for (int i = 0; i < rows.size(); ++i) {
      const QJsonObject row = rows[i].toObject();
      const uint64_t seed = kHeldOutSeedBase + uint64_t(i);
      QCOMPARE(row["scene_seed"].toDouble(), double(seed));
      const SceneSpec scene = sampleScene(seed);
      QCOMPARE(row["caption"].toString().toStdString(), scene.caption);
      QCOMPARE(row["colour"].toString().toStdString(), shapePalette()[scene.shapes[0].colour].name);
      QCOMPARE(row["motion"].toString().toStdString(), motionName(scene.shapes[0].motion));
      scored += row["direction_scored"].toBool();
      QCOMPARE(row["colour_ok"].toBool(), row["found_colour"] == row["colour"]);
    }
    for (const char* which : {"generated", "ground_truth"}) {
      const QJsonObject s = j[which].toObject();
      QCOMPARE(s["samples"].toInt(), 2);
      QCOMPARE(s["direction_samples"].toInt(), scored);
      QVERIFY(s["colour_right"].toInt() >= 0 && s["colour_right"].toInt() <= 2);
      int found = 0;  // every scored scene has one found direction (or "none")
      for (const QJsonValue count : s["found_directions"].toObject()) found += count.toInt();
      QCOMPARE(found, scored);
    }
    // The table prints the same counts (the text path formats them itself).
    Run text = cli({"evaluate", "--samples", "1", "--steps", "2"});
    QVERIFY2(text.code == 0, qPrintable(text.err));
    QVERIFY2(text.out.contains("directions found in the"), qPrintable(text.out));
    // The control: the analysis reads the ground-truth renders right.
    QCOMPARE(j["ground_truth"].toObject()["colour_right"].toInt(), 2);

    // Strip: 2 samples, each generated row with its ground truth under it;
    // 8 frames of 64x64 drawn at 2x with 2 px gaps.
    QFile png(path("strip.png"));
    QVERIFY(png.open(QIODevice::ReadOnly));
    const QByteArray head = png.read(24);
    QVERIFY(head.startsWith("\x89PNG\r\n\x1a\n"));
    auto be32 = [&](int at) {
      return (uint32_t(uint8_t(head[at])) << 24) | (uint32_t(uint8_t(head[at + 1])) << 16) |
             (uint32_t(uint8_t(head[at + 2])) << 8) | uint32_t(uint8_t(head[at + 3]));
    };
    QCOMPARE(be32(16), uint32_t(8 * 128 + 9 * 2));
    QCOMPARE(be32(20), uint32_t(4 * 128 + 5 * 2));
    // Decoded, the ground-truth row of sample 0 shows its render, frame by frame.
    const VideoFrames picture = readVideo(path("strip.png").toStdString());
    QCOMPARE(picture.width, int64_t(8 * 128 + 18));
    const VideoFrames truth = renderScene(sampleScene(kHeldOutSeedBase));
    for (int column : {0, 7})
      for (auto [x, y] : {std::pair<int, int>{10, 20}, {33, 40}, {60, 5}}) {
        const int frame = column * 15 / 7;
        const uint8_t* expected = truth.frame(frame) + (y * 64 + x) * 3;
        const int64_t px = 2 + column * 130 + 2 * x, py = 2 + 130 + 2 * y;
        const uint8_t* got = picture.frame(0) + (py * picture.width + px) * 3;
        QVERIFY2(got[0] == expected[0] && got[1] == expected[1] && got[2] == expected[2],
                 qPrintable(QString("column %1 pixel (%2,%3)").arg(column).arg(x).arg(y)));
      }

    QFile csv(path("rows.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith("sample,scene_seed,caption"));

    Run bad = cli({"evaluate", "--samples", "0"});
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("--samples"), qPrintable(bad.err));
  }

  void deviceDtypeAndNoVideo() {
    // Without --out: no video file, no run history; the report carries the
    // device, the dtype and one timing record per step.
    QDir before(dir_.path());
    const int files = before.entryList(QDir::Files).size();
    // A small, short run: the default model at 4x32x32 pixels, 3 steps.
    const QStringList small = {"--prompt", "a red circle moves left", "--frames", "4", "--height", "32", "--width",
                               "32", "--steps", "3"};
    Run r = cli(QStringList{"generate"} + small + QStringList{"--device", "cpu", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = r.json();
    QVERIFY(j["video"].isNull());
    QVERIFY(!j.contains("history"));
    QCOMPARE(j["device"].toString(), QString("cpu"));
    QCOMPARE(j["dtype"].toString(), QString("float32"));
    QJsonObject t = j["timings"].toObject();
    QJsonArray steps = t["steps"].toArray();
    QCOMPARE(steps.size(), 3);
    for (const auto& s : steps) {
      QJsonObject step = s.toObject();
      QCOMPARE(step["mode"].toString(), QString("dense"));
      QVERIFY(step["attention_s"].toDouble() <= step["seconds"].toDouble());
    }
    QCOMPARE(t["dense_step"].toObject()["count"].toInt(), 3);
    QVERIFY(t["sparse_step"].isNull());
    QVERIFY(t["peak_gpu_bytes"].isNull());
    QCOMPARE(QDir(dir_.path()).entryList(QDir::Files).size(), files);

    // The text report has the per-stage table.
    Run text = cli(QStringList{"generate"} + small);
    QVERIFY2(text.code == 0, qPrintable(text.err));
    QVERIFY2(text.out.contains("denoise") && text.out.contains("dense step x3"), qPrintable(text.out));

    r = cli(QStringList{"generate"} + small + QStringList{"--dtype", "float16"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("--dtype") && r.err.contains("float16"), qPrintable(r.err));
    r = cli(QStringList{"generate"} + small + QStringList{"--device", "cpu", "--dtype", "bfloat16"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("bfloat16 needs a CUDA device"), qPrintable(r.err));
    r = cli(QStringList{"generate"} + small + QStringList{"--device", "tpu"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("'tpu'"), qPrintable(r.err));
    if (cuda::deviceAvailable()) return;  // the next two need a machine without CUDA
    r = cli(QStringList{"capture"} + small + QStringList{"--device", "cuda", "--export-atlas", path("a.safetensors")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(cuda::built() ? "no CUDA device" : "this build has no CUDA"), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("a.safetensors")));
  }

  // evaluate, probe-denoise and sweep place the model as generate does: the
  // same --device / --dtype help, the same refusals (before any work or
  // output), and the report names where the model ran.
  void deviceAndDtypeOnEveryModelCommand() {
    const QString deviceHelp = "Where the model runs: cpu (default), cuda or cuda:N";
    const QString dtypeHelp = "DiT weights: float32 or bfloat16 (default: float32 on cpu, bfloat16 on cuda)";
    const Run generateHelp = cli({"generate", "--help"});
    QVERIFY2(generateHelp.out.contains(deviceHelp) && generateHelp.out.contains(dtypeHelp), qPrintable(generateHelp.out));
    const Run generateCuda = cli({"generate", "--prompt", "a red circle", "--device", "cuda"});
    const QStringList sweepOut = {"--out", path("never-swept")};
    const std::vector<std::pair<QString, QStringList>> commands = {
        {"evaluate", {"--samples", "1", "--steps", "2", "--strip", path("never-strip.png")}},
        {"probe-denoise", {"--samples", "1", "--sigmas", "0.5"}},
        {"sweep", QStringList{"--prompt", "a red circle", "--steps", "2", "--strategy", "threshold", "--densities", "0.2"} +
                      sweepOut}};
    for (const auto& [command, args] : commands) {
      const Run help = cli({command, "--help"});
      QCOMPARE(help.code, 0);
      QVERIFY2(help.out.contains("--device") && help.out.contains(deviceHelp), qPrintable(command + ":\n" + help.out));
      QVERIFY2(help.out.contains("--dtype") && help.out.contains(dtypeHelp), qPrintable(command + ":\n" + help.out));

      Run r = cli(QStringList{command} + args + QStringList{"--dtype", "nonsense"});
      QVERIFY2(r.code != 0, qPrintable(command));
      QVERIFY2(r.err.contains("--dtype") && r.err.contains("nonsense"), qPrintable(command + ": " + r.err));
      r = cli(QStringList{command} + args + QStringList{"--device", "tpu"});
      QCOMPARE(r.code, 1);
      QVERIFY2(r.err.contains("'tpu'"), qPrintable(command + ": " + r.err));
      r = cli(QStringList{command} + args + QStringList{"--device", "cpu", "--dtype", "bfloat16"});
      QCOMPARE(r.code, 1);
      QVERIFY2(r.err.contains("bfloat16 needs a CUDA device"), qPrintable(command + ": " + r.err));
      if (cuda::deviceAvailable()) continue;  // the rest needs a machine without CUDA
      r = cli(QStringList{command} + args + QStringList{"--device", "cuda"});
      QCOMPARE(r.code, 1);
      QVERIFY2(r.err.contains(cuda::built() ? "no CUDA device" : "this build has no CUDA"),
               qPrintable(command + ": " + r.err));
      QCOMPARE(r.err, generateCuda.err);  // word for word what generate says
    }
    QVERIFY(!QFile::exists(path("never-strip.png")));
    QVERIFY(!QDir(path("never-swept")).exists());  // refused before the sweep made its folder

    const Run probe = cli({"probe-denoise", "--samples", "1", "--sigmas", "0.5", "--device", "cpu", "--json"});
    QVERIFY2(probe.code == 0, qPrintable(probe.err));
    const QJsonObject j = probe.json();
    QCOMPARE(j["command"].toString(), QString("probe-denoise"));
    QCOMPARE(j["device"].toString(), QString("cpu"));
    QCOMPARE(j["dtype"].toString(), QString("float32"));
    QCOMPARE(j["rows"].toArray().size(), 1);
    QCOMPARE(j["samples"].toInt(), 1);
    QVERIFY(j.contains("truth_drift_px") && j.contains("translations"));
    QVERIFY(j["rows"].toArray()[0].toObject()["caption"].toObject().contains("drift_px"));
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
