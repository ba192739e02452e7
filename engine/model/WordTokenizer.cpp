#include "engine/model/WordTokenizer.h"

#include <cctype>
#include <fstream>

#include "engine/core/Error.h"

namespace attnscope {

WordTokenizer WordTokenizer::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open vocabulary " + path);
  std::vector<std::string> words;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) words.push_back(line);
  }
  if (words.size() < 2) throw Error("vocabulary " + path + " holds fewer than two words");
  return WordTokenizer(std::move(words));
}

WordTokenizer::WordTokenizer(std::vector<std::string> vocabulary) : vocab_(std::move(vocabulary)) {
  for (size_t i = 0; i < vocab_.size(); ++i) index_.emplace(vocab_[i], static_cast<int64_t>(i));
}

Tokens WordTokenizer::tokenize(const std::string& prompt, int64_t maxTokens, bool allowUnknown) const {
  Tokens out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    auto it = index_.find(word);
    if (it == index_.end() || it->second == 0) {
      out.unknown.push_back(word);
    } else {
      out.ids.push_back(it->second);
      out.words.push_back(word);
    }
    word.clear();
  };
  for (char ch : prompt) {
    if (std::isalnum(static_cast<unsigned char>(ch)))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    else
      flush();
  }
  flush();
  if (!out.unknown.empty() && !allowUnknown) {
    std::string list;
    for (const auto& w : out.unknown) list += (list.empty() ? "'" : ", '") + w + "'";
    throw Error("the prompt has words this model does not know: " + list +
                " (see the model's vocabulary file, or allow unknown words to drop them)");
  }
  if (static_cast<int64_t>(out.ids.size()) > maxTokens)
    throw Error("the prompt has " + std::to_string(out.ids.size()) + " words; this model reads at most " +
                std::to_string(maxTokens));
  out.length = static_cast<int64_t>(out.ids.size());
  out.ids.resize(maxTokens, 0);
  out.words.resize(maxTokens, vocab_[0]);
  return out;
}

}  // namespace attnscope
