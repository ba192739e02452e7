// Block-sparse attention that skips masked-out work. Tokens go to layout
// order, padded to whole blocks; every (batch, head, q-block) with c kept
// kv-blocks is an "item". Items of equal c are batched: their kept key and
// value blocks are gathered to [g, c*block, D] and one bmm / softmax / bmm
// handles g items at once. Padded keys get -inf scores; padded queries are
// dropped. Items with no kept block stay zero.
#include <algorithm>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "engine/attention/AttentionKernels.h"
#include "engine/attention/AttentionSupport.h"
#include "engine/core/Error.h"

namespace attnscope {

using namespace attention_detail;

namespace {

// Score elements (rows x keys) one task aims for: as for dense chunks.
constexpr int64_t kScoresPerTask = kRowsPerTask * 1024;

// Items grouped by kept count, flattened: items with count c occupy
// qIndex[first[c] .. first[c+1]) and kvIndex[kvFirst[c] + i*c ...].
struct ItemGroups {
  std::vector<int64_t> qIndex;   // row of [B*H*nb] block view
  std::vector<int64_t> kvIndex;  // kept blocks per item, in the same view
  std::vector<uint8_t> hasTail;  // item's last kept block is the padded one
  std::vector<int64_t> first;    // per count c (0..nb+1)
  std::vector<int64_t> kvFirst;
  bool anyEmpty = false;
};

ItemGroups groupItems(const std::vector<SparseBlockList>& lists, int64_t B, int64_t H, int64_t nb) {
  std::vector<std::vector<int64_t>> byCount(nb + 1);  // (bh * nb + qBlock) entries
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t qb = 0; qb < nb; ++qb) byCount[lists[h].count(qb)].push_back((b * H + h) * nb + qb);
  ItemGroups g;
  g.anyEmpty = !byCount[0].empty();
  g.first.assign(nb + 2, 0);
  g.kvFirst.assign(nb + 2, 0);
  for (int64_t c = 0; c <= nb; ++c) {
    g.first[c + 1] = g.first[c] + (c == 0 ? 0 : int64_t(byCount[c].size()));
    g.kvFirst[c + 1] = g.kvFirst[c] + (c == 0 ? 0 : int64_t(byCount[c].size()) * c);
    if (c == 0) continue;
    for (int64_t item : byCount[c]) {
      const int64_t bh = item / nb, qb = item % nb, h = bh % H;
      const SparseBlockList& list = lists[h];
      g.qIndex.push_back(item);
      for (int64_t j = list.offsets[qb]; j < list.offsets[qb + 1]; ++j) g.kvIndex.push_back(bh * nb + list.indices[j]);
      g.hasTail.push_back(list.indices[list.offsets[qb + 1] - 1] == nb - 1);
    }
  }
  return g;
}

struct Task {
  int64_t count;  // kept blocks per item
  int64_t item0;  // first item (index into qIndex)
  int64_t items;
};

std::vector<Task> makeTasks(const ItemGroups& g, int64_t nb, int64_t block) {
  int64_t totalScores = 0;
  for (int64_t c = 1; c <= nb; ++c) totalScores += (g.first[c + 1] - g.first[c]) * c * block * block;
  // Enough tasks to keep every thread busy, none larger than a cache-sized chunk.
  const int64_t threads = at::get_num_threads();
  const int64_t budget = std::max<int64_t>(1, std::min(kScoresPerTask, totalScores / (4 * threads)));
  std::vector<Task> tasks;
  for (int64_t c = nb; c >= 1; --c) {
    const int64_t n = g.first[c + 1] - g.first[c];
    if (n == 0) continue;
    const int64_t per = std::max<int64_t>(1, budget / (c * block * block));
    for (int64_t i = 0; i < n; i += per) tasks.push_back({c, g.first[c] + i, std::min(per, n - i)});
  }
  return tasks;
}

}  // namespace

torch::Tensor sparseAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              const TokenGrid& grid, const BlockLayout& layout,
                              const std::vector<const BlockMask*>& headMasks) {
  // q, k, v: [B, H, N, D]
  checkInputs("sparse attention", q, k, v, true);
  const int64_t B = q.size(0), H = q.size(1), N = q.size(2), D = q.size(3);
  checkGrid("sparse attention", grid, layout, N);
  const int64_t block = layout.blockSize(), nb = layout.numBlocks(grid);
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
  torch::NoGradGuard noGrad;
  const double scale = softmaxScale(D);
  const TokenOrder order(grid, layout);
  const int64_t padded = nb * block, tail = N - (nb - 1) * block;  // tokens in the last block
  auto toBlocks = [&](const torch::Tensor& t) {
    auto l = order.toLayout(t, 2);
    if (padded != N) l = at::constant_pad_nd(l, {0, 0, 0, padded - N}, 0);
    return l.view({B * H * nb, block, D});
  };
  auto qb = toBlocks(q), kb = toBlocks(k), vb = toBlocks(v);

  const ItemGroups groups = groupItems(lists, B, H, nb);
  const std::vector<Task> tasks = makeTasks(groups, nb, block);
  auto outBlocks = groups.anyEmpty ? torch::zeros({B * H * nb, block, D}, q.options())
                                   : torch::empty({B * H * nb, block, D}, q.options());
  auto qIndex = torch::tensor(groups.qIndex, torch::kInt64);
  auto kvIndex = torch::tensor(groups.kvIndex, torch::kInt64);

  int64_t maxItems = 0, maxKeys = 0, maxScores = 0;
  for (const Task& t : tasks) {
    maxItems = std::max(maxItems, t.items);
    maxKeys = std::max(maxKeys, t.items * t.count);
    maxScores = std::max(maxScores, t.items * t.count * block * block);
  }
  const float negInf = -std::numeric_limits<float>::infinity();
  forEachTask(static_cast<int64_t>(tasks.size()), [&](int64_t begin, int64_t end) {
    // Flat per-thread buffers, viewed to each task's shapes.
    auto qBuf = torch::empty({maxItems * block * D}, q.options());
    auto kBuf = torch::empty({maxKeys * block * D}, q.options());
    auto vBuf = torch::empty({maxKeys * block * D}, q.options());
    auto sBuf = torch::empty({maxScores}, q.options());
    auto oBuf = torch::empty({maxItems * block * D}, q.options());
    for (int64_t i = begin; i < end; ++i) {
      const Task& t = tasks[i];
      const int64_t g = t.items, c = t.count, keys = c * block;
      auto qi = qIndex.narrow(0, t.item0, g);
      auto kvi = kvIndex.narrow(0, groups.kvFirst[c] + (t.item0 - groups.first[c]) * c, g * c);
      auto qg = qBuf.narrow(0, 0, g * block * D).view({g, block, D});
      auto kg = kBuf.narrow(0, 0, g * keys * D).view({g * c, block, D});
      auto vg = vBuf.narrow(0, 0, g * keys * D).view({g * c, block, D});
      auto s = sBuf.narrow(0, 0, g * block * keys).view({g, block, keys});
      auto o = oBuf.narrow(0, 0, g * block * D).view({g, block, D});
      at::index_select_out(qg, qb, 0, qi);
      at::index_select_out(kg, kb, 0, kvi);
      at::index_select_out(vg, vb, 0, kvi);
      at::baddbmm_out(s, s, qg, kg.view({g, keys, D}).transpose(1, 2), 0, scale);
      if (tail != block)  // padded keys sit at the end of the last block, always the last kept
        for (int64_t j = 0; j < g; ++j)
          if (groups.hasTail[t.item0 + j]) s[j].narrow(1, keys - block + tail, block - tail).fill_(negInf);
      at::_softmax_out(s, s, 2, false);
      at::bmm_out(o, s, vg.view({g, keys, D}));
      outBlocks.index_copy_(0, qi, o);
    }
  });

  auto out = outBlocks.view({B, H, padded, D});
  if (padded != N) out = out.narrow(2, 0, N);
  return order.toNatural(out, 2);
}

}  // namespace attnscope
