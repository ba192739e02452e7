// Diagnostic, not a timing: how strongly does each kind of caption word move
// the default model's global conditioning? For captions that differ in one
// word (the direction, the colour or the shape of the main clause), it prints
// the mean size of the change in
//   - the caption's pooled text feature (masked mean of the text encoder),
//   - the pooled path's output (text_pool, added to the time embedding),
//   - the modulation every block reads (time_projection of the sum) at t,
// next to the sizes of the time embedding and of the pooled path's output.
// A word the model cannot tell apart here can still act through
// cross-attention, but not through the adaLN modulation.
// Usage: bench_caption_conditioning [MODEL_DIR] [T (0..1000, default 980)]
#include <cstdio>
#include <string>
#include <vector>

#include "engine/model/DitModel.h"
#include "engine/model/Model.h"

using namespace attnscope;

namespace {

struct Conditioning {
  torch::Tensor textMean, pooled, modulation;
};

std::string caption(const std::string& colour, const std::string& shape, const std::string& direction) {
  return "a " + colour + " " + shape + " moves " + direction + " on a dark background";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default";
  const double t = argc > 2 ? std::stod(argv[2]) : 980.0;
  Model model = Model::load(dir);
  if (!model.config.pooledText) {
    std::printf("%s has no pooled caption path (pooled_text): the caption acts through cross-attention only\n",
                model.config.modelId.c_str());
    return 0;
  }
  torch::NoGradGuard noGrad;
  DitModelImpl& dit = *model.dit;
  const auto time = dit.timeEmbedding->forward(sinusoidalEmbedding(torch::tensor({t}), model.config.freqDim));
  auto condition = [&](const std::string& text) {
    auto ids = torch::tensor(model.tokenizer->tokenize(text, model.config.text.maxTokens).ids).view({1, -1});
    Conditioning c;
    c.textMean = maskedTokenMean(model.textEncoder->forward(ids));
    c.pooled = dit.textPool->forward(c.textMean);
    c.modulation = dit.timeProjection->forward(time + c.pooled);
    return c;
  };

  const std::vector<std::string> colours = {"red", "blue", "green", "yellow"};
  const std::vector<std::string> shapes = {"circle", "square", "triangle", "star"};
  const std::vector<std::string> directions = {"left", "right", "up", "down"};
  // Mean change over every pair of values of one word, the others held at
  // each of their values.
  struct Row {
    const char* word;
    double textMean = 0, pooled = 0, modulation = 0;
    int pairs = 0;
  } rows[3] = {{"direction"}, {"colour"}, {"shape"}};
  auto add = [](Row& row, const Conditioning& a, const Conditioning& b) {
    row.textMean += (a.textMean - b.textMean).norm().item<double>();
    row.pooled += (a.pooled - b.pooled).norm().item<double>();
    row.modulation += (a.modulation - b.modulation).norm().item<double>();
    ++row.pairs;
  };
  double pooledSize = 0, modulationSize = 0;
  int captions = 0;
  for (const auto& c : colours)
    for (const auto& s : shapes)
      for (size_t i = 0; i < directions.size(); ++i) {
        const Conditioning here = condition(caption(c, s, directions[i]));
        pooledSize += here.pooled.norm().item<double>();
        modulationSize += here.modulation.norm().item<double>();
        ++captions;
        for (size_t j = i + 1; j < directions.size(); ++j) add(rows[0], here, condition(caption(c, s, directions[j])));
        for (const auto& other : colours)
          if (other > c) add(rows[1], here, condition(caption(other, s, directions[i])));
        for (const auto& other : shapes)
          if (other > s) add(rows[2], here, condition(caption(c, other, directions[i])));
      }

  std::printf("model %s, t = %.0f, %d captions \"a <colour> <shape> moves <direction> on a dark background\"\n",
              model.config.modelId.c_str(), t, captions);
  std::printf("|time embedding| %.3f, mean |text_pool output| %.3f, mean |modulation| %.3f\n\n",
              time.norm().item<double>(), pooledSize / captions, modulationSize / captions);
  std::printf("| word changed | pairs | mean change (norm) of the text mean | of text_pool's output | of the modulation |\n");
  std::printf("|---|---|---|---|---|\n");
  for (const Row& r : rows)
    std::printf("| %s | %d | %.4f | %.4f | %.4f |\n", r.word, r.pairs, r.textMean / r.pairs, r.pooled / r.pairs,
                r.modulation / r.pairs);
  return 0;
}
