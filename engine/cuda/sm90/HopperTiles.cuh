#pragma once
// Shared-memory tiles for the Hopper kernels (block-sparse attention and the
// capture statistics): cp.async copies of [rows, HeadDim] bf16 tiles into the
// 128-byte swizzle wgmma reads, the fences between the copy and the async
// proxy, and the fast exp2. Element (r, c) of a tile of R rows sits in column
// panel c / 64 at byte r * 128 + ((c % 64 / 8) ^ (r % 8)) * 16 + (c % 8) * 2.
#include <cuda_bf16.h>

#include <cstdint>

namespace attnscope::cuda::sm90 {

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// Copies rows [row0, row0 + Rows) of a [tokens, HeadDim] bf16 matrix into a
// swizzled tile; rows past `tokens` are zero-filled.
template <int Rows, int HeadDim, int Threads>
__device__ __forceinline__ void loadTile(uint32_t tile, const __nv_bfloat16* matrix, int row0, int tokens) {
  constexpr int kChunksPerRow = HeadDim / 8;  // 16-byte chunks
  constexpr int kChunks = Rows * kChunksPerRow;
  static_assert(kChunks % Threads == 0, "every thread copies the same number of chunks");
#pragma unroll
  for (int it = 0; it < kChunks / Threads; ++it) {
    const int c = it * Threads + threadIdx.x;
    const int r = c / kChunksPerRow, chunk = c % kChunksPerRow;
    const int panel = chunk / 8, inPanel = chunk % 8;
    const uint32_t dst = tile + panel * Rows * 128 + r * 128 + ((inPanel ^ (r & 7)) << 4);
    const bool valid = row0 + r < tokens;
    const __nv_bfloat16* src = matrix + static_cast<int64_t>(valid ? row0 + r : 0) * HeadDim + chunk * 8;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(valid ? 16 : 0)
                 : "memory");
  }
}

__device__ __forceinline__ void commitLoads() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int Pending>
__device__ __forceinline__ void waitLoads() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending) : "memory");
}
// cp.async writes are generic-proxy writes; wgmma reads through the async proxy.
__device__ __forceinline__ void fenceAsyncProxy() { asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory"); }

__device__ __forceinline__ uint32_t packBf16(float lo, float hi) {
  __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&v);
}

// ex2.approx with flush-to-zero: exp2f without fast-math adds range fix-ups.
__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

}  // namespace attnscope::cuda::sm90
