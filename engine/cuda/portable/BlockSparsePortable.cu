// Portable (sm_80+) block-sparse attention with mma.sync. Written in the
// next commit; until then it declines every launch.
#include "engine/cuda/SparseLaunch.h"

namespace attnscope::cuda {

cudaError_t launchSparsePortable(const SparseLaunchParams&, cudaStream_t) { return cudaErrorNotSupported; }

}  // namespace attnscope::cuda
