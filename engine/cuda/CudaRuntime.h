#pragma once
// The few CUDA runtime facts the rest of the engine needs, without CUDA
// headers: whether the build has the kernels, whether a device is there, and
// the caching allocator's peak memory. All are safe to call in a CPU build.
#include <cstdint>
#include <string>

namespace attnscope::cuda {

bool built();            // compiled with the CUDA kernels (ATTNSCOPE_HAVE_CUDA)
bool deviceAvailable();  // built() and at least one CUDA device
std::string deviceName(int device = 0);  // "" when none
// Waits for all work queued on the current device (for honest stage timings).
void synchronize();
// Peak bytes allocated by LibTorch's CUDA caching allocator on `device` since
// the last reset; 0 without CUDA.
int64_t peakAllocatedBytes(int device = 0);
void resetPeakAllocated(int device = 0);

}  // namespace attnscope::cuda
