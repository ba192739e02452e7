#pragma once
// BlockLayout: how video tokens group into attention blocks.
//  linear(B)        B consecutive natural-order tokens; the last block may be short.
//  tiled(tf,ty,tx)  3D tiles; tokens are permuted into tile-major order so a
//                   tile is one contiguous block of tf*ty*tx tokens. The tile
//                   must divide the grid.
// Every pooled map and every mask names the layout it was made in.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/TokenGrid.h"

namespace attnscope {

// Inclusive-exclusive token ranges a block covers on each axis (its bounding box).
struct BlockBox {
  int64_t f0, f1, y0, y1, x0, x1;
};

class BlockLayout {
 public:
  enum class Kind { Linear, Tiled };

  static BlockLayout linear(int64_t block);
  static BlockLayout tiled(int64_t tf, int64_t ty, int64_t tx);
  // "linear(64)", "linear:64", "tiled(2,4,8)" or "tiled:2x4x8".
  static BlockLayout parse(const std::string& text);
  // The most cube-like tile of `block` tokens that divides the grid; throws
  // Error when no tile of that size fits.
  static BlockLayout tiledFor(const TokenGrid& grid, int64_t block);

  Kind kind() const { return kind_; }
  int64_t blockSize() const;
  int64_t tileFrames() const { return tf_; }
  int64_t tileHeight() const { return ty_; }
  int64_t tileWidth() const { return tx_; }
  std::string str() const;  // canonical: "linear(64)" / "tiled(2,4,8)"

  // Throws Error naming the layout and grid when they do not fit together.
  void validate(const TokenGrid& grid) const;
  int64_t numBlocks(const TokenGrid& grid) const;  // ceil(N / blockSize)
  // Tokens in block b (blockSize, or fewer for the last linear block).
  int64_t blockTokens(const TokenGrid& grid, int64_t b) const;
  // order[p] = natural index of the token at layout position p. Empty for
  // linear (identity), so callers can skip the gather.
  std::vector<int64_t> permutation(const TokenGrid& grid) const;
  BlockBox blockBox(const TokenGrid& grid, int64_t b) const;

  bool operator==(const BlockLayout& o) const {
    return kind_ == o.kind_ && block_ == o.block_ && tf_ == o.tf_ && ty_ == o.ty_ && tx_ == o.tx_;
  }
  bool operator!=(const BlockLayout& o) const { return !(*this == o); }

 private:
  Kind kind_ = Kind::Linear;
  int64_t block_ = 64;
  int64_t tf_ = 0, ty_ = 0, tx_ = 0;
};

}  // namespace attnscope
