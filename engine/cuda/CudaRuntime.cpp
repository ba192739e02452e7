// CUDA runtime facts through LibTorch's CUDA helpers; stubs in a CPU build.
#include "engine/cuda/CudaRuntime.h"

#ifdef ATTNSCOPE_HAVE_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <torch/torch.h>
#endif

namespace attnscope::cuda {

#ifdef ATTNSCOPE_HAVE_CUDA

bool built() { return true; }

bool deviceAvailable() { return c10::cuda::device_count() > 0; }

std::string deviceName(int device) {
  if (!deviceAvailable()) return "";
  return at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(device))->name;
}

void synchronize() {
  if (deviceAvailable()) c10::cuda::device_synchronize();
}

namespace {

// LibTorch 2.x initialises its caching allocator lazily, and asking for its
// statistics before that fails ("Invalid device argument"): allocate once.
void ensureAllocator(int device) {
  (void)torch::empty({1}, torch::TensorOptions().device(torch::kCUDA, static_cast<c10::DeviceIndex>(device)));
}

}  // namespace

int64_t peakAllocatedBytes(int device) {
  if (!deviceAvailable()) return 0;
  ensureAllocator(device);
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
  return stats.allocated_bytes[0].peak;  // index 0: the aggregate over pool kinds
}

void resetPeakAllocated(int device) {
  if (!deviceAvailable()) return;
  ensureAllocator(device);
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
}

#else

bool built() { return false; }
bool deviceAvailable() { return false; }
std::string deviceName(int) { return ""; }
void synchronize() {}
int64_t peakAllocatedBytes(int) { return 0; }
void resetPeakAllocated(int) {}

#endif

}  // namespace attnscope::cuda
