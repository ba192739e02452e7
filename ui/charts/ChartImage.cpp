#include "ui/charts/ChartImage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <QApplication>
#include <QGraphicsScene>
#include <QPainter>
#include <QtCharts/QChart>

namespace attnscope::charts {

namespace {
int gArgc = 1;
char gArg0[] = "attnscope";
char* gArgv[] = {gArg0, nullptr};
}  // namespace

OffscreenApplication::OffscreenApplication() {
  QCoreApplication* existing = QCoreApplication::instance();
  if (existing) {
    if (!qobject_cast<QApplication*>(existing))
      throw std::runtime_error("charts need a QApplication, and this process runs a QCoreApplication");
    return;
  }
  // An image needs no display: render offscreen unless the user chose a platform.
  if (!std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
  // Qt wants a private runtime folder and warns on stderr without one (as in
  // a plain shell or a container); give it the one it would fall back to.
  if (!std::getenv("XDG_RUNTIME_DIR")) {
    const std::string dir = "/tmp/runtime-" + std::to_string(getuid());
    bool ours = mkdir(dir.c_str(), 0700) == 0;
    if (!ours) {
      struct stat info {};
      ours = stat(dir.c_str(), &info) == 0 && info.st_uid == getuid();
    }
    if (ours) setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
  }
  owned_ = std::make_unique<QApplication>(gArgc, gArgv);
}

OffscreenApplication::~OffscreenApplication() = default;

QImage renderChart(QChart& chart, QSize size) {
  QGraphicsScene scene;
  scene.addItem(&chart);
  chart.setGeometry(QRectF(QPointF(0, 0), QSizeF(size)));
  QImage image(size, QImage::Format_ARGB32);
  image.fill(Qt::white);
  {
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    scene.render(&painter, QRectF(QPointF(0, 0), QSizeF(size)), QRectF(QPointF(0, 0), QSizeF(size)));
  }
  scene.removeItem(&chart);
  return image;
}

}  // namespace attnscope::charts
