#pragma once
// ModelSession: a loaded model behind a header that pulls in no LibTorch, for
// front ends that must not see tensors (the GUI). It forwards to the same
// pipeline functions the CLI calls (resolveRequest, tokenGridFor, generate).
// generate() may run on any one thread at a time per session.
#include <memory>
#include <string>

#include "engine/model/ModelConfig.h"
#include "engine/pipeline/GenerationTypes.h"

namespace attnscope {

struct Model;

class ModelSession {
 public:
  // Throws Error naming what is missing or malformed (see Model::load), or
  // the device this build or machine lacks. device: "cpu", "cuda", "cuda:N";
  // dtype: "float32", "bfloat16" or "" (the device's default).
  static std::shared_ptr<ModelSession> load(const std::string& path, const std::string& device = "cpu",
                                            const std::string& dtype = "");
  ~ModelSession();

  const std::string& folder() const;
  const ModelConfig& config() const;

  GenerationRequest resolve(const GenerationRequest& request) const;  // defaults filled, sizes checked
  TokenGrid tokenGrid(const GenerationRequest& resolved) const;
  GenerationResult generate(const GenerationRequest& request, const RunOptions& options) const;

 private:
  ModelSession();
  std::unique_ptr<Model> model_;
};

// LibTorch's intra-op threads; <= 0 = all cores.
void setComputeThreads(int threads);

}  // namespace attnscope
