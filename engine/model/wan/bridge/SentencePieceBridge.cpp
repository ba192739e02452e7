// attnscope_spm: a plug-in module that wraps Debian's libsentencepiece behind a
// plain C interface. Why a separate module: libsentencepiece carries its own
// copy of protobuf-lite and exports its symbols; loaded into the same global
// symbol scope as LibTorch's libprotobuf, the two interpose and the process
// crashes during start-up. The engine dlopens this module with RTLD_LOCAL |
// RTLD_DEEPBIND (Umt5Tokenizer.cpp), which keeps the copies apart. Deep binding
// also makes sentencepiece see libstdc++'s own std::cerr rather than the
// executable's copy-relocated one, which is never constructed: its logging is
// therefore switched off before any call.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

namespace sentencepiece::logging {
void SetMinLogLevel(int level);  // exported by libsentencepiece, not declared in its public headers
}

namespace {

void silence() { sentencepiece::logging::SetMinLogLevel(100); }

void copyError(const std::string& text, char* err, size_t errLen) {
  if (!err || errLen == 0) return;
  std::strncpy(err, text.c_str(), errLen - 1);
  err[errLen - 1] = '\0';
}

}  // namespace

extern "C" {

void* attnscope_spm_load(const char* path, char* err, size_t errLen) {
  silence();
  auto* sp = new sentencepiece::SentencePieceProcessor();
  auto status = sp->Load(path);
  if (!status.ok()) {
    copyError(status.ToString(), err, errLen);
    delete sp;
    return nullptr;
  }
  return sp;
}

void attnscope_spm_free(void* handle) { delete static_cast<sentencepiece::SentencePieceProcessor*>(handle); }

// Writes up to `capacity` ids; returns how many the text has (-1 on error).
int attnscope_spm_encode(void* handle, const char* text, int* ids, int capacity) {
  std::vector<int> out;
  if (!static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(text, &out).ok()) return -1;
  for (int i = 0; i < int(out.size()) && i < capacity; ++i) ids[i] = out[i];
  return int(out.size());
}

// Writes the piece of `id` (NUL-terminated, truncated to capacity); returns its length.
int attnscope_spm_piece(void* handle, int id, char* out, int capacity) {
  const std::string& piece = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->IdToPiece(id);
  if (capacity > 0) {
    std::strncpy(out, piece.c_str(), size_t(capacity) - 1);
    out[capacity - 1] = '\0';
  }
  return int(piece.size());
}

int attnscope_spm_size(void* handle) { return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize(); }
int attnscope_spm_eos(void* handle) { return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->eos_id(); }
int attnscope_spm_pad(void* handle) { return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->pad_id(); }

int attnscope_spm_train(const char* args, char* err, size_t errLen) {
  silence();
  auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) {
    copyError(status.ToString(), err, errLen);
    return 1;
  }
  return 0;
}

}  // extern "C"
