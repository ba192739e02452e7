#pragma once
// MessageBanner: an inline bar above the views for what went wrong (or a
// notice), closed by the user or replaced by the next message; never modal,
// so nothing the user is doing is interrupted or lost.
#include <QWidget>

class QLabel;

namespace attnscope::ui {

class MessageBanner : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { Error, Notice };
  explicit MessageBanner(QWidget* parent = nullptr);

  void showMessage(const QString& text, Kind kind = Kind::Error);
  QString text() const;
  Kind kind() const { return kind_; }

 private:
  QLabel* label_;
  Kind kind_ = Kind::Notice;
};

}  // namespace attnscope::ui
