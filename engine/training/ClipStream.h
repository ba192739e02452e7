#pragma once
// ClipStream: the training data, an endless stream of procedural clips
// rendered on CPU worker threads ahead of the GPU. Clip i of the stream is
// the scene of seed clipSeed(streamSeed, i) (always below kHeldOutSeedBase,
// so evaluation seeds never appear), its frames and its caption's token ids.
// Clips come out in index order whatever the thread timing, so a run resumed
// at position p sees exactly the clips an uninterrupted run would have.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/model/WordTokenizer.h"
#include "engine/procedural/ProceduralVideo.h"

namespace attnscope {

struct TrainingClip {
  uint64_t index = 0;               // position in the stream
  uint64_t seed = 0;                // scene seed
  std::string caption;
  std::vector<int64_t> ids;         // caption tokens, padded to the model's length
  std::vector<uint8_t> rgb;         // frames * height * width * 3 (VideoFrames layout)
};

uint64_t clipSeed(uint64_t streamSeed, uint64_t index);

// Renders and tokenizes clip `index` (what a worker does).
TrainingClip makeTrainingClip(uint64_t streamSeed, uint64_t index, const SceneSize& size,
                              const WordTokenizer& tokenizer, int64_t maxTokens);

class ClipStream {
 public:
  // `capacity` clips at most are rendered ahead of the consumer.
  ClipStream(std::shared_ptr<const WordTokenizer> tokenizer, int64_t maxTokens, SceneSize size, uint64_t streamSeed,
             uint64_t startIndex, int workers, int capacity);
  ~ClipStream();
  ClipStream(const ClipStream&) = delete;
  ClipStream& operator=(const ClipStream&) = delete;

  // The next clip in index order; rethrows a worker's error (naming the seed).
  TrainingClip next();
  uint64_t position() const { return next_; }  // index of the clip next() returns

 private:
  void work();

  std::shared_ptr<const WordTokenizer> tokenizer_;
  int64_t maxTokens_;
  SceneSize size_;
  uint64_t streamSeed_;
  int capacity_;
  uint64_t next_;      // consumer position
  uint64_t claimed_;   // next index a worker will render
  bool stopping_ = false;
  std::exception_ptr error_;
  std::map<uint64_t, TrainingClip> ready_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> threads_;
};

}  // namespace attnscope
