#include "viz/OffscreenTarget.h"

namespace attnscope::viz {

OffscreenTarget::OffscreenTarget(const VulkanContext& ctx, VkRenderPass pass, int width, int height)
    : device_(ctx.device()), width_(width), height_(height) {
  try {
    VkImageCreateInfo ici{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    ici.imageType = VK_IMAGE_TYPE_2D;
    ici.format = kFormat;
    ici.extent = {uint32_t(width), uint32_t(height), 1};
    ici.mipLevels = 1;
    ici.arrayLayers = 1;
    ici.samples = VK_SAMPLE_COUNT_1_BIT;
    ici.tiling = VK_IMAGE_TILING_OPTIMAL;
    ici.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    ici.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    checkVk(vkCreateImage(device_, &ici, nullptr, &image_), "vkCreateImage (viewport image)");
    VkMemoryRequirements req;
    vkGetImageMemoryRequirements(device_, image_, &req);
    VkMemoryAllocateInfo mai{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    mai.allocationSize = req.size;
    mai.memoryTypeIndex = ctx.memoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    checkVk(vkAllocateMemory(device_, &mai, nullptr, &memory_), "vkAllocateMemory (viewport image)");
    checkVk(vkBindImageMemory(device_, image_, memory_, 0), "vkBindImageMemory");

    VkImageViewCreateInfo vci{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    vci.image = image_;
    vci.viewType = VK_IMAGE_VIEW_TYPE_2D;
    vci.format = kFormat;
    vci.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    checkVk(vkCreateImageView(device_, &vci, nullptr, &view_), "vkCreateImageView");

    VkFramebufferCreateInfo fci{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
    fci.renderPass = pass;
    fci.attachmentCount = 1;
    fci.pAttachments = &view_;
    fci.width = uint32_t(width);
    fci.height = uint32_t(height);
    fci.layers = 1;
    checkVk(vkCreateFramebuffer(device_, &fci, nullptr, &framebuffer_), "vkCreateFramebuffer");

    readback_ = GpuBuffer(ctx, VkDeviceSize(width) * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, true);
  } catch (...) {
    destroy();
    throw;
  }
}

OffscreenTarget::~OffscreenTarget() { destroy(); }

void OffscreenTarget::destroy() {
  if (framebuffer_) vkDestroyFramebuffer(device_, framebuffer_, nullptr);
  if (view_) vkDestroyImageView(device_, view_, nullptr);
  if (image_) vkDestroyImage(device_, image_, nullptr);
  if (memory_) vkFreeMemory(device_, memory_, nullptr);
  framebuffer_ = VK_NULL_HANDLE;
  view_ = VK_NULL_HANDLE;
  image_ = VK_NULL_HANDLE;
  memory_ = VK_NULL_HANDLE;
}

}  // namespace attnscope::viz
