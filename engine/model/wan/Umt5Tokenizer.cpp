#include "engine/model/wan/Umt5Tokenizer.h"

#include <dlfcn.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <type_traits>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

namespace fs = std::filesystem;

// The attnscope_spm plug-in's entry points, loaded once per process.
struct SentencePieceLibrary {
  void* (*load)(const char*, char*, size_t) = nullptr;
  void (*free)(void*) = nullptr;
  int (*encode)(void*, const char*, int*, int) = nullptr;
  int (*piece)(void*, int, char*, int) = nullptr;
  int (*size)(void*) = nullptr;
  int (*eos)(void*) = nullptr;
  int (*pad)(void*) = nullptr;
  int (*train)(const char*, char*, size_t) = nullptr;
};

std::vector<std::string> candidatePaths() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("ATTNSCOPE_SPM_PLUGIN"); env && *env) out.push_back(env);
#ifdef ATTNSCOPE_SPM_PLUGIN_PATH
  out.push_back(ATTNSCOPE_SPM_PLUGIN_PATH);
#endif
  std::error_code ec;
  fs::path exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path() / "libattnscope_spm.so").string());
    out.push_back((exe.parent_path() / ".." / "lib" / "libattnscope_spm.so").lexically_normal().string());
  }
  return out;
}

const SentencePieceLibrary& library() {
  static SentencePieceLibrary lib;
  static std::string failure;
  static std::once_flag once;
  std::call_once(once, [] {
    void* handle = nullptr;
    std::string tried;
    for (const auto& path : candidatePaths()) {
      if (!fs::exists(path)) {
        tried += "\n  " + path + " (absent)";
        continue;
      }
      // Local scope + deep binding: sentencepiece's bundled protobuf-lite must
      // neither see nor replace LibTorch's libprotobuf.
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (handle) break;
      tried += "\n  " + path + " (" + dlerror() + ")";
    }
    if (!handle) {
      failure = "cannot load the sentencepiece plug-in libattnscope_spm.so (set ATTNSCOPE_SPM_PLUGIN); tried:" + tried;
      return;
    }
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
      if (!fn) failure = std::string("the sentencepiece plug-in lacks ") + name;
    };
    get(lib.load, "attnscope_spm_load");
    get(lib.free, "attnscope_spm_free");
    get(lib.encode, "attnscope_spm_encode");
    get(lib.piece, "attnscope_spm_piece");
    get(lib.size, "attnscope_spm_size");
    get(lib.eos, "attnscope_spm_eos");
    get(lib.pad, "attnscope_spm_pad");
    get(lib.train, "attnscope_spm_train");
  });
  if (!failure.empty()) throw Error(failure);
  return lib;
}

}  // namespace

std::string collapseWhitespace(const std::string& text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(ch);
  }
  return out;
}

void trainSentencePiece(const std::string& flags) {
  char err[512] = {0};
  if (library().train(flags.c_str(), err, sizeof err) != 0) throw Error(std::string("sentencepiece training failed: ") + err);
}

Umt5Tokenizer::Umt5Tokenizer(const std::string& modelPath) : path_(modelPath) {
  if (!fs::exists(modelPath)) throw Error("tokenizer model " + modelPath + " does not exist");
  char err[512] = {0};
  handle_ = library().load(modelPath.c_str(), err, sizeof err);
  if (!handle_) throw Error("cannot load the sentencepiece tokenizer " + modelPath + ": " + err);
  if (library().eos(handle_) < 0 || library().pad(handle_) < 0) {
    library().free(handle_);
    throw Error("the sentencepiece tokenizer " + modelPath + " defines no </s> or <pad> piece");
  }
}

Umt5Tokenizer::~Umt5Tokenizer() {
  if (handle_) library().free(handle_);
}

int64_t Umt5Tokenizer::vocabSize() const { return library().size(handle_); }

Umt5Tokens Umt5Tokenizer::encode(const std::string& prompt, int64_t textLen) const {
  const auto& lib = library();
  const std::string text = collapseWhitespace(prompt);
  std::vector<int> ids(textLen);
  int n = lib.encode(handle_, text.c_str(), ids.data(), int(ids.size()));
  if (n < 0) throw Error("tokenizer " + path_ + " cannot encode the prompt");
  ids.resize(std::min<int64_t>(n, textLen - 1));  // truncation keeps room for </s>
  ids.push_back(lib.eos(handle_));
  Umt5Tokens out;
  out.length = int64_t(ids.size());
  std::vector<char> piece(256);
  for (int id : ids) {
    out.ids.push_back(id);
    out.mask.push_back(1);
    int len = lib.piece(handle_, id, piece.data(), int(piece.size()));
    if (len >= int(piece.size())) {
      piece.resize(len + 1);
      lib.piece(handle_, id, piece.data(), int(piece.size()));
    }
    out.pieces.emplace_back(piece.data());
  }
  out.ids.resize(textLen, lib.pad(handle_));
  out.mask.resize(textLen, 0);
  out.pieces.resize(textLen, "<pad>");
  return out;
}

}  // namespace attnscope
