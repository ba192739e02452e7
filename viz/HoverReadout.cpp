#include "viz/HoverReadout.h"

#include <cmath>
#include <cstdio>

#include "viz/PreparedAtlas.h"
#include "viz/PreparedMask.h"

namespace attnscope::viz {
namespace {

std::string range(int64_t a, int64_t b) {  // [a, b) as "a" or "a-(b-1)"
  return b - a <= 1 ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b - 1);
}

std::string boxText(const BlockBox& box) {
  return "f " + range(box.f0, box.f1) + ", y " + range(box.y0, box.y1) + ", x " + range(box.x0, box.x1);
}

std::string valueText(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, v != 0 && std::fabs(v) < 1e-3f ? "%.2e" : "%.4f", v);
  return buf;
}

}  // namespace

HoverReadout HoverReadout::make(const PreparedAtlas& atlas, const PreparedMask* mask, const HeatmapHit& hit,
                                int step) {
  HoverReadout r;
  r.hit = hit;
  r.step = step;
  r.qBox = atlas.layout.blockBox(atlas.grid, hit.qBlock);
  r.kBox = atlas.layout.blockBox(atlas.grid, hit.kBlock);
  const int entry = atlas.entry(step, hit.layer);
  float kept = 0;
  for (int64_t k = 0; k < atlas.blocks; ++k) {
    float v = atlas.value(entry, hit.head, hit.qBlock, k);
    r.rowSum += v;
    if (mask && mask->kept(hit.layer, hit.head, hit.qBlock, k)) kept += v;
  }
  if (mask) {
    r.keptRowMass = kept;
    r.kept = mask->kept(hit.layer, hit.head, hit.qBlock, hit.kBlock);
  }
  return r;
}

std::vector<std::string> HoverReadout::lines() const {
  std::vector<std::string> out;
  out.push_back("step " + std::to_string(step) + "  layer " + std::to_string(hit.layer) + "  head " +
                std::to_string(hit.head));
  out.push_back("q-block " + std::to_string(hit.qBlock) + ": " + boxText(qBox));
  out.push_back("k-block " + std::to_string(hit.kBlock) + ": " + boxText(kBox));
  out.push_back("value " + valueText(hit.value));
  out.push_back("row mass " + valueText(rowSum));
  if (keptRowMass)
    out.push_back("row mass kept " + valueText(*keptRowMass) + (kept && *kept ? " (block kept)" : " (block dropped)"));
  return out;
}

}  // namespace attnscope::viz
