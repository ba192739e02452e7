#pragma once
// RunPanel (the "Run" dock): model, device, prompt, steps, seed, what to
// capture, the Generate / Re-render / Cancel buttons and the per-step
// progress bar. It only collects settings; MainWindow turns them into engine
// jobs (a new device: the model reloads there, on the worker thread). The
// device choice is remembered (QSettings "run/device").
#include <QWidget>

#include <vector>

#include "engine/model/ComputeDevices.h"
#include "engine/model/ModelConfig.h"
#include "engine/pipeline/GenerationTypes.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace attnscope::ui {

class RunPanel : public QWidget {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);

  static QString examplePrompt() { return QStringLiteral("a red circle moves left on a dark background"); }

  void setModel(const QString& path, const ModelConfig* config);  // config null: not loaded
  // The Device combo's entries (the constructor lists the engine's
  // computeDevices()); the remembered one is chosen when listed, else the
  // CPU. With the CPU alone the combo is disabled and its tooltip says why.
  void setDevices(const std::vector<ComputeDevice>& devices, const QString& whyOnlyCpu);
  QString device() const;  // "cpu", "cuda:0", ... (ModelSession::load's device)
  GenerationRequest request() const;
  QString captureSteps() const;  // "mid", "all", "0,5-7", "" = no capture
  BlockLayout captureLayout(const TokenGrid& grid) const;  // throws Error

  void setBusy(bool busy, const QString& label);
  void setProgress(int done, int total);
  void setStatus(const QString& text);

  QComboBox* deviceBox() const { return device_; }
  QLineEdit* promptEdit() const { return prompt_; }
  QSpinBox* stepsBox() const { return steps_; }
  QSpinBox* seedBox() const { return seed_; }
  QLineEdit* captureEdit() const { return capture_; }
  QPushButton* generateButton() const { return generate_; }
  QPushButton* rerenderButton() const { return rerender_; }
  QPushButton* cancelButton() const { return cancel_; }
  QProgressBar* progressBar() const { return progress_; }

 signals:
  void generateRequested();
  void rerenderRequested();
  void cancelRequested();
  void openModelRequested();
  void deviceChanged(const QString& device);  // the user chose another device

 private:
  void updateDeviceEnabled();

  QLabel* model_;
  QComboBox* device_;
  QString whyOnlyCpu_;
  bool busy_ = false;
  QLineEdit* prompt_;
  QSpinBox *steps_, *seed_, *block_;
  QLineEdit* capture_;
  QComboBox* layout_;
  QPushButton *generate_, *rerender_, *cancel_;
  QProgressBar* progress_;
  QLabel* status_;
};

}  // namespace attnscope::ui
