// attnscope-cli analyze and sweep end to end on the built default model: a
// tiny sweep (2 steps, 1 strategy, 2 densities) with its files and fields
// checked, analyze on the sweep's atlas and plans, and clear errors on bad
// input (plan for another model, atlas without offsets, unknown strategy,
// malformed densities).
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "engine/atlas/AttentionAtlas.h"
#include "engine/mask/MaskPlan.h"
#include "engine/pipeline/RunHistory.h"
#include "tests/support/CliRun.h"

using namespace attnscope;
using namespace attnscope::testing;

namespace {

std::vector<std::string> lines(const QString& path) {
  std::ifstream in(path.toStdString());
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

class TestCliAnalytics : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString path(const QString& name) { return dir_.filePath(name); }

 private Q_SLOTS:
  void helpListsEverything() {
    for (QString sub : {"analyze", "sweep"}) {
      Run r = cli({sub, "--help"});
      QCOMPARE(r.code, 0);
      QVERIFY2(r.out.contains("--json"), qPrintable(sub));
    }
    QVERIFY(cli({"sweep", "--help"}).out.contains("--densities"));
    QVERIFY(cli({"analyze", "--help"}).out.contains("--sink-ratio"));
    Run list = cli({"strategies", "--json"});
    QStringList names;
    for (const auto& s : QJsonDocument::fromJson(list.out.toUtf8()).array()) names << s.toObject()["name"].toString();
    for (const char* name : {"spatial-temporal", "antidiagonal", "window-anchors", "radial", "head-budget"})
      QVERIFY2(names.contains(name), name);
    Run derive = cli({"derive", "--help"});
    QVERIFY(derive.out.contains("antidiagonal") && derive.out.contains("--tau") && derive.out.contains("--decay"));
  }

  void tinySweepWritesEverything() {
    const QString out = path("sweep");
    Run r = cli({"sweep", "--prompt", "a red circle moves left on a dark background", "--steps", "2", "--seed", "5",
                 "--strategy", "threshold", "--densities", "0.2,0.5", "--out", out, "--device", "cpu", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = r.json();
    QCOMPARE(j["command"].toString(), QString("sweep"));
    QCOMPARE(j["device"].toString(), QString("cpu"));
    QCOMPARE(j["dtype"].toString(), QString("float32"));
    QCOMPARE(j["steps"].toInt(), 2);
    QCOMPARE(j["capture_steps"].toArray().size(), 2);
    QVERIFY(j["dense"].toObject()["attention_s"].toDouble() > 0);
    QJsonArray points = j["points"].toArray();
    QCOMPARE(points.size(), 2);
    int onFront = 0;
    for (int i = 0; i < 2; ++i) {
      QJsonObject p = points[i].toObject();
      QCOMPARE(p["strategy"].toString(), QString("threshold"));
      QCOMPARE(p["target_density"].toDouble(), i == 0 ? 0.2 : 0.5);
      QVERIFY(std::abs(p["density"].toDouble() - p["target_density"].toDouble()) < 0.06);
      QVERIFY(p["psnr"].toDouble() > 10 && p["psnr"].toDouble() <= 100);
      QVERIFY(p["ssim"].toDouble() > 0 && p["ssim"].toDouble() <= 1);
      QVERIFY(p["attention_ratio"].toDouble() > 0);
      QVERIFY(QFile::exists(p["video"].toString()));
      MaskPlan plan = MaskPlan::load(p["plan"].toString().toStdString());
      QVERIFY(std::abs(plan.density() - p["density"].toDouble()) < 1e-9);
      onFront += p["pareto_density"].toBool();
    }
    QVERIFY(onFront >= 1);
    QVERIFY(points[1].toObject()["kept_mass"].toDouble() > points[0].toObject()["kept_mass"].toDouble());

    auto csv = lines(out + "/sweep.csv");
    QCOMPARE(csv.size(), size_t(3));
    QVERIFY(csv[0].rfind("strategy,target_density,density,kept_mass,psnr,ssim,attention_s,attention_ratio", 0) == 0);
    QVERIFY(csv[1].rfind("threshold,0.2,", 0) == 0);
    QFile jsonFile(out + "/sweep.json");
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject written = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(written["points"].toArray().size(), 2);
    QCOMPARE(written["device"].toString(), QString("cpu"));
    QVERIFY(QFile::exists(out + "/dense.mp4"));
    QVERIFY(AttentionAtlas::load((out + "/atlas.safetensors").toStdString()).hasOffsets());

    // The picture where this build has Qt Charts, else a note saying why not.
    if (j["plot"].isString()) {
      QFile png(j["plot"].toString());
      QVERIFY(png.open(QIODevice::ReadOnly));
      QCOMPARE(png.read(8), QByteArray("\x89PNG\r\n\x1a\n", 8));
      QVERIFY(png.size() > 10000);
    } else {
      QVERIFY2(j["plot_note"].toString().contains("GUI build"), qPrintable(r.out));
    }

    RunHistory history((out + "/attnscope-runs.sqlite").toStdString());
    std::vector<RunRecord> runs = history.list();
    QCOMPARE(runs.size(), size_t(4));  // capture, dense, two sparse
    QCOMPARE(runs.back().command, std::string("sweep-capture"));
    QCOMPARE(runs.front().command, std::string("sweep-sparse"));
  }

  void analyzeTheSweepsAtlas() {
    const QString atlas = path("sweep/atlas.safetensors");
    const AttentionAtlas loaded = AttentionAtlas::load(atlas.toStdString());
    const int heads = int(loaded.layers * loaded.heads);  // whichever default model this build has
    Run r = cli({"analyze", "--atlas", atlas, "--csv", path("csv"), "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject j = r.json();
    QVERIFY(j["has_offsets"].toBool());
    QCOMPARE(j["heads"].toObject()["heads"].toArray().size(), heads);
    QJsonObject head = j["heads"].toObject()["heads"].toArray()[0].toObject();
    const double shares = head["spatial"].toDouble() + head["temporal"].toDouble() + head["rest"].toDouble();
    QVERIFY(shares > 0.5 && shares <= 1.0 + 1e-6);
    QVERIFY(head["entropy"].toDouble() > 0);
    QCOMPARE(j["sinks"].toObject()["sink_map"].toObject()["count"].toArray().size(), 1024);
    QCOMPARE(j["stability"].toObject()["jaccard"].toArray().size(), 2);  // 2 captured steps
    QCOMPARE(j["csv"].toArray().size(), 5);
    QCOMPARE(lines(path("csv/sink_map.csv")).size(), size_t(1025));
    QCOMPARE(lines(path("csv/heads.csv"))[0], std::string("layer,head,type,spatial,temporal,window,rest,sink,entropy,normalized_entropy"));

    r = cli({"analyze", "--atlas", atlas, "--recall", path("sweep/threshold-d0.2.json"), "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject recall = r.json()["recall"].toObject();
    QCOMPARE(recall["heads"].toArray().size(), heads);
    QVERIFY(std::abs(recall["density"].toDouble() - 0.2) < 0.06);
    QVERIFY(recall["kept_mass"].toDouble() >= recall["density"].toDouble() - 0.05);
    QCOMPARE(recall["step_kept_mass"].toArray().size(), 2);
    QVERIFY(!r.json().contains("sinks"));  // only what was asked

    Run text = cli({"analyze", "--atlas", atlas, "--heads", "--sinks"});
    QVERIFY(text.code == 0 && text.out.contains("head types") && text.out.contains("sinks ("));
  }

  void atlasWithoutOffsetsSaysSo() {
    AttentionAtlas atlas = AttentionAtlas::load(path("sweep/atlas.safetensors").toStdString());
    for (AtlasEntry& e : atlas.entries) e.offsets.clear();
    atlas.save(path("old.safetensors").toStdString());
    Run r = cli({"analyze", "--atlas", path("old.safetensors"), "--heads", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QJsonObject heads = r.json()["heads"].toObject();
    QVERIFY(!heads["has_offsets"].toBool());
    QVERIFY(heads["note"].toString().contains("no offset histograms"));
    QVERIFY(heads["heads"].toArray()[0].toObject()["spatial"].isNull());
    Run text = cli({"analyze", "--atlas", path("old.safetensors"), "--heads"});
    QVERIFY(text.out.contains("note: the atlas has no offset histograms"));
  }

  void badInputIsAClearError() {
    // A plan made for another model.
    nlohmann::json plan;
    std::ifstream(path("sweep/threshold-d0.2.json").toStdString()) >> plan;
    plan["model"] = "wan2.1-t2v-1.3b";
    std::ofstream(path("foreign.json").toStdString()) << plan.dump();
    Run r = cli({"analyze", "--atlas", path("sweep/atlas.safetensors"), "--recall", path("foreign.json")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("wan2.1-t2v-1.3b") && r.err.contains("attnscope-default"), qPrintable(r.err));

    const QStringList sweep = {"sweep", "--prompt", "a red circle", "--steps", "2"};
    r = cli(sweep + QStringList{"--strategy", "threshold,nonsense", "--densities", "0.2", "--out", path("never")});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("unknown strategy 'nonsense'") && r.err.contains("head-budget"), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("never")));  // refused before any work

    const std::pair<const char*, const char*> densities[] = {
        {"0.1,abc", "'abc' is not a number"}, {"0,0.5", "0 is outside (0, 1]"}, {"0.2,1.5", "1.5 is outside"},
        {"0.2,0.2", "listed twice"}, {",", "'' is not a number"}};
    for (const auto& [list, message] : densities) {
      r = cli(sweep + QStringList{"--strategy", "threshold", "--densities", list, "--out", path("never")});
      QCOMPARE(r.code, 1);
      QVERIFY2(r.err.contains(message), qPrintable(r.err));
    }
    r = cli(sweep + QStringList{"--strategy", "topk", "--densities", "0.2", "--param", "topk:q=3", "--out", path("never")});
    QVERIFY2(r.code == 1 && r.err.contains("no parameter 'q'"), qPrintable(r.err));
    r = cli({"analyze", "--atlas", path("sweep/atlas.safetensors"), "--window", "1x1"});
    QCOMPARE(r.code, 1);
    r = cli({"analyze", "--atlas", path("sweep/atlas.safetensors"), "--heads", "--spatial-share", "2"});
    QVERIFY2(r.code == 1 && r.err.contains("spatial share threshold"), qPrintable(r.err));
    r = cli({"analyze", "--atlas", path("sweep/dense.mp4")});
    QVERIFY2(r.code == 1 && r.err.contains("dense.mp4"), qPrintable(r.err));
    QVERIFY(!QFile::exists(path("never")));
  }
};

QTEST_MAIN(TestCliAnalytics)
#include "test_cli_analytics.moc"
