#pragma once
// HeatmapPipeline: the full-viewport heatmap pipeline (shaders/heatmap.vert
// + heatmap.frag, and blockcolours.comp when blocks are fewer than pixels:
// params.perBlock), the storage buffers they read, and one frame's recording.
// The heatmap is drawn into its own image only when what it shows changed
// (parameters, bound data, size); every frame copies that image under the
// overlay pass, where the caller's ImGui draws go, and reads the result
// back. Without an overlay, an unchanged heatmap costs no GPU work at all.
// Frames are synchronous (render waits for its fence), so buffers and
// descriptors may change between frames without further synchronisation.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "viz/AtlasViewport.h"
#include "viz/HeatmapParams.h"
#include "viz/OffscreenTarget.h"
#include "viz/PreparedAtlas.h"
#include "viz/PreparedMask.h"
#include "viz/VulkanContext.h"

namespace attnscope::viz {

class HeatmapPipeline {
 public:
  explicit HeatmapPipeline(VulkanContext& ctx);
  ~HeatmapPipeline();
  HeatmapPipeline(const HeatmapPipeline&) = delete;
  HeatmapPipeline& operator=(const HeatmapPipeline&) = delete;

  // The pass the overlay draws in (ImGui's pipeline is made for it).
  VkRenderPass overlayRenderPass() const { return overlayPass_; }

  // Points the shader at an atlas's and a mask's buffers (either may be null).
  void bind(const PreparedAtlas* atlas, const PreparedMask* mask);
  // Renders width x height: the heatmap with `params` (layerEntry: per layer,
  // the entry at the chosen step or -1; boundaryPixels: FrameBoundaries::
  // boundaryPixels, or empty for none), then `overlay` (may be empty)
  // records its draws on top.
  RenderedImage render(int width, int height, const HeatmapParams& params,
                       const std::vector<int32_t>& layerEntry, const std::vector<uint8_t>& boundaryPixels,
                       const std::function<void(VkCommandBuffer)>& overlay);
  // How many frames drew the heatmap itself (the rest reused it): for tests and the benchmark.
  int64_t heatmapDraws() const { return heatmapDraws_; }

 private:
  VkRenderPass createRenderPass(bool overlay);
  // Begins `pass` on `framebuffer` with the viewport and scissor covering width x height.
  void beginPass(VkRenderPass pass, VkFramebuffer framebuffer, int width, int height);
  void recordHeatmap(int width, int height, const HeatmapParams& params);
  void recordOverlay(int width, int height, const std::function<void(VkCommandBuffer)>& overlay);
  void submitAndWait();
  void createPipeline();
  void writeDescriptors();
  VkDescriptorBufferInfo info(const GpuBuffer& b) const { return {b.buffer(), 0, VK_WHOLE_SIZE}; }

  VulkanContext& ctx_;
  VkRenderPass heatmapPass_ = VK_NULL_HANDLE, overlayPass_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipelineLayout_ = VK_NULL_HANDLE;
  VkPipeline pipelines_[2] = {VK_NULL_HANDLE, VK_NULL_HANDLE};  // per-pixel, per-block colours
  VkPipeline computePipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptorPool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;

  GpuBuffer params_, layerEntries_, boundaryPixels_, blockColours_, lut_, placeholder_;  // placeholder stands in for an absent atlas or mask
  const PreparedAtlas* atlas_ = nullptr;
  const PreparedMask* mask_ = nullptr;
  std::unique_ptr<OffscreenTarget> heatmapTarget_, overlayTarget_;

  // What the cached heatmap image shows; any change redraws it.
  bool heatmapValid_ = false;
  HeatmapParams lastParams_{};
  std::vector<int32_t> lastLayerEntry_;
  std::vector<uint8_t> lastBoundaryPixels_;
  RenderedImage lastHeatmapImage_;  // its read-back, while valid (frames without overlay)
  int64_t heatmapDraws_ = 0;
};

}  // namespace attnscope::viz
