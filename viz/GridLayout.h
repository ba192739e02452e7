#pragma once
// GridLayout: where maps sit in the viewport, shared by the shader
// parameters, hitTest and the overlay's labels.
//  Grid mode: one cell per (layer = row, head = column), every map the same
//    size with square blocks, separated by small gaps, centred in the area
//    left after the label margins.
//  Zoom mode: one map (the chosen head), fitted into the content area at
//    zoom 1, scaled by zoom about the map point (panX, panY) at the centre.
// Coordinates are continuous viewport pixels: pixel (i, j) spans
// [i, i+1) x [j, j+1), its centre is (i + 0.5, j + 0.5), as gl_FragCoord.
#include <cstdint>
#include <optional>

#include "viz/AtlasViewport.h"

namespace attnscope::viz {

struct PixelRect {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool contains(float x, float y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

struct ViewGeometry {
  ViewMode mode = ViewMode::Grid;
  float originX = 0, originY = 0;  // top-left corner of cell (0, 0)'s map
  float pitchX = 0, pitchY = 0;    // from one cell's map to the next
  float mapW = 0, mapH = 0;        // a map's size in pixels (k along x, q along y)
  int cols = 1, rows = 1;          // heads, layers (1, 1 in zoom mode)
  float gap = 0;                   // grid: pixels between maps
  float ringWidth = 0;             // grid: width of the highlight ring around the current head
  PixelRect content;               // maps are drawn only inside this rectangle
};

// Label margins around the maps (the overlay writes layer/head or frame labels there).
inline constexpr float kMarginLeft = 34, kMarginTop = 20, kMarginRight = 6, kMarginBottom = 6;

ViewGeometry computeGeometry(int width, int height, const ViewState& view, int64_t layers,
                             int64_t heads, int64_t nq, int64_t nk);

// The map under a pixel: its cell and the position inside it, u along k
// (x) and v along q (y), both in [0, 1). nullopt in gaps, margins and outside.
struct MapPoint {
  int row = 0, col = 0;
  float u = 0, v = 0;
};
std::optional<MapPoint> locateMapPoint(const ViewGeometry& g, float x, float y);

// The pixel rectangle a cell's map covers (may extend past content in zoom mode).
PixelRect cellMapRect(const ViewGeometry& g, int row, int col);

// Zoom-mode navigation for the UI (pure functions of the view). zoomAbout
// multiplies the zoom by `factor` (clamped to [1, maxZoom]) keeping the map
// point under pixel (x, y) where it is (zoom 1 is the fitted, centred map); panByPixels moves the map by a
// pointer drag of (dx, dy) pixels. The view centre stays on the map (pan in [0, 1]).
ViewState zoomAbout(const ViewState& view, int width, int height, int64_t nq, int64_t nk, float x, float y,
                    float factor, float maxZoom = 64.0f);
ViewState panByPixels(const ViewState& view, int width, int height, int64_t nq, int64_t nk, float dx, float dy);

}  // namespace attnscope::viz
