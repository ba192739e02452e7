// Hopper (sm_90a) block-sparse attention: wgmma from shared memory. Written
// in the next commit; until then it declines every launch.
#include "engine/cuda/SparseLaunch.h"

namespace attnscope::cuda {

cudaError_t launchSparseHopper(const SparseLaunchParams&, cudaStream_t) { return cudaErrorNotSupported; }

}  // namespace attnscope::cuda
