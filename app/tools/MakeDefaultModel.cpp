// attnscope-make-model: writes the default model's folder (config.json,
// vocabulary, safetensors weights) with seeded random weights. It stands in
// until the trained default model ships; its id says it is untrained.
#include <iostream>

#include <CLI/CLI.hpp>

#include "engine/core/Error.h"
#include "engine/model/Model.h"

int main(int argc, char** argv) {
  CLI::App app{"Write an untrained AttnScope default model (random weights) into a folder"};
  std::string out, vocab;
  uint64_t seed = 1234;
  attnscope::ModelConfig config;
  config.modelId = "attnscope-default-untrained";
  app.add_option("--out", out, "Output folder")->required();
  app.add_option("--vocab", vocab, "Vocabulary file (one word per line, <pad> first)")->required()->check(CLI::ExistingFile);
  app.add_option("--seed", seed, "Initialisation seed");
  app.add_option("--model-id", config.modelId, "Model id recorded in config, atlases and plans");
  app.add_option("--dim", config.dim, "Model width");
  app.add_option("--heads", config.heads, "Attention heads");
  app.add_option("--layers", config.layers, "Blocks");
  app.add_option("--ffn", config.ffnDim, "FFN hidden size");
  CLI11_PARSE(app, argc, argv);
  try {
    attnscope::Model model = attnscope::Model::create(config, vocab, seed);
    model.save(out);
    std::cout << "wrote " << config.modelId << " to " << out << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "attnscope-make-model: error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
