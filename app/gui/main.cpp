// attnscope: the workbench. No arguments needed: the model is
// $ATTNSCOPE_MODEL or the default model next to the executable; an optional
// argument names another model folder.
#include <QApplication>
#include <QCommandLineParser>

#include "engine/io/Video.h"
#include "engine/model/ModelLocation.h"
#include "engine/pipeline/ModelSession.h"
#include "ui/MainWindow.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("AttnScope");
  QApplication::setApplicationName("AttnScope");
  QApplication::setApplicationVersion("0.1");

  QCommandLineParser parser;
  parser.setApplicationDescription("AttnScope: look at, mask and re-render the attention of video DiTs");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("model", "Model folder (default: $ATTNSCOPE_MODEL or the built-in model)", "[model]");
  QCommandLineOption threads("threads", "CPU threads for the model (default: all cores)", "n", "0");
  parser.addOption(threads);
  parser.process(app);

  attnscope::quietVideoLibraryLogs();
  attnscope::setComputeThreads(parser.value(threads).toInt());
  const QStringList args = parser.positionalArguments();
  const std::string model = attnscope::resolveModelPath(args.isEmpty() ? "" : args[0].toStdString(), argv[0]);

  attnscope::ui::MainWindow window;
  window.show();
  window.loadModel(QString::fromStdString(model));
  return app.exec();
}
