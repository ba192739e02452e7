#include "ui/charts/ChartImage.h"

#include <cstdlib>
#include <stdexcept>

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
