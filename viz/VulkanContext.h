#pragma once
// VulkanContext: a headless Vulkan instance and device (no surface, no
// window system): a GPU, or Mesa's lavapipe on the CPU. Owns the graphics
// queue and a command pool for the rendering thread. Construction throws
// attnscope::Error naming what is missing (driver, device, queue).
//
// GpuBuffer: a buffer in host-visible, coherent memory (device-local too
// when the device offers it), persistently mapped. Creating one is safe from
// any thread (the heavy atlas upload runs on a worker); using it in a
// command buffer is the rendering thread's business.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace attnscope::viz {

// Throws attnscope::Error "Vulkan: <what> failed (<result>)" unless result is VK_SUCCESS.
void checkVk(VkResult result, const char* what);
const char* vkResultName(VkResult result);

class VulkanContext {
 public:
  VulkanContext();
  ~VulkanContext();
  VulkanContext(const VulkanContext&) = delete;
  VulkanContext& operator=(const VulkanContext&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physicalDevice() const { return physical_; }
  VkDevice device() const { return device_; }
  uint32_t queueFamily() const { return queueFamily_; }
  VkQueue queue() const { return queue_; }
  VkCommandPool commandPool() const { return pool_; }
  const std::string& deviceName() const { return deviceName_; }
  // The largest storage buffer a shader may read (all of an atlas's maps live in one).
  VkDeviceSize maxStorageBufferRange() const { return maxStorageBufferRange_; }

  // A memory type allowed by typeBits with all `required` flags, preferring one with `preferred` too.
  uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags required,
                      VkMemoryPropertyFlags preferred = 0) const;

  // Records with `record` into a fresh command buffer, submits, waits.
  template <class Record>
  void submitAndWait(Record&& record);

 private:
  void destroy();
  VkCommandBuffer beginOneShot();
  void endOneShot(VkCommandBuffer cmd);

  VkInstance instance_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_ = VK_NULL_HANDLE;
  VkDevice device_ = VK_NULL_HANDLE;
  uint32_t queueFamily_ = 0;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties memory_{};
  std::string deviceName_;
  VkDeviceSize maxStorageBufferRange_ = 0;
};

template <class Record>
void VulkanContext::submitAndWait(Record&& record) {
  VkCommandBuffer cmd = beginOneShot();
  record(cmd);
  endOneShot(cmd);
}

class GpuBuffer {
 public:
  GpuBuffer() = default;
  // size 0 is rounded up (Vulkan forbids empty buffers).
  GpuBuffer(const VulkanContext& ctx, VkDeviceSize size, VkBufferUsageFlags usage,
            bool preferCached = false);
  ~GpuBuffer();
  GpuBuffer(GpuBuffer&& o) noexcept { *this = std::move(o); }
  GpuBuffer& operator=(GpuBuffer&& o) noexcept;
  GpuBuffer(const GpuBuffer&) = delete;
  GpuBuffer& operator=(const GpuBuffer&) = delete;

  VkBuffer buffer() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  void* mapped() const { return mapped_; }
  template <class T>
  T* as() const { return static_cast<T*>(mapped_); }
  explicit operator bool() const { return buffer_ != VK_NULL_HANDLE; }

 private:
  void release();
  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  void* mapped_ = nullptr;
};

}  // namespace attnscope::viz
