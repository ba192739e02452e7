#include "viz/HeatmapPipeline.h"

#include <algorithm>
#include <cstring>

#include <shaders/blockcolours.comp.spv.h>
#include <shaders/heatmap.frag.spv.h>
#include <shaders/heatmap.vert.spv.h>

#include "engine/core/Error.h"
#include "viz/Colormaps.h"

namespace attnscope::viz {
namespace {
// params (uniform), maps, stats, mask, boundary pixels, colormaps, layer entries, block colours, pyramid
constexpr uint32_t kBindings = 9;

VkShaderModule makeShader(VkDevice device, const uint32_t* words, size_t bytes) {
  VkShaderModuleCreateInfo ci{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  ci.codeSize = bytes;
  ci.pCode = words;
  VkShaderModule module;
  checkVk(vkCreateShaderModule(device, &ci, nullptr, &module), "vkCreateShaderModule");
  return module;
}
}  // namespace

HeatmapPipeline::HeatmapPipeline(VulkanContext& ctx) : ctx_(ctx) {
  VkDevice device = ctx_.device();
  heatmapPass_ = createRenderPass(false);
  overlayPass_ = createRenderPass(true);

  std::vector<VkDescriptorSetLayoutBinding> bindings(kBindings);
  for (uint32_t i = 0; i < kBindings; ++i)
    bindings[i] = {i, i == 0 ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                   VK_SHADER_STAGE_FRAGMENT_BIT | VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo lci{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  lci.bindingCount = kBindings;
  lci.pBindings = bindings.data();
  checkVk(vkCreateDescriptorSetLayout(device, &lci, nullptr, &setLayout_), "vkCreateDescriptorSetLayout");
  VkPipelineLayoutCreateInfo plci{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  plci.setLayoutCount = 1;
  plci.pSetLayouts = &setLayout_;
  checkVk(vkCreatePipelineLayout(device, &plci, nullptr, &pipelineLayout_), "vkCreatePipelineLayout");
  createPipeline();

  VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1},
                                   {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, kBindings - 1}};
  VkDescriptorPoolCreateInfo dpci{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  dpci.maxSets = 1;
  dpci.poolSizeCount = 2;
  dpci.pPoolSizes = sizes;
  checkVk(vkCreateDescriptorPool(device, &dpci, nullptr, &descriptorPool_), "vkCreateDescriptorPool");
  VkDescriptorSetAllocateInfo dsai{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  dsai.descriptorPool = descriptorPool_;
  dsai.descriptorSetCount = 1;
  dsai.pSetLayouts = &setLayout_;
  checkVk(vkAllocateDescriptorSets(device, &dsai, &set_), "vkAllocateDescriptorSets");

  std::vector<float> lut = colormapTableForShader();
  lut_ = GpuBuffer(ctx_, sizeof(float) * lut.size(), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  std::memcpy(lut_.mapped(), lut.data(), sizeof(float) * lut.size());
  placeholder_ = GpuBuffer(ctx_, 64, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  std::memset(placeholder_.mapped(), 0, 64);
  params_ = GpuBuffer(ctx_, sizeof(HeatmapParams), VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT);
  layerEntries_ = GpuBuffer(ctx_, 64 * sizeof(int32_t), VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  boundaryPixels_ = GpuBuffer(ctx_, 4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  blockColours_ = GpuBuffer(ctx_, 4096, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
  writeDescriptors();

  VkCommandBufferAllocateInfo cai{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  cai.commandPool = ctx_.commandPool();
  cai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  cai.commandBufferCount = 1;
  checkVk(vkAllocateCommandBuffers(device, &cai, &cmd_), "vkAllocateCommandBuffers");
  VkFenceCreateInfo fci{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  checkVk(vkCreateFence(device, &fci, nullptr, &fence_), "vkCreateFence");
}

HeatmapPipeline::~HeatmapPipeline() {
  VkDevice device = ctx_.device();
  vkDeviceWaitIdle(device);
  heatmapTarget_.reset();
  overlayTarget_.reset();
  if (fence_) vkDestroyFence(device, fence_, nullptr);
  if (cmd_) vkFreeCommandBuffers(device, ctx_.commandPool(), 1, &cmd_);
  if (descriptorPool_) vkDestroyDescriptorPool(device, descriptorPool_, nullptr);
  for (VkPipeline p : pipelines_)
    if (p) vkDestroyPipeline(device, p, nullptr);
  if (computePipeline_) vkDestroyPipeline(device, computePipeline_, nullptr);
  if (pipelineLayout_) vkDestroyPipelineLayout(device, pipelineLayout_, nullptr);
  if (setLayout_) vkDestroyDescriptorSetLayout(device, setLayout_, nullptr);
  if (heatmapPass_) vkDestroyRenderPass(device, heatmapPass_, nullptr);
  if (overlayPass_) vkDestroyRenderPass(device, overlayPass_, nullptr);
}

VkRenderPass HeatmapPipeline::createRenderPass(bool overlay) {
  // Heatmap pass: overwrites every pixel. Overlay pass: draws over the heatmap
  // copied into its image just before.
  VkAttachmentDescription colour{};
  colour.format = OffscreenTarget::kFormat;
  colour.samples = VK_SAMPLE_COUNT_1_BIT;
  colour.loadOp = overlay ? VK_ATTACHMENT_LOAD_OP_LOAD : VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  colour.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  colour.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  colour.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  colour.initialLayout = overlay ? VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL : VK_IMAGE_LAYOUT_UNDEFINED;
  colour.finalLayout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &ref;
  VkSubpassDependency deps[2] = {};
  // Before: earlier copies from (heatmap) or into (overlay) the image finish first.
  deps[0] = {VK_SUBPASS_EXTERNAL, 0, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
             VkAccessFlags(overlay ? VK_ACCESS_TRANSFER_WRITE_BIT : VK_ACCESS_TRANSFER_READ_BIT),
             VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, 0};
  // After: drawing finishes before the image is copied (to the overlay image or the read-back).
  deps[1] = {0, VK_SUBPASS_EXTERNAL, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
             VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, VK_ACCESS_TRANSFER_READ_BIT, 0};
  VkRenderPassCreateInfo rpci{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  rpci.attachmentCount = 1;
  rpci.pAttachments = &colour;
  rpci.subpassCount = 1;
  rpci.pSubpasses = &subpass;
  rpci.dependencyCount = 2;
  rpci.pDependencies = deps;
  VkRenderPass pass;
  checkVk(vkCreateRenderPass(ctx_.device(), &rpci, nullptr, &pass), "vkCreateRenderPass");
  return pass;
}

void HeatmapPipeline::createPipeline() {
  VkDevice device = ctx_.device();
  VkShaderModule vert = makeShader(device, k_heatmap_vert_spirv, sizeof(k_heatmap_vert_spirv));
  VkShaderModule frag = makeShader(device, k_heatmap_frag_spirv, sizeof(k_heatmap_frag_spirv));
  VkPipelineShaderStageCreateInfo stages[2] = {};
  stages[0] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_VERTEX_BIT, vert, "main", nullptr};
  stages[1] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_FRAGMENT_BIT, frag, "main", nullptr};

  VkPipelineVertexInputStateCreateInfo vertexInput{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  VkPipelineInputAssemblyStateCreateInfo assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT;
  VkPipelineColorBlendAttachmentState blendAttachment{};
  blendAttachment.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                   VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blendAttachment;
  VkDynamicState dynamicStates[2] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = 2;
  dynamic.pDynamicStates = dynamicStates;

  VkGraphicsPipelineCreateInfo gpci{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  gpci.stageCount = 2;
  gpci.pStages = stages;
  gpci.pVertexInputState = &vertexInput;
  gpci.pInputAssemblyState = &assembly;
  gpci.pViewportState = &viewport;
  gpci.pRasterizationState = &raster;
  gpci.pMultisampleState = &multisample;
  gpci.pColorBlendState = &blend;
  gpci.pDynamicState = &dynamic;
  gpci.layout = pipelineLayout_;
  gpci.renderPass = heatmapPass_;
  // Two variants of the fragment shader: colours per pixel (0) or read from blockcolours.comp (1).
  VkResult r = VK_SUCCESS;
  for (int32_t perBlock : {0, 1}) {
    VkSpecializationMapEntry entry{0, 0, sizeof(int32_t)};
    VkSpecializationInfo spec{1, &entry, sizeof(int32_t), &perBlock};
    stages[1].pSpecializationInfo = &spec;
    if (r == VK_SUCCESS) r = vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &gpci, nullptr, &pipelines_[perBlock]);
  }
  vkDestroyShaderModule(device, vert, nullptr);
  vkDestroyShaderModule(device, frag, nullptr);
  checkVk(r, "vkCreateGraphicsPipelines (heatmap)");

  VkShaderModule comp = makeShader(device, k_blockcolours_comp_spirv, sizeof(k_blockcolours_comp_spirv));
  VkComputePipelineCreateInfo cpci{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  cpci.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO, nullptr, 0, VK_SHADER_STAGE_COMPUTE_BIT, comp, "main", nullptr};
  cpci.layout = pipelineLayout_;
  r = vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &cpci, nullptr, &computePipeline_);
  vkDestroyShaderModule(device, comp, nullptr);
  checkVk(r, "vkCreateComputePipelines (block colours)");
}

void HeatmapPipeline::writeDescriptors() {
  VkDescriptorBufferInfo infos[kBindings] = {
      info(params_),
      atlas_ ? info(atlas_->maps) : info(placeholder_),
      atlas_ ? info(atlas_->stats) : info(placeholder_),
      mask_ ? info(mask_->gpu) : info(placeholder_),
      info(boundaryPixels_),
      info(lut_),
      info(layerEntries_),
      info(blockColours_),
      atlas_ ? info(atlas_->pyramid) : info(placeholder_),
  };
  VkWriteDescriptorSet writes[kBindings];
  for (uint32_t i = 0; i < kBindings; ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = i == 0 ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(ctx_.device(), kBindings, writes, 0, nullptr);
}

void HeatmapPipeline::bind(const PreparedAtlas* atlas, const PreparedMask* mask) {
  atlas_ = atlas;
  mask_ = mask;
  writeDescriptors();
  heatmapValid_ = false;
}

RenderedImage HeatmapPipeline::render(int width, int height, const HeatmapParams& params,
                                      const std::vector<int32_t>& layerEntry,
                                      const std::vector<uint8_t>& boundaryPixels,
                                      const std::function<void(VkCommandBuffer)>& overlay) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
    throw Error("viewport size " + std::to_string(width) + "x" + std::to_string(height) +
                " is outside 1..16384 pixels");
  if (!heatmapTarget_ || heatmapTarget_->width() != width || heatmapTarget_->height() != height) {
    heatmapTarget_.reset();
    overlayTarget_.reset();
    heatmapTarget_ = std::make_unique<OffscreenTarget>(ctx_, heatmapPass_, width, height);
    heatmapValid_ = false;
  }
  if (heatmapValid_ && (std::memcmp(&params, &lastParams_, sizeof params) != 0 || layerEntry != lastLayerEntry_ ||
                        boundaryPixels != lastBoundaryPixels_))
    heatmapValid_ = false;
  if (heatmapValid_ && !overlay && !lastHeatmapImage_.rgba.empty()) return lastHeatmapImage_;

  const bool drawHeatmap = !heatmapValid_;
  if (drawHeatmap) {
    const size_t entryBytes = sizeof(int32_t) * layerEntry.size();
    if (layerEntries_.size() < entryBytes) {
      layerEntries_ = GpuBuffer(ctx_, entryBytes * 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
      writeDescriptors();
    }
    if (boundaryPixels_.size() < boundaryPixels.size()) {
      boundaryPixels_ = GpuBuffer(ctx_, boundaryPixels.size() * 2, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
      writeDescriptors();
    }
    if (params.perBlock) {
      const VkDeviceSize colourBytes =
          sizeof(uint32_t) * VkDeviceSize(params.zoomMode ? 1 : params.rows * params.cols) * params.nq * params.nk;
      if (blockColours_.size() < colourBytes) {
        blockColours_ = GpuBuffer(ctx_, colourBytes, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT);
        writeDescriptors();
      }
    }
    std::memcpy(params_.mapped(), &params, sizeof(HeatmapParams));
    if (!layerEntry.empty()) std::memcpy(layerEntries_.mapped(), layerEntry.data(), entryBytes);
    if (!boundaryPixels.empty()) std::memcpy(boundaryPixels_.mapped(), boundaryPixels.data(), boundaryPixels.size());
    lastBoundaryPixels_ = boundaryPixels;
    lastParams_ = params;
    lastLayerEntry_ = layerEntry;
  }
  if (overlay && !overlayTarget_)
    overlayTarget_ = std::make_unique<OffscreenTarget>(ctx_, overlayPass_, width, height);

  checkVk(vkResetCommandBuffer(cmd_, 0), "vkResetCommandBuffer");
  VkCommandBufferBeginInfo bi{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  vkBeginCommandBuffer(cmd_, &bi);
  if (drawHeatmap) recordHeatmap(width, height, params);
  const OffscreenTarget& result = overlay ? *overlayTarget_ : *heatmapTarget_;
  if (overlay) recordOverlay(width, height, overlay);

  VkBufferImageCopy copy{};
  copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  copy.imageExtent = {uint32_t(width), uint32_t(height), 1};
  vkCmdCopyImageToBuffer(cmd_, result.image(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, result.readback().buffer(), 1,
                         &copy);
  VkBufferMemoryBarrier toHost{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  toHost.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  toHost.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  toHost.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toHost.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toHost.buffer = result.readback().buffer();
  toHost.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1,
                       &toHost, 0, nullptr);
  checkVk(vkEndCommandBuffer(cmd_), "vkEndCommandBuffer");
  submitAndWait();
  if (drawHeatmap) {
    heatmapValid_ = true;
    ++heatmapDraws_;
  }

  RenderedImage image;
  image.width = width;
  image.height = height;
  const uint8_t* pixels = result.readback().as<const uint8_t>();
  image.rgba.assign(pixels, pixels + size_t(width) * height * 4);
  if (overlay)
    lastHeatmapImage_ = {};  // the heatmap's own read-back was not refreshed
  else
    lastHeatmapImage_ = image;
  return image;
}

void HeatmapPipeline::recordHeatmap(int width, int height, const HeatmapParams& params) {
  if (params.perBlock) {
    // One invocation per visible block writes its colour; the fragment shader then only reads them.
    const uint64_t blocks = uint64_t(params.zoomMode ? 1 : params.rows * params.cols) * params.nq * params.nk;
    const uint64_t groups = (blocks + 63) / 64;
    const uint32_t groupsX = uint32_t(std::min<uint64_t>(groups, 65535));
    const uint32_t groupsY = uint32_t((groups + groupsX - 1) / groupsX);
    vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, computePipeline_);
    vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_COMPUTE, pipelineLayout_, 0, 1, &set_, 0, nullptr);
    vkCmdDispatch(cmd_, groupsX, groupsY, 1);
    VkMemoryBarrier written{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    written.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT;
    written.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
    vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 1,
                         &written, 0, nullptr, 0, nullptr);
  }
  beginPass(heatmapPass_, heatmapTarget_->framebuffer(), width, height);
  vkCmdBindPipeline(cmd_, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelines_[params.perBlock ? 1 : 0]);
  vkCmdBindDescriptorSets(cmd_, VK_PIPELINE_BIND_POINT_GRAPHICS, pipelineLayout_, 0, 1, &set_, 0, nullptr);
  vkCmdDraw(cmd_, 3, 1, 0, 0);
  vkCmdEndRenderPass(cmd_);
}

void HeatmapPipeline::beginPass(VkRenderPass pass, VkFramebuffer framebuffer, int width, int height) {
  VkRenderPassBeginInfo rbi{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  rbi.renderPass = pass;
  rbi.framebuffer = framebuffer;
  rbi.renderArea = {{0, 0}, {uint32_t(width), uint32_t(height)}};
  vkCmdBeginRenderPass(cmd_, &rbi, VK_SUBPASS_CONTENTS_INLINE);
  VkViewport vp{0, 0, float(width), float(height), 0, 1};
  VkRect2D scissor{{0, 0}, {uint32_t(width), uint32_t(height)}};
  vkCmdSetViewport(cmd_, 0, 1, &vp);
  vkCmdSetScissor(cmd_, 0, 1, &scissor);
}

void HeatmapPipeline::recordOverlay(int width, int height, const std::function<void(VkCommandBuffer)>& overlay) {
  // The overlay image's old content is discarded: UNDEFINED -> TRANSFER_DST.
  VkImageMemoryBarrier toDst{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  toDst.srcAccessMask = 0;
  toDst.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  toDst.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  toDst.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
  toDst.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toDst.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  toDst.image = overlayTarget_->image();
  toDst.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  vkCmdPipelineBarrier(cmd_, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr, 0,
                       nullptr, 1, &toDst);
  VkImageCopy region{};
  region.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.extent = {uint32_t(width), uint32_t(height), 1};
  vkCmdCopyImage(cmd_, heatmapTarget_->image(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, overlayTarget_->image(),
                 VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &region);

  beginPass(overlayPass_, overlayTarget_->framebuffer(), width, height);
  overlay(cmd_);
  vkCmdEndRenderPass(cmd_);
}

void HeatmapPipeline::submitAndWait() {
  VkSubmitInfo si{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  si.commandBufferCount = 1;
  si.pCommandBuffers = &cmd_;
  checkVk(vkResetFences(ctx_.device(), 1, &fence_), "vkResetFences");
  checkVk(vkQueueSubmit(ctx_.queue(), 1, &si, fence_), "vkQueueSubmit (viewport frame)");
  checkVk(vkWaitForFences(ctx_.device(), 1, &fence_, VK_TRUE, UINT64_MAX), "vkWaitForFences");
}

}  // namespace attnscope::viz
