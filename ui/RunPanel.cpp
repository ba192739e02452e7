#include "ui/RunPanel.h"

#include <algorithm>

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include "engine/core/Error.h"

namespace attnscope::ui {

namespace {
const char* const kDeviceKey = "run/device";
}  // namespace

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  auto* column = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  column->addLayout(form);

  auto* modelRow = new QHBoxLayout;
  model_ = new QLabel(tr("loading…"), this);
  model_->setToolTip(tr("The model generating the videos ($ATTNSCOPE_MODEL, or the built-in default model)"));
  auto* change = new QToolButton(this);
  change->setText(tr("…"));
  change->setToolTip(tr("Open another model folder (File ▸ Open Model…)"));
  modelRow->addWidget(model_, 1);
  modelRow->addWidget(change);
  form->addRow(tr("Model"), modelRow);

  device_ = new QComboBox(this);
  form->addRow(tr("Device"), device_);
  setDevices(computeDevices(), QString::fromStdString(cudaUnavailableReason()));

  prompt_ = new QLineEdit(examplePrompt(), this);
  prompt_->setToolTip(tr("Text prompt; words the model does not know are an error"));
  prompt_->setClearButtonEnabled(true);
  form->addRow(tr("Prompt"), prompt_);

  steps_ = new QSpinBox(this);
  steps_->setRange(1, 500);
  steps_->setValue(20);
  steps_->setToolTip(tr("Denoising steps (fewer is faster, rougher)"));
  form->addRow(tr("Steps"), steps_);

  seed_ = new QSpinBox(this);
  seed_->setRange(0, 2147483647);
  seed_->setValue(7);
  seed_->setToolTip(tr("Random seed; the same seed and settings give the same video"));
  form->addRow(tr("Seed"), seed_);

  capture_ = new QLineEdit(QStringLiteral("mid"), this);
  capture_->setToolTip(tr("Steps whose attention is captured into the atlas: all, last, mid, or e.g. 0,5,10-12 "
                          "(negative counts from the end). Empty: no capture."));
  form->addRow(tr("Capture steps"), capture_);

  auto* layoutRow = new QHBoxLayout;
  layout_ = new QComboBox(this);
  layout_->addItems({tr("linear"), tr("tiled")});
  layout_->setToolTip(tr("Block layout: consecutive tokens, or 3D tiles (frames × rows × columns)"));
  block_ = new QSpinBox(this);
  block_->setRange(1, 4096);
  block_->setValue(64);
  block_->setToolTip(tr("Tokens per block of the pooled maps and masks"));
  layoutRow->addWidget(layout_);
  layoutRow->addWidget(block_);
  form->addRow(tr("Blocks"), layoutRow);

  auto* buttons = new QHBoxLayout;
  generate_ = new QPushButton(tr("Generate"), this);
  generate_->setToolTip(tr("Generate a dense video and capture its attention (Ctrl+Return)"));
  generate_->setDefault(true);
  rerender_ = new QPushButton(tr("Re-render"), this);
  rerender_->setToolTip(tr("Re-render the same prompt and seed with the mask plan, then compare (Ctrl+R)"));
  cancel_ = new QPushButton(tr("Cancel"), this);
  cancel_->setToolTip(tr("Stop the running job after the current step (Esc)"));
  cancel_->setEnabled(false);
  buttons->addWidget(generate_);
  buttons->addWidget(rerender_);
  buttons->addWidget(cancel_);
  column->addLayout(buttons);

  progress_ = new QProgressBar(this);
  progress_->setToolTip(tr("Denoising steps done"));
  progress_->setRange(0, 1);
  progress_->setValue(0);
  progress_->setFormat(tr("idle"));
  column->addWidget(progress_);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setToolTip(tr("What the last job did"));
  column->addWidget(status_);
  column->addStretch(1);

  connect(generate_, &QPushButton::clicked, this, &RunPanel::generateRequested);
  connect(rerender_, &QPushButton::clicked, this, &RunPanel::rerenderRequested);
  connect(cancel_, &QPushButton::clicked, this, &RunPanel::cancelRequested);
  connect(prompt_, &QLineEdit::returnPressed, this, &RunPanel::generateRequested);
  connect(change, &QToolButton::clicked, this, &RunPanel::openModelRequested);
  connect(device_, &QComboBox::currentIndexChanged, this, [this] {
    QSettings().setValue(kDeviceKey, device());
    emit deviceChanged(device());
  });
}

void RunPanel::setDevices(const std::vector<ComputeDevice>& devices, const QString& whyOnlyCpu) {
  const QSignalBlocker quiet(device_);  // listing is not a choice
  device_->clear();
  for (const ComputeDevice& d : devices) device_->addItem(QString::fromStdString(d.label), QString::fromStdString(d.id));
  device_->setCurrentIndex(std::max(0, device_->findData(QSettings().value(kDeviceKey, "cpu").toString())));
  whyOnlyCpu_ = whyOnlyCpu.isEmpty() ? tr("there is no CUDA device") : whyOnlyCpu;
  updateDeviceEnabled();
}

QString RunPanel::device() const {
  const QString id = device_->currentData().toString();
  return id.isEmpty() ? QStringLiteral("cpu") : id;
}

void RunPanel::updateDeviceEnabled() {
  const bool choice = device_->count() > 1;
  device_->setEnabled(choice && !busy_);
  device_->setToolTip(choice ? tr("Where the model runs: the CPU, or a CUDA GPU (in bfloat16). Choosing another "
                                  "device reloads the model there.")
                             : tr("The model runs on the CPU: %1.").arg(whyOnlyCpu_));
}

void RunPanel::setModel(const QString& path, const ModelConfig* config) {
  if (!config) {
    model_->setText(tr("<i>not loaded</i> (%1)").arg(path.toHtmlEscaped()));
    return;
  }
  model_->setText(tr("%1%2 · %3×%4")
                      .arg(QString::fromStdString(config->modelId).toHtmlEscaped())
                      .arg(config->trained ? QString() : tr(" <i>(untrained)</i>"))
                      .arg(config->layers).arg(config->heads));
  model_->setToolTip(tr("%1\n%2 layers × %3 heads, width %4").arg(path).arg(config->layers).arg(config->heads)
                         .arg(config->dim));
  steps_->setValue(config->defaults.steps);
}

GenerationRequest RunPanel::request() const {
  GenerationRequest r;
  r.prompt = prompt_->text().trimmed().toStdString();
  r.steps = steps_->value();
  r.seed = uint64_t(seed_->value());
  return r;
}

QString RunPanel::captureSteps() const { return capture_->text().trimmed(); }

BlockLayout RunPanel::captureLayout(const TokenGrid& grid) const {
  if (layout_->currentIndex() == 0) return BlockLayout::linear(block_->value());
  return BlockLayout::tiledFor(grid, block_->value());
}

void RunPanel::setBusy(bool busy, const QString& label) {
  busy_ = busy;
  updateDeviceEnabled();  // no reload while a job may be using the model
  generate_->setEnabled(!busy);
  rerender_->setEnabled(!busy);
  cancel_->setEnabled(busy);
  if (busy) {
    progress_->setRange(0, 0);  // busy until the first step reports
    progress_->setFormat(label + QStringLiteral(" %v/%m"));
  } else {
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("idle"));
  }
}

void RunPanel::setProgress(int done, int total) {
  progress_->setRange(0, total);
  progress_->setValue(done);
}

void RunPanel::setStatus(const QString& text) { status_->setText(text); }

}  // namespace attnscope::ui
