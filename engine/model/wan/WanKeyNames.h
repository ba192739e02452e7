#pragma once
// Tensor names: the engine's modules use the official Wan 2.1 names
// (wan/modules/model.py, t5.py, vae.py). These functions translate the
// diffusers / transformers names into them (and back, for writing test
// checkpoints). nullopt = a tensor the engine does not use (the VAE encoder,
// a tied copy of the umT5 embedding). No LibTorch here.
#include <cstdint>
#include <optional>
#include <string>

namespace attnscope {

// diffusers WanTransformer3DModel -> Wan DiT ("blocks.0.attn1.to_q.weight" -> "blocks.0.self_attn.q.weight";
// diffusers' norm2 is Wan's norm3).
std::optional<std::string> ditNameFromDiffusers(const std::string& name);
std::string ditNameToDiffusers(const std::string& wanName);

// transformers UMT5EncoderModel -> Wan T5Encoder ("encoder.block.3.layer.1.DenseReluDense.wi_0.weight" ->
// "blocks.3.ffn.gate.0.weight"). `hasShared`: the file holds "shared.weight", so the tied
// "encoder.embed_tokens.weight" is skipped.
std::optional<std::string> umt5NameFromTransformers(const std::string& name, bool hasShared);
std::string umt5NameToTransformers(const std::string& wanName);

// Wan2.1_VAE.pth: keeps the decoder and conv2 (post-quant conv); skips the encoder and conv1.
std::optional<std::string> vaeNameFromOfficial(const std::string& name);
// diffusers AutoencoderKLWan -> Wan VAE ("decoder.up_blocks.1.resnets.0.conv_shortcut.weight" ->
// "decoder.upsamples.4.shortcut.weight"); skips encoder.* and quant_conv.*.
std::optional<std::string> vaeNameFromDiffusers(const std::string& name, int64_t numResBlocks);
std::string vaeNameToDiffusers(const std::string& wanName, int64_t numResBlocks);

}  // namespace attnscope
