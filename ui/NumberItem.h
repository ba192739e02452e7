#pragma once
// NumberItem: a table cell that shows a number rounded for reading but sorts
// by its exact value (Qt would sort the text). NaN shows as "—" and sorts
// first.
#include <QTableWidgetItem>

#include <cmath>

namespace attnscope::ui {

class NumberItem : public QTableWidgetItem {
 public:
  NumberItem(double value, int decimals)
      : QTableWidgetItem(std::isfinite(value) ? QString::number(value, 'f', decimals) : QStringLiteral("—")),
        value_(value) {
    setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    setFlags(flags() & ~Qt::ItemIsEditable);
  }
  explicit NumberItem(long long value) : NumberItem(double(value), 0) {}
  double value() const { return value_; }
  bool operator<(const QTableWidgetItem& other) const override {
    const auto* o = dynamic_cast<const NumberItem*>(&other);
    if (!o) return QTableWidgetItem::operator<(other);
    if (!std::isfinite(value_)) return std::isfinite(o->value_);
    return std::isfinite(o->value_) && value_ < o->value_;
  }

 private:
  double value_;
};

// A read-only text cell.
inline QTableWidgetItem* textItem(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(item->flags() & ~Qt::ItemIsEditable);
  return item;
}

}  // namespace attnscope::ui
