#include "engine/pipeline/ModelSession.h"

#include <algorithm>
#include <thread>

#include <ATen/Parallel.h>

#include "engine/pipeline/Pipeline.h"

namespace attnscope {

ModelSession::ModelSession() = default;
ModelSession::~ModelSession() = default;

std::shared_ptr<ModelSession> ModelSession::load(const std::string& path, const std::string& device,
                                                 const std::string& dtype) {
  const ComputePlacement placement = parseComputePlacement(device, dtype);  // before the slow part
  std::shared_ptr<ModelSession> session(new ModelSession());
  session->model_ = std::make_unique<Model>(Model::load(path, placement));
  return session;
}

const std::string& ModelSession::folder() const { return model_->folder; }
const ModelConfig& ModelSession::config() const { return model_->config; }

GenerationRequest ModelSession::resolve(const GenerationRequest& request) const {
  return resolveRequest(*model_, request);
}

TokenGrid ModelSession::tokenGrid(const GenerationRequest& resolved) const { return tokenGridFor(*model_, resolved); }

GenerationResult ModelSession::generate(const GenerationRequest& request, const RunOptions& options) const {
  return attnscope::generate(*model_, request, options);
}

void setComputeThreads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
}

}  // namespace attnscope
