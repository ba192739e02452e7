#include "engine/training/ClipStream.h"

#include <cstring>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t clipSeed(uint64_t streamSeed, uint64_t index) {
  return splitmix64(splitmix64(streamSeed) ^ index) % kHeldOutSeedBase;
}

TrainingClip makeTrainingClip(uint64_t streamSeed, uint64_t index, const SceneSize& size,
                              const WordTokenizer& tokenizer, int64_t maxTokens) {
  TrainingClip clip;
  clip.index = index;
  clip.seed = clipSeed(streamSeed, index);
  try {
    SceneSpec scene = sampleScene(clip.seed, size);
    VideoFrames video = renderScene(scene, size);
    if (video.frames != size.frames || video.height != size.height || video.width != size.width)
      throw Error("rendered " + std::to_string(video.frames) + "x" + std::to_string(video.height) + "x" +
                  std::to_string(video.width) + " instead of the requested size");
    clip.caption = scene.caption;
    clip.ids = tokenizer.tokenize(scene.caption, maxTokens).ids;
    clip.rgb = std::move(video.rgb);
  } catch (const std::exception& e) {
    throw Error("training clip " + std::to_string(index) + " (scene seed " + std::to_string(clip.seed) +
                "): " + e.what());
  }
  return clip;
}

ClipStream::ClipStream(std::shared_ptr<const WordTokenizer> tokenizer, int64_t maxTokens, SceneSize size,
                       uint64_t streamSeed, uint64_t startIndex, int workers, int capacity)
    : tokenizer_(std::move(tokenizer)),
      maxTokens_(maxTokens),
      size_(size),
      streamSeed_(streamSeed),
      capacity_(std::max(capacity, 1)),
      next_(startIndex),
      claimed_(startIndex) {
  if (workers < 1) throw Error("clip stream: at least one worker thread is needed, got " + std::to_string(workers));
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
}

ClipStream::~ClipStream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& t : threads_) t.join();
}

void ClipStream::work() {
  for (;;) {
    uint64_t index;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || error_ || claimed_ < next_ + uint64_t(capacity_); });
      if (stopping_ || error_) return;
      index = claimed_++;
    }
    try {
      TrainingClip clip = makeTrainingClip(streamSeed_, index, size_, *tokenizer_, maxTokens_);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(index, std::move(clip));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    changed_.notify_all();
  }
}

TrainingClip ClipStream::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return error_ || ready_.count(next_); });
  auto it = ready_.find(next_);
  if (it == ready_.end()) std::rethrow_exception(error_);
  TrainingClip clip = std::move(it->second);
  ready_.erase(it);
  ++next_;
  lock.unlock();
  changed_.notify_all();
  return clip;
}

}  // namespace attnscope
