#pragma once
// The umT5 tokenizer of Wan 2.1 through Debian's libsentencepiece (loaded as
// the attnscope_spm plug-in, see bridge/SentencePieceBridge.cpp): the prompt's
// whitespace is collapsed (Wan's clean='whitespace'), encoded with
// spiece.model, followed by </s>, truncated to textLen (keeping </s>) and
// padded with <pad>; the mask marks the tokens (prompt + </s>). No LibTorch here.
#include <cstdint>
#include <string>
#include <vector>

namespace attnscope {

struct Umt5Tokens {
  std::vector<int64_t> ids;          // textLen ids
  std::vector<int64_t> mask;         // 1 for tokens, 0 for padding
  std::vector<std::string> pieces;   // textLen pieces, "<pad>" for padding
  int64_t length = 0;                // tokens including </s>
};

class Umt5Tokenizer {
 public:
  explicit Umt5Tokenizer(const std::string& modelPath);  // throws Error naming the file
  ~Umt5Tokenizer();
  Umt5Tokenizer(const Umt5Tokenizer&) = delete;
  Umt5Tokenizer& operator=(const Umt5Tokenizer&) = delete;

  Umt5Tokens encode(const std::string& prompt, int64_t textLen) const;
  int64_t vocabSize() const;

 private:
  void* handle_ = nullptr;
  std::string path_;
};

// Wan's whitespace_clean: runs of whitespace become one space, ends trimmed.
std::string collapseWhitespace(const std::string& text);

// Trains a sentencepiece model (SentencePieceTrainer flags, e.g. "--input=... --model_prefix=...").
void trainSentencePiece(const std::string& flags);

}  // namespace attnscope
