// attnscope-make-tiny-wan: writes a tiny Wan 2.1 T2V checkpoint with seeded
// random weights, real tensor names and the official or diffusers layout;
// with --golden-inputs also the fixed inputs the golden-output script feeds
// to the reference implementation (tests/data/wan-golden/README.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "engine/core/Error.h"
#include "engine/model/wan/TinyWan.h"
#include "engine/model/wan/Umt5Tokenizer.h"
#include "engine/model/wan/WanLayout.h"
#include "engine/tensorio/TensorIO.h"

namespace {

const char* kGoldenPrompt = "a red circle moves left on a dark background";

void writeGoldenInputs(const std::string& modelDir, const std::string& path, uint64_t seed) {
  using namespace attnscope;
  torch::manual_seed(seed + 1);
  WanFiles files = findWanFiles(modelDir);
  Umt5Tokens tokens = Umt5Tokenizer(files.tokenizerModel).encode(kGoldenPrompt, 512);
  std::map<std::string, torch::Tensor> t;
  t["dit.latents"] = torch::randn({1, 16, 3, 4, 6});
  t["dit.t"] = torch::tensor({731.0f});
  t["dit.context"] = torch::randn({1, 7, 32});  // unpadded: the DiT pads to text_len with zeros
  t["t5.ids"] = torch::tensor(tokens.ids, torch::kInt64).to(torch::kFloat32).view({1, 512});
  t["t5.mask"] = torch::tensor(tokens.mask, torch::kInt64).to(torch::kFloat32).view({1, 512});
  t["vae.z"] = torch::randn({1, 16, 3, 2, 3});
  saveTensors(path, t, {{"prompt", kGoldenPrompt}, {"seed", std::to_string(seed)}});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write a tiny random Wan 2.1 T2V checkpoint (real names and layout) into a folder"};
  std::string out, layout = "official", inputs;
  uint64_t seed = 2025;
  app.add_option("--out", out, "Output folder")->required();
  app.add_option("--layout", layout, "official or diffusers")->check(CLI::IsMember({"official", "diffusers"}));
  app.add_option("--seed", seed, "Initialisation seed");
  app.add_option("--golden-inputs", inputs, "Also write the golden-output inputs (.safetensors)");
  CLI11_PARSE(app, argc, argv);
  try {
    attnscope::writeTinyWan(out, layout == "official" ? attnscope::WanLayoutKind::Official
                                                      : attnscope::WanLayoutKind::Diffusers,
                            seed);
    if (!inputs.empty()) writeGoldenInputs(out, inputs, seed);
    std::cout << "wrote a tiny Wan 2.1 checkpoint (" << layout << " layout) to " << out << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
