#pragma once
// Word-level tokenizer over the vocabulary shipped with a model (one word per
// line; line 0 is the padding token). Prompts are lower-cased and split on
// anything that is not a letter or digit. Unknown words are reported, never
// dropped silently: tokenize() throws unless the caller allows dropping them.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace attnscope {

struct Tokens {
  std::vector<int64_t> ids;          // padded to maxTokens with id 0
  std::vector<std::string> words;    // same length; "<pad>" for padding
  std::vector<std::string> unknown;  // words not in the vocabulary (dropped)
  int64_t length = 0;                // real tokens before padding
};

class WordTokenizer {
 public:
  static WordTokenizer load(const std::string& vocabPath);
  explicit WordTokenizer(std::vector<std::string> vocabulary);

  int64_t size() const { return static_cast<int64_t>(vocab_.size()); }
  const std::string& word(int64_t id) const { return vocab_.at(id); }
  // Throws Error naming the unknown words unless allowUnknown; throws when
  // the prompt has more than maxTokens known words.
  Tokens tokenize(const std::string& prompt, int64_t maxTokens, bool allowUnknown = false) const;

 private:
  std::vector<std::string> vocab_;
  std::map<std::string, int64_t> index_;
};

}  // namespace attnscope
