#pragma once
// Runs the built attnscope-cli with arguments and keeps its exit code and
// both output streams, for the CLI end-to-end suites.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace attnscope::testing {

struct Run {
  int code;  // -1 when the process crashed
  QString out, err;
  QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

inline Run cli(const QStringList& args) {
  QProcess p;
  p.start(QString(ATTNSCOPE_BINARY_DIR) + "/app/attnscope-cli", args);
  p.waitForFinished(600000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
          p.readAllStandardError()};
}

}  // namespace attnscope::testing
