#include "viz/GridLayout.h"

#include <algorithm>
#include <cmath>

namespace attnscope::viz {

ViewGeometry computeGeometry(int width, int height, const ViewState& view, int64_t layers,
                             int64_t heads, int64_t nq, int64_t nk) {
  ViewGeometry g;
  g.mode = view.mode;
  g.content = {kMarginLeft, kMarginTop, std::max(kMarginLeft, width - kMarginRight),
               std::max(kMarginTop, height - kMarginBottom)};
  float availW = g.content.x1 - g.content.x0, availH = g.content.y1 - g.content.y0;
  nq = std::max<int64_t>(nq, 1);
  nk = std::max<int64_t>(nk, 1);

  if (view.mode == ViewMode::Zoom) {
    float fit = std::min(availW / nk, availH / nq);  // pixels per block at zoom 1
    float zoom = std::max(view.zoom, 1e-3f);
    g.mapW = fit * nk * zoom;
    g.mapH = fit * nq * zoom;
    float cx = 0.5f * (g.content.x0 + g.content.x1), cy = 0.5f * (g.content.y0 + g.content.y1);
    g.originX = cx - view.panX * g.mapW;
    g.originY = cy - view.panY * g.mapH;
    g.pitchX = g.mapW;
    g.pitchY = g.mapH;
    return g;
  }

  g.cols = static_cast<int>(std::max<int64_t>(heads, 1));
  g.rows = static_cast<int>(std::max<int64_t>(layers, 1));
  // Small maps get thinner gaps so the grid of a big model still fits.
  for (float gap : {4.0f, 2.0f}) {
    g.gap = gap;
    float perBlock = std::min((availW - gap * (g.cols - 1)) / (g.cols * nk),
                              (availH - gap * (g.rows - 1)) / (g.rows * nq));
    g.mapW = std::max(perBlock * nk, 1.0f);
    g.mapH = std::max(perBlock * nq, 1.0f);
    if (std::min(g.mapW, g.mapH) >= 24.0f) break;
  }
  g.ringWidth = g.gap >= 4.0f ? 2.0f : 1.0f;
  // Whole pixels keep cell edges crisp and identical from cell to cell.
  g.mapW = std::max(1.0f, std::floor(g.mapW));
  g.mapH = std::max(1.0f, std::floor(g.mapH));
  g.pitchX = g.mapW + g.gap;
  g.pitchY = g.mapH + g.gap;
  float gridW = g.cols * g.pitchX - g.gap, gridH = g.rows * g.pitchY - g.gap;
  g.originX = std::floor(g.content.x0 + 0.5f * (availW - gridW));
  g.originY = std::floor(g.content.y0 + 0.5f * (availH - gridH));
  return g;
}

std::optional<MapPoint> locateMapPoint(const ViewGeometry& g, float x, float y) {
  if (!g.content.contains(x, y) || g.mapW <= 0 || g.mapH <= 0) return std::nullopt;
  float rx = x - g.originX, ry = y - g.originY;
  // As the shader: a gap pixel belongs to the nearer cell.
  int col = g.mode == ViewMode::Zoom ? 0 : static_cast<int>(std::floor((rx + 0.5f * g.gap) / g.pitchX));
  int row = g.mode == ViewMode::Zoom ? 0 : static_cast<int>(std::floor((ry + 0.5f * g.gap) / g.pitchY));
  if (col < 0 || row < 0 || col >= g.cols || row >= g.rows) return std::nullopt;
  float u = (rx - col * g.pitchX) / g.mapW, v = (ry - row * g.pitchY) / g.mapH;
  if (u < 0 || v < 0 || u >= 1 || v >= 1) return std::nullopt;
  return MapPoint{row, col, u, v};
}

PixelRect cellMapRect(const ViewGeometry& g, int row, int col) {
  float x0 = g.originX + col * g.pitchX, y0 = g.originY + row * g.pitchY;
  return {x0, y0, x0 + g.mapW, y0 + g.mapH};
}

ViewState zoomAbout(const ViewState& view, int width, int height, int64_t nq, int64_t nk, float x, float y,
                    float factor, float maxZoom) {
  ViewState zoomed = view;
  zoomed.mode = ViewMode::Zoom;
  ViewGeometry before = computeGeometry(width, height, zoomed, 1, 1, nq, nk);
  float u = (x - before.originX) / before.mapW, v = (y - before.originY) / before.mapH;
  zoomed.zoom = std::clamp(view.zoom * factor, 1.0f, maxZoom);
  ViewGeometry after = computeGeometry(width, height, zoomed, 1, 1, nq, nk);
  float cx = 0.5f * (after.content.x0 + after.content.x1), cy = 0.5f * (after.content.y0 + after.content.y1);
  zoomed.panX = std::clamp(u - (x - cx) / after.mapW, 0.0f, 1.0f);
  zoomed.panY = std::clamp(v - (y - cy) / after.mapH, 0.0f, 1.0f);
  if (zoomed.zoom <= 1.0f) zoomed.panX = zoomed.panY = 0.5f;  // all the way out: the fitted map
  return zoomed;
}

ViewState panByPixels(const ViewState& view, int width, int height, int64_t nq, int64_t nk, float dx, float dy) {
  ViewState panned = view;
  panned.mode = ViewMode::Zoom;
  ViewGeometry g = computeGeometry(width, height, panned, 1, 1, nq, nk);
  panned.panX = std::clamp(view.panX - dx / g.mapW, 0.0f, 1.0f);
  panned.panY = std::clamp(view.panY - dy / g.mapH, 0.0f, 1.0f);
  return panned;
}

}  // namespace attnscope::viz
