// Block-sparse attention that skips masked-out work. Every (batch, head,
// q-block) with c kept kv-blocks is an "item". Items of equal c are batched:
// their queries and kept key and value blocks are gathered (in layout order,
// straight from the caller's tensors) to [g, block, D] and [g, c*block, D],
// and one bmm / softmax / bmm handles g items at once, writing to the items'
// rows of a result buffer. One row gather then puts results back in natural
// order. A short last block is padded: its missing keys get -inf scores, its
// missing queries are never read back. Items with no kept block read a zero
// block.
#include <algorithm>
#include <limits>

#include <ATen/ATen.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

namespace {

// Score elements (rows x keys) one task aims for, as a dense task's buffer.
constexpr int64_t kScoresPerTask = 128 * 1024;

// Where a block's tokens are read from, as indices of "units". Linear layouts
// without padding read whole blocks of the [B*H*nb, block*D] view; otherwise
// single tokens of the [B*H*N, D] view, in layout order, which needs no
// reordered or padded copies of q, k and v. Padding positions (p >= N) read
// the last token; the kernel masks or drops them.
class BlockSource {
 public:
  BlockSource(const TokenGrid& grid, const BlockLayout& layout, int64_t N)
      : N_(N), nb_(layout.numBlocks(grid)), block_(layout.blockSize()) {
    wholeBlocks_ = layout.kind() == BlockLayout::Kind::Linear && N % block_ == 0;
    if (wholeBlocks_) return;
    natural_ = layout.permutation(grid);
    if (natural_.empty())
      for (int64_t p = 0; p < N; ++p) natural_.push_back(p);
    natural_.resize(static_cast<size_t>(nb_ * block_), N - 1);
  }
  int64_t unitsPerBlock() const { return wholeBlocks_ ? 1 : block_; }
  // t: [B, H, N, D] -> [units, unit size]
  torch::Tensor units(const torch::Tensor& t) const {
    auto c = t.contiguous();
    return wholeBlocks_ ? c.view({-1, block_ * t.size(3)}) : c.view({-1, t.size(3)});
  }
  // Appends the units of block `b` of (batch*head) `bh`.
  void append(std::vector<int64_t>& out, int64_t bh, int64_t b) const {
    if (wholeBlocks_) {
      out.push_back(bh * nb_ + b);
      return;
    }
    for (int64_t i = 0; i < block_; ++i) out.push_back(bh * N_ + natural_[b * block_ + i]);
  }

 private:
  int64_t N_, nb_, block_;
  bool wholeBlocks_ = false;
  std::vector<int64_t> natural_;  // natural token at each (padded) layout position
};

// Items sorted by kept count. Items with count c are positions
// [first[c], first[c+1]) of the item list; their kept blocks follow each
// other from kvFirst[c], c per item. qUnits / kvUnits hold the units to
// gather, unitsPerBlock per block.
struct ItemGroups {
  std::vector<int64_t> qUnits;
  std::vector<int64_t> kvUnits;
  std::vector<uint8_t> hasTail;   // the item keeps the last (padded) block
  std::vector<int64_t> position;  // block row (bh * nb + q-block) -> item position; empty -> item count
  std::vector<int64_t> first, kvFirst;
  int64_t items = 0;
};

ItemGroups groupItems(const std::vector<SparseBlockList>& lists, int64_t B, int64_t H, int64_t nb,
                      const BlockSource& source) {
  std::vector<std::vector<int64_t>> byCount(nb + 1);  // block rows
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t qb = 0; qb < nb; ++qb) byCount[lists[h].count(qb)].push_back((b * H + h) * nb + qb);
  ItemGroups g;
  g.first.assign(nb + 2, 0);
  g.kvFirst.assign(nb + 2, 0);
  g.position.assign(B * H * nb, 0);
  for (int64_t c = 1; c <= nb; ++c) {
    const int64_t n = static_cast<int64_t>(byCount[c].size());
    g.first[c + 1] = g.first[c] + n;
    g.kvFirst[c + 1] = g.kvFirst[c] + n * c;
    for (int64_t row : byCount[c]) {
      const int64_t bh = row / nb, qb = row % nb;
      const SparseBlockList& list = lists[bh % H];
      g.position[row] = g.items++;
      source.append(g.qUnits, bh, qb);
      for (int64_t j = list.offsets[qb]; j < list.offsets[qb + 1]; ++j) source.append(g.kvUnits, bh, list.indices[j]);
      g.hasTail.push_back(list.indices[list.offsets[qb + 1] - 1] == nb - 1);
    }
  }
  for (int64_t row : byCount[0]) g.position[row] = g.items;
  return g;
}

struct Task {
  int64_t count;  // kept blocks per item
  int64_t item0;  // first item position
  int64_t items;
};

// Heaviest items first; enough tasks for every thread, none over the budget.
std::vector<Task> makeTasks(const ItemGroups& g, int64_t nb, int64_t block) {
  int64_t totalScores = 0;
  for (int64_t c = 1; c <= nb; ++c) totalScores += (g.first[c + 1] - g.first[c]) * c * block * block;
  const int64_t threads = at::get_num_threads();
  const int64_t budget = std::max<int64_t>(1, std::min(kScoresPerTask, totalScores / (4 * threads)));
  std::vector<Task> tasks;
  for (int64_t c = nb; c >= 1; --c) {
    const int64_t n = g.first[c + 1] - g.first[c];
    const int64_t per = std::max<int64_t>(1, budget / (c * block * block));
    for (int64_t i = 0; i < n; i += per) tasks.push_back({c, g.first[c] + i, std::min(per, n - i)});
  }
  return tasks;
}

std::vector<SparseBlockList> checkedLists(const std::vector<const BlockMask*>& headMasks, int64_t H, int64_t nb,
                                          const BlockLayout& layout, const TokenGrid& grid) {
  if (static_cast<int64_t>(headMasks.size()) != H)
    throw Error("sparse attention: " + std::to_string(headMasks.size()) + " head masks given for " +
                std::to_string(H) + " heads");
  std::vector<SparseBlockList> lists;
  for (int64_t h = 0; h < H; ++h) {
    const BlockMask* m = headMasks[h];
    if (!m) throw Error("sparse attention: mask of head " + std::to_string(h) + " is missing");
    if (m->nq() != nb || m->nk() != nb)
      throw Error("sparse attention: mask of head " + std::to_string(h) + " is " + std::to_string(m->nq()) + "x" +
                  std::to_string(m->nk()) + " blocks but layout " + layout.str() + " on grid " + grid.str() +
                  " has " + std::to_string(nb) + "x" + std::to_string(nb));
    lists.push_back(m->blockList());
  }
  return lists;
}

}  // namespace

torch::Tensor sparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const TokenGrid& grid, const BlockLayout& layout,
                              const std::vector<const BlockMask*>& headMasks, AttentionWorkspace& workspace) {
  // q, k, v: [B, H, N, D]
  checkInputs("sparse attention", q, k, v, true);
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3);
  checkGrid("sparse attention", grid, layout, N);
  const int64_t block = layout.blockSize(), nb = layout.numBlocks(grid);
  const std::vector<SparseBlockList> lists = checkedLists(headMasks, H, nb, layout, grid);
  torch::NoGradGuard noGrad;
  const double scale = softmaxScale(D);
  const int64_t tail = N - (nb - 1) * block;  // tokens in the last block

  const BlockSource source(grid, layout, N);
  const int64_t units = source.unitsPerBlock(), unitSize = block * D / units;
  auto qUnits = source.units(q), kUnits = source.units(k), vUnits = source.units(v);

  ItemGroups groups = groupItems(lists, B, H, nb, source);
  const std::vector<Task> tasks = makeTasks(groups, nb, block);
  const int64_t items = groups.items;
  auto results = workspace.get(kSlotItems, {items + 1, block, D});  // last block: zeros for empty items
  results[items].zero_();
  auto qIndex = torch::from_blob(groups.qUnits.data(), {int64_t(groups.qUnits.size())}, torch::kInt64);
  auto kvIndex = torch::from_blob(groups.kvUnits.data(), {int64_t(groups.kvUnits.size())}, torch::kInt64);

  int64_t maxItems = 1, maxKeys = 1, maxScores = 1;
  for (const Task& t : tasks) {
    maxItems = std::max(maxItems, t.items);
    maxKeys = std::max(maxKeys, t.items * t.count * block);
    maxScores = std::max(maxScores, t.items * t.count * block * block);
  }
  std::vector<std::vector<torch::Tensor>> buffers;  // per worker: q, k, v, scores (flat)
  for (int64_t w = 0; w < taskWorkers(static_cast<int64_t>(tasks.size())); ++w)
    buffers.push_back({workspace.get(workerSlot(w, 0), {maxItems * block * D}),
                       workspace.get(workerSlot(w, 1), {maxKeys * D}), workspace.get(workerSlot(w, 2), {maxKeys * D}),
                       workspace.get(workerSlot(w, 3), {maxScores})});
  const float negInf = -std::numeric_limits<float>::infinity();
  forEachTask(static_cast<int64_t>(tasks.size()), [&](int64_t worker) {
    return [&, mine = buffers[worker]](int64_t i) {
      const Task& t = tasks[i];
      const int64_t g = t.items, c = t.count, keys = c * block;
      auto qi = qIndex.narrow(0, t.item0 * units, g * units);
      auto kvi = kvIndex.narrow(0, (groups.kvFirst[c] + (t.item0 - groups.first[c]) * c) * units, g * c * units);
      auto qg = mine[0].narrow(0, 0, g * block * D).view({g * units, unitSize});
      auto kg = mine[1].narrow(0, 0, g * keys * D).view({g * c * units, unitSize});
      auto vg = mine[2].narrow(0, 0, g * keys * D).view({g * c * units, unitSize});
      auto s = mine[3].narrow(0, 0, g * block * keys).view({g, block, keys});
      at::index_select_out(qg, qUnits, 0, qi);
      at::index_select_out(kg, kUnits, 0, kvi);
      at::index_select_out(vg, vUnits, 0, kvi);
      at::baddbmm_out(s, s, qg.view({g, block, D}), kg.view({g, keys, D}).transpose(1, 2), 0, scale);
      if (tail != block)  // padding sits at the end of the last block, always an item's last kept one
        for (int64_t j = 0; j < g; ++j)
          if (groups.hasTail[t.item0 + j]) s[j].narrow(1, keys - block + tail, block - tail).fill_(negInf);
      at::_softmax_out(s, s, 2, false);
      auto o = results.narrow(0, t.item0, g);
      at::bmm_out(o, s, vg.view({g, keys, D}));
    };
  });

  // Natural token n of (b, h) sits at layout position p: row p % block of
  // the item holding block p / block.
  const std::vector<int64_t> positions = TokenBlocks(grid, layout).layoutPositions();
  std::vector<int64_t> rows(static_cast<size_t>(B * H * N));
  for (int64_t bh = 0, r = 0; bh < B * H; ++bh)
    for (int64_t n = 0; n < N; ++n, ++r) {
      const int64_t p = positions[n];
      rows[r] = groups.position[bh * nb + p / block] * block + p % block;
    }
  auto rowIndex = torch::from_blob(rows.data(), {int64_t(rows.size())}, torch::kInt64);
  return results.view({(items + 1) * block, D}).index_select(0, rowIndex).view({B, H, N, D});
}

torch::Tensor sparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const TokenGrid& grid, const BlockLayout& layout,
                              const std::vector<const BlockMask*>& headMasks) {
  AttentionWorkspace workspace;
  return sparseAttention(q, k, v, grid, layout, headMasks, workspace);
}

}  // namespace attnscope
