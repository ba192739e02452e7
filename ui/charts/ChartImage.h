#pragma once
// Rendering QCharts into images outside a window, for command-line tools.
#include <memory>
#include <string>

#include <QImage>
#include <QSize>

QT_BEGIN_NAMESPACE
class QApplication;
class QChart;
QT_END_NAMESPACE

namespace attnscope::charts {

// Makes sure a QApplication exists while it lives: when the process has
// none, creates one on the "offscreen" platform (unless QT_QPA_PLATFORM is
// set), so that charts render with no display. Throws std::runtime_error when
// the process has only a QCoreApplication.
class OffscreenApplication {
 public:
  OffscreenApplication();
  ~OffscreenApplication();

 private:
  std::unique_ptr<QApplication> owned_;
};

// Draws `chart` (resized to `size`) into a new white image.
QImage renderChart(QChart& chart, QSize size);

}  // namespace attnscope::charts
