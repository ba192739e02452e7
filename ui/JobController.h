#pragma once
// JobController: runs one engine job at a time on its own worker thread
// (RenderDoc's replay-thread habit) so the window never waits on the model.
// A job runs on the worker and returns a closure that is then run on the GUI
// thread to hand its results to the Workbench. Errors stop at this edge:
// attnscope::Error, out-of-memory and any other exception become failed()
// with a message; Cancelled becomes failed() with "cancelled by the user".
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QThread>

#include <atomic>
#include <functional>

namespace attnscope::ui {

class JobController : public QObject {
  Q_OBJECT
 public:
  struct Context {
    std::function<void(int, int)> progress;  // (done, total), any thread
    const std::atomic<bool>* cancel = nullptr;
  };
  using Deliver = std::function<void()>;
  using Job = std::function<Deliver(const Context&)>;

  explicit JobController(QObject* parent = nullptr);
  ~JobController() override;  // cancels and waits for the running job

  bool busy() const { return busy_; }
  QString label() const { return label_; }
  // false (and nothing starts) while another job runs.
  bool start(const QString& label, Job job);

 public slots:
  void cancel();  // the job stops at its next check (between denoising steps)

 signals:
  void started(const QString& label);
  void progress(int done, int total);
  void finished(const QString& label, double seconds);
  void failed(const QString& label, const QString& message);
  void busyChanged(bool busy);

 private:
  void end();

  QThread thread_;
  QObject* worker_ = nullptr;  // lives on thread_; jobs are queued to it
  std::atomic<bool> cancel_{false};
  bool busy_ = false;
  QString label_;
  QElapsedTimer clock_;
};

}  // namespace attnscope::ui
