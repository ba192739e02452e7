#pragma once
// Device helpers shared by the portable (sm_80+) kernels: cp.async loads into
// XOR-swizzled shared-memory tiles, ldmatrix fragment loads and the bf16
// mma.sync.m16n8k16 with float32 accumulation. Fragment layouts are PTX's
// (g = lane / 4 is the fragment row, t = lane % 4 its column pair).
#include <cstdint>

#include <cuda_bf16.h>

namespace attnscope::cuda::mma {

constexpr unsigned kFullWarp = 0xffffffffu;
constexpr float kLog2e = 1.4426950408889634f;

__device__ __forceinline__ uint32_t sharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared; zero-filled (nothing read) when !valid.
__device__ __forceinline__ void copyAsync16(uint32_t dst, const void* src, bool valid) {
  const int bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void commitAsync() { asm volatile("cp.async.commit_group;\n" ::); }
template <int Pending>
__device__ __forceinline__ void waitAsync() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// Byte offset of (row, col..col+7) in a tile of rows of D bf16: 16-byte chunks
// XOR-swizzled by row so that the 8 rows one ldmatrix reads hit 8 bank groups.
template <int D>
__device__ __forceinline__ uint32_t tileOffset(int row, int col) {
  return static_cast<uint32_t>(row * (D * 2) + ((((col >> 3) ^ (row & 7))) << 4));
}

// Rows [0, Rows) of D bf16 from src (row stride D) into a swizzled tile; rows
// >= validRows are zero-filled. Every thread of the CTA takes part.
template <int D, int Rows, int Threads>
__device__ __forceinline__ void loadTileAsync(uint32_t tile, const __nv_bfloat16* src, int validRows, int tid) {
  constexpr int kChunksPerRow = D / 8, kChunks = Rows * kChunksPerRow;
  static_assert(kChunks % Threads == 0, "tile chunks must split evenly over the threads");
#pragma unroll
  for (int i = 0; i < kChunks / Threads; ++i) {
    const int chunk = i * Threads + tid, row = chunk / kChunksPerRow, col = (chunk % kChunksPerRow) * 8;
    const bool valid = row < validRows;
    copyAsync16(tile + tileOffset<D>(row, col), src + (valid ? row * D + col : 0), valid);
  }
}

__device__ __forceinline__ void loadMatrixX4(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}
__device__ __forceinline__ void loadMatrixX4Transposed(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address));
}

// c[16x8] += a[16x16] * b[16x8], bf16 in, float32 accumulation.
__device__ __forceinline__ void mmaBf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// Two floats as a bf16 pair, `low` in the low half (the lower column).
__device__ __forceinline__ uint32_t packBf16(float low, float high) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(low, high);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// A fragments (16 rows x 16 k) of rows row0.. of a swizzled tile, for every
// k-step of D: a[kk] covers columns 16kk..16kk+15.
template <int D>
__device__ __forceinline__ void loadRowFragments(uint32_t (&a)[D / 16][4], uint32_t tile, int row0, int lane) {
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
    loadMatrixX4(a[kk], tile + tileOffset<D>(row0 + lane % 16, kk * 16 + (lane / 16) * 8));
}

// s[16 x Keys] = a (16 x D, from loadRowFragments) times the first Keys rows
// of a swizzled key tile, transposed: s[j] holds keys 8j..8j+7.
template <int D, int Keys>
__device__ __forceinline__ void scoresTimesKeys(float (&s)[Keys / 8][4], const uint32_t (&a)[D / 16][4],
                                                uint32_t keyTile, int lane) {
#pragma unroll
  for (int j = 0; j < Keys / 8; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.f;
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
    for (int np = 0; np < Keys / 16; ++np) {
      uint32_t b[4];
      loadMatrixX4(b, keyTile + tileOffset<D>(np * 16 + lane % 8 + (lane / 16) * 8, kk * 16 + ((lane / 8) % 2) * 8));
      mmaBf16(s[2 * np], a[kk], b[0], b[1]);
      mmaBf16(s[2 * np + 1], a[kk], b[2], b[3]);
    }
}

}  // namespace attnscope::cuda::mma
