#include "engine/core/BlockLayout.h"

#include <algorithm>
#include <cstdio>

#include "engine/core/Error.h"

namespace attnscope {

BlockLayout BlockLayout::linear(int64_t block) {
  if (block <= 0) throw Error("block size must be positive, got " + std::to_string(block));
  BlockLayout l;
  l.kind_ = Kind::Linear;
  l.block_ = block;
  return l;
}

BlockLayout BlockLayout::tiled(int64_t tf, int64_t ty, int64_t tx) {
  if (tf <= 0 || ty <= 0 || tx <= 0)
    throw Error("tile sizes must be positive, got " + std::to_string(tf) + "," +
                std::to_string(ty) + "," + std::to_string(tx));
  BlockLayout l;
  l.kind_ = Kind::Tiled;
  l.tf_ = tf;
  l.ty_ = ty;
  l.tx_ = tx;
  l.block_ = tf * ty * tx;
  return l;
}

BlockLayout BlockLayout::parse(const std::string& text) {
  long long a = 0, b = 0, c = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "linear(%lld)%c", &a, &tail) == 1 ||
      std::sscanf(text.c_str(), "linear:%lld%c", &a, &tail) == 1)
    return linear(a);
  if (std::sscanf(text.c_str(), "tiled(%lld,%lld,%lld)%c", &a, &b, &c, &tail) == 3 ||
      std::sscanf(text.c_str(), "tiled:%lldx%lldx%lld%c", &a, &b, &c, &tail) == 3)
    return tiled(a, b, c);
  throw Error("layout '" + text + "' is neither linear(B) nor tiled(tf,ty,tx)");
}

int64_t BlockLayout::blockSize() const { return block_; }

std::string BlockLayout::str() const {
  if (kind_ == Kind::Linear) return "linear(" + std::to_string(block_) + ")";
  return "tiled(" + std::to_string(tf_) + "," + std::to_string(ty_) + "," + std::to_string(tx_) + ")";
}

BlockLayout BlockLayout::tiledFor(const TokenGrid& grid, int64_t block) {
  BlockLayout best;
  double bestSpread = -1;
  for (int64_t tf = 1; tf <= grid.frames; ++tf) {
    if (grid.frames % tf || block % tf) continue;
    for (int64_t ty = 1; ty <= grid.height; ++ty) {
      if (grid.height % ty || (block / tf) % ty) continue;
      int64_t tx = block / (tf * ty);
      if (tx > grid.width || grid.width % tx) continue;
      // Prefer balanced tiles: smallest ratio of longest to shortest side.
      double spread = double(std::max({tf, ty, tx})) / double(std::min({tf, ty, tx}));
      if (bestSpread < 0 || spread < bestSpread) {
        bestSpread = spread;
        best = tiled(tf, ty, tx);
      }
    }
  }
  if (bestSpread < 0)
    throw Error("no 3D tile of " + std::to_string(block) + " tokens divides the token grid " + grid.str());
  return best;
}

void BlockLayout::validate(const TokenGrid& grid) const {
  if (grid.videoTokens() <= 0) throw Error("token grid " + grid.str() + " is empty");
  if (kind_ == Kind::Tiled &&
      (grid.frames % tf_ != 0 || grid.height % ty_ != 0 || grid.width % tx_ != 0))
    throw Error("tile " + std::to_string(tf_) + "x" + std::to_string(ty_) + "x" +
                std::to_string(tx_) + " does not divide the token grid " + grid.str());
}

int64_t BlockLayout::numBlocks(const TokenGrid& grid) const {
  return (grid.videoTokens() + block_ - 1) / block_;
}

int64_t BlockLayout::blockTokens(const TokenGrid& grid, int64_t b) const {
  int64_t n = grid.videoTokens();
  return std::min(block_, n - b * block_);
}

std::vector<int64_t> BlockLayout::permutation(const TokenGrid& grid) const {
  if (kind_ == Kind::Linear) return {};
  validate(grid);
  std::vector<int64_t> order;
  order.reserve(grid.videoTokens());
  for (int64_t f0 = 0; f0 < grid.frames; f0 += tf_)
    for (int64_t y0 = 0; y0 < grid.height; y0 += ty_)
      for (int64_t x0 = 0; x0 < grid.width; x0 += tx_)
        for (int64_t f = f0; f < f0 + tf_; ++f)
          for (int64_t y = y0; y < y0 + ty_; ++y)
            for (int64_t x = x0; x < x0 + tx_; ++x)
              order.push_back((f * grid.height + y) * grid.width + x);
  return order;
}

BlockBox BlockLayout::blockBox(const TokenGrid& grid, int64_t b) const {
  if (kind_ == Kind::Tiled) {
    int64_t tilesY = grid.height / ty_, tilesX = grid.width / tx_;
    int64_t tfI = b / (tilesY * tilesX), tyI = (b / tilesX) % tilesY, txI = b % tilesX;
    return {tfI * tf_, tfI * tf_ + tf_, tyI * ty_, tyI * ty_ + ty_, txI * tx_, txI * tx_ + tx_};
  }
  int64_t first = b * block_;
  int64_t last = first + blockTokens(grid, b) - 1;
  TokenCoord a = tokenCoord(grid, first), z = tokenCoord(grid, last);
  BlockBox box{a.f, z.f + 1, 0, grid.height, 0, grid.width};
  if (a.f == z.f) {  // within one frame: rows a.y..z.y
    box.y0 = a.y;
    box.y1 = z.y + 1;
    if (a.y == z.y) {
      box.x0 = a.x;
      box.x1 = z.x + 1;
    }
  }
  return box;
}

}  // namespace attnscope
