#include "ui/JobController.h"

#include <new>

#include "engine/core/Error.h"

namespace attnscope::ui {

JobController::JobController(QObject* parent) : QObject(parent) {
  worker_ = new QObject;
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.setObjectName("attnscope-jobs");
  thread_.start();
}

JobController::~JobController() {
  cancel_ = true;
  thread_.quit();
  thread_.wait();
}

bool JobController::start(const QString& label, Job job) {
  if (busy_) return false;
  busy_ = true;
  label_ = label;
  cancel_ = false;
  clock_.start();
  emit busyChanged(true);
  emit started(label);
  QMetaObject::invokeMethod(worker_, [this, job = std::move(job)] {
    Context context;
    context.cancel = &cancel_;
    context.progress = [this](int done, int total) {
      QMetaObject::invokeMethod(this, [this, done, total] { emit progress(done, total); }, Qt::QueuedConnection);
    };
    Deliver deliver;
    QString message;
    try {
      deliver = job(context);
    } catch (const Cancelled& e) {
      message = e.what();
    } catch (const Error& e) {
      message = QString::fromStdString(e.what());
    } catch (const std::bad_alloc&) {
      message = tr("out of memory: try fewer frames, fewer capture steps or a smaller block size");
    } catch (const std::exception& e) {  // e.g. a LibTorch error
      message = tr("unexpected error: %1").arg(QString::fromStdString(e.what()).section('\n', 0, 2));
    }
    QMetaObject::invokeMethod(this, [this, deliver = std::move(deliver), message] {
      QString error = message;
      if (error.isEmpty() && deliver) {
        try {
          deliver();
        } catch (const std::exception& e) {
          error = QString::fromStdString(e.what());
        }
      }
      const QString label = label_;
      const double seconds = clock_.elapsed() / 1000.0;
      end();
      if (error.isEmpty())
        emit finished(label, seconds);
      else
        emit failed(label, error);
    }, Qt::QueuedConnection);
  }, Qt::QueuedConnection);
  return true;
}

void JobController::cancel() {
  if (busy_) cancel_ = true;
}

void JobController::end() {
  busy_ = false;
  emit busyChanged(false);
}

}  // namespace attnscope::ui
