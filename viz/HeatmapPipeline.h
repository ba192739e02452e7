#pragma once
// HeatmapPipeline: the render pass, the full-viewport heatmap pipeline
// (shaders/heatmap.vert + heatmap.frag) and the storage buffers it reads,
// and one frame's recording: heatmap, then the caller's overlay draws in the
// same render pass, then a copy of the image into the read-back buffer.
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

  VkRenderPass renderPass() const { return renderPass_; }

  // Points the shader at an atlas's and a mask's buffers (either may be null).
  void bind(const PreparedAtlas* atlas, const PreparedMask* mask);
  // Renders width x height: the heatmap with `params` (layerEntry: per layer,
  // the entry at the chosen step or -1), then `overlay` records its draws.
  RenderedImage render(int width, int height, const HeatmapParams& params,
                       const std::vector<int32_t>& layerEntry,
                       const std::function<void(VkCommandBuffer)>& overlay);

 private:
  void createRenderPass();
  void createPipeline();
  void writeDescriptors();
  VkDescriptorBufferInfo info(const GpuBuffer& b) const { return {b.buffer(), 0, VK_WHOLE_SIZE}; }

  VulkanContext& ctx_;
  VkRenderPass renderPass_ = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout_ = VK_NULL_HANDLE;
  VkPipelineLayout pipelineLayout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptorPool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
  VkCommandBuffer cmd_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;

  GpuBuffer params_, lut_, placeholder_;  // placeholder stands in for an absent atlas or mask
  const PreparedAtlas* atlas_ = nullptr;
  const PreparedMask* mask_ = nullptr;
  std::unique_ptr<OffscreenTarget> target_;
};

}  // namespace attnscope::viz
