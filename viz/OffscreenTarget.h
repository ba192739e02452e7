#pragma once
// OffscreenTarget: an RGBA8 colour image the viewport renders into, its
// framebuffer, and a host-visible buffer it is copied to for read-back.
// Recreated when the size changes. The image can also be a copy source and
// destination (the cached heatmap is copied under the overlay).
#include <vulkan/vulkan.h>

#include "viz/VulkanContext.h"

namespace attnscope::viz {

class OffscreenTarget {
 public:
  static constexpr VkFormat kFormat = VK_FORMAT_R8G8B8A8_UNORM;

  OffscreenTarget(const VulkanContext& ctx, VkRenderPass pass, int width, int height);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  int width() const { return width_; }
  int height() const { return height_; }
  VkImage image() const { return image_; }
  VkFramebuffer framebuffer() const { return framebuffer_; }
  const GpuBuffer& readback() const { return readback_; }

 private:
  void destroy();
  VkDevice device_;
  int width_, height_;
  VkImage image_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkImageView view_ = VK_NULL_HANDLE;
  VkFramebuffer framebuffer_ = VK_NULL_HANDLE;
  GpuBuffer readback_;
};

}  // namespace attnscope::viz
