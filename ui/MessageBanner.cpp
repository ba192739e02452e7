#include "ui/MessageBanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QToolButton>

namespace attnscope::ui {

MessageBanner::MessageBanner(QWidget* parent) : QWidget(parent) {
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(8, 4, 4, 4);
  label_ = new QLabel(this);
  label_->setWordWrap(true);
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* close = new QToolButton(this);
  close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
  close->setAutoRaise(true);
  close->setToolTip(tr("Dismiss"));
  row->addWidget(label_, 1);
  row->addWidget(close);
  setAutoFillBackground(true);
  connect(close, &QToolButton::clicked, this, &QWidget::hide);
  hide();
}

void MessageBanner::showMessage(const QString& text, Kind kind) {
  kind_ = kind;
  label_->setText(text);
  QPalette p = palette();
  p.setColor(QPalette::Window, kind == Kind::Error ? QColor(120, 30, 30) : QColor(30, 70, 110));
  p.setColor(QPalette::WindowText, Qt::white);
  setPalette(p);
  label_->setPalette(p);
  show();
}

QString MessageBanner::text() const { return isHidden() ? QString() : label_->text(); }

}  // namespace attnscope::ui
