#include "engine/model/wan/WanKeyNames.h"

#include <utility>
#include <vector>

#include "engine/core/Error.h"

namespace attnscope {

namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Replaces the first occurrence of each `from` (in order) by `to`.
std::string replaceAll(std::string s, const Pairs& pairs) {
  for (const auto& [from, to] : pairs) {
    size_t at = s.find(from);
    if (at != std::string::npos) s.replace(at, from.size(), to);
  }
  return s;
}

Pairs swapped(const Pairs& p) {
  Pairs out;
  for (const auto& [a, b] : p) out.emplace_back(b, a);
  return out;
}

// Wan -> diffusers substrings of the DiT; block-level modulation and norm3 are handled apart.
const Pairs& ditPairs() {
  static const Pairs p{{"time_embedding.0.", "condition_embedder.time_embedder.linear_1."},
                       {"time_embedding.2.", "condition_embedder.time_embedder.linear_2."},
                       {"text_embedding.0.", "condition_embedder.text_embedder.linear_1."},
                       {"text_embedding.2.", "condition_embedder.text_embedder.linear_2."},
                       {"time_projection.1.", "condition_embedder.time_proj."},
                       {"head.head.", "proj_out."},
                       {".ffn.0.", ".ffn.net.0.proj."},
                       {".ffn.2.", ".ffn.net.2."},
                       {".self_attn.norm_q.", ".attn1.norm_q."},
                       {".self_attn.norm_k.", ".attn1.norm_k."},
                       {".self_attn.q.", ".attn1.to_q."},
                       {".self_attn.k.", ".attn1.to_k."},
                       {".self_attn.v.", ".attn1.to_v."},
                       {".self_attn.o.", ".attn1.to_out.0."},
                       {".cross_attn.norm_q.", ".attn2.norm_q."},
                       {".cross_attn.norm_k.", ".attn2.norm_k."},
                       {".cross_attn.q.", ".attn2.to_q."},
                       {".cross_attn.k.", ".attn2.to_k."},
                       {".cross_attn.v.", ".attn2.to_v."},
                       {".cross_attn.o.", ".attn2.to_out.0."},
                       {".norm3.", ".norm2."}};
  return p;
}

// "blocks.N.rest" -> {N, rest}; nullopt if the name is not of that form.
std::optional<std::pair<int64_t, std::string>> indexed(const std::string& name, const std::string& prefix) {
  if (!startsWith(name, prefix)) return std::nullopt;
  size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos) return std::nullopt;
  try {
    return std::make_pair(std::stoll(name.substr(prefix.size(), dot - prefix.size())), name.substr(dot + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Residual block parts, Wan -> diffusers.
const Pairs& resnetPairs() {
  static const Pairs p{{"residual.0.gamma", "norm1.gamma"}, {"residual.2.", "conv1."}, {"residual.3.gamma", "norm2.gamma"},
                       {"residual.6.", "conv2."},           {"shortcut.", "conv_shortcut."}};
  return p;
}

std::string resnetToDiffusers(const std::string& rest) {
  for (const auto& [wan, diff] : resnetPairs())
    if (startsWith(rest, wan)) return diff + rest.substr(wan.size());
  throw Error("not a VAE residual-block tensor: " + rest);
}

std::optional<std::string> resnetFromDiffusers(const std::string& rest) {
  for (const auto& [wan, diff] : resnetPairs())
    if (startsWith(rest, diff)) return wan + rest.substr(diff.size());
  return std::nullopt;
}

}  // namespace

std::string ditNameToDiffusers(const std::string& wan) {
  if (wan == "head.modulation") return "scale_shift_table";
  if (auto b = indexed(wan, "blocks."); b && b->second == "modulation")
    return "blocks." + std::to_string(b->first) + ".scale_shift_table";
  return replaceAll(wan, ditPairs());
}

std::optional<std::string> ditNameFromDiffusers(const std::string& name) {
  if (name == "scale_shift_table") return std::string("head.modulation");
  if (auto b = indexed(name, "blocks."); b && b->second == "scale_shift_table")
    return "blocks." + std::to_string(b->first) + ".modulation";
  return replaceAll(name, swapped(ditPairs()));
}

std::string umt5NameToTransformers(const std::string& wan) {
  if (wan == "token_embedding.weight") return "shared.weight";
  if (wan == "norm.weight") return "encoder.final_layer_norm.weight";
  auto b = indexed(wan, "blocks.");
  if (!b) throw Error("not a umT5 tensor: " + wan);
  const std::string block = "encoder.block." + std::to_string(b->first) + ".";
  static const Pairs p{{"norm1.weight", "layer.0.layer_norm.weight"},
                       {"attn.q.weight", "layer.0.SelfAttention.q.weight"},
                       {"attn.k.weight", "layer.0.SelfAttention.k.weight"},
                       {"attn.v.weight", "layer.0.SelfAttention.v.weight"},
                       {"attn.o.weight", "layer.0.SelfAttention.o.weight"},
                       {"pos_embedding.embedding.weight", "layer.0.SelfAttention.relative_attention_bias.weight"},
                       {"norm2.weight", "layer.1.layer_norm.weight"},
                       {"ffn.gate.0.weight", "layer.1.DenseReluDense.wi_0.weight"},
                       {"ffn.fc1.weight", "layer.1.DenseReluDense.wi_1.weight"},
                       {"ffn.fc2.weight", "layer.1.DenseReluDense.wo.weight"}};
  for (const auto& [w, t] : p)
    if (b->second == w) return block + t;
  throw Error("not a umT5 tensor: " + wan);
}

std::optional<std::string> umt5NameFromTransformers(const std::string& name, bool hasShared) {
  if (name == "shared.weight") return std::string("token_embedding.weight");
  if (name == "encoder.embed_tokens.weight") {
    if (hasShared) return std::nullopt;
    return std::string("token_embedding.weight");
  }
  if (name == "encoder.final_layer_norm.weight") return std::string("norm.weight");
  auto b = indexed(name, "encoder.block.");
  if (!b) return name;  // left as is: strict loading reports it as unexpected
  static const Pairs p{{"layer.0.layer_norm.weight", "norm1.weight"},
                       {"layer.0.SelfAttention.q.weight", "attn.q.weight"},
                       {"layer.0.SelfAttention.k.weight", "attn.k.weight"},
                       {"layer.0.SelfAttention.v.weight", "attn.v.weight"},
                       {"layer.0.SelfAttention.o.weight", "attn.o.weight"},
                       {"layer.0.SelfAttention.relative_attention_bias.weight", "pos_embedding.embedding.weight"},
                       {"layer.1.layer_norm.weight", "norm2.weight"},
                       {"layer.1.DenseReluDense.wi_0.weight", "ffn.gate.0.weight"},
                       {"layer.1.DenseReluDense.wi_1.weight", "ffn.fc1.weight"},
                       {"layer.1.DenseReluDense.wo.weight", "ffn.fc2.weight"}};
  for (const auto& [t, w] : p)
    if (b->second == t) return "blocks." + std::to_string(b->first) + "." + w;
  return name;
}

std::optional<std::string> vaeNameFromOfficial(const std::string& name) {
  if (startsWith(name, "encoder.") || startsWith(name, "conv1.")) return std::nullopt;
  return name;
}

std::string vaeNameToDiffusers(const std::string& wan, int64_t numResBlocks) {
  const int64_t perBlock = numResBlocks + 2;  // resnets + one upsampler
  if (startsWith(wan, "conv2.")) return "post_quant_conv." + wan.substr(6);
  if (startsWith(wan, "decoder.conv1.")) return "decoder.conv_in." + wan.substr(14);
  if (startsWith(wan, "decoder.head.0.")) return "decoder.norm_out." + wan.substr(15);
  if (startsWith(wan, "decoder.head.2.")) return "decoder.conv_out." + wan.substr(15);
  if (auto m = indexed(wan, "decoder.middle.")) {
    if (m->first == 1) return "decoder.mid_block.attentions.0." + m->second;
    return "decoder.mid_block.resnets." + std::to_string(m->first / 2) + "." + resnetToDiffusers(m->second);
  }
  if (auto u = indexed(wan, "decoder.upsamples.")) {
    const int64_t block = u->first / perBlock, within = u->first % perBlock;
    const std::string up = "decoder.up_blocks." + std::to_string(block) + ".";
    if (within == numResBlocks + 1) return up + "upsamplers.0." + u->second;
    return up + "resnets." + std::to_string(within) + "." + resnetToDiffusers(u->second);
  }
  throw Error("not a Wan VAE decoder tensor: " + wan);
}

std::optional<std::string> vaeNameFromDiffusers(const std::string& name, int64_t numResBlocks) {
  const int64_t perBlock = numResBlocks + 2;
  if (startsWith(name, "encoder.") || startsWith(name, "quant_conv.")) return std::nullopt;
  if (startsWith(name, "post_quant_conv.")) return "conv2." + name.substr(16);
  if (startsWith(name, "decoder.conv_in.")) return "decoder.conv1." + name.substr(16);
  if (startsWith(name, "decoder.norm_out.")) return "decoder.head.0." + name.substr(17);
  if (startsWith(name, "decoder.conv_out.")) return "decoder.head.2." + name.substr(17);
  if (startsWith(name, "decoder.mid_block.attentions.0."))
    return "decoder.middle.1." + name.substr(std::string("decoder.mid_block.attentions.0.").size());
  if (auto r = indexed(name, "decoder.mid_block.resnets."))
    if (auto part = resnetFromDiffusers(r->second)) return "decoder.middle." + std::to_string(r->first * 2) + "." + *part;
  if (auto b = indexed(name, "decoder.up_blocks.")) {
    const std::string base = "decoder.upsamples.";
    if (startsWith(b->second, "upsamplers.0."))
      return base + std::to_string(b->first * perBlock + numResBlocks + 1) + "." + b->second.substr(13);
    if (auto r = indexed(b->second, "resnets."))
      if (auto part = resnetFromDiffusers(r->second))
        return base + std::to_string(b->first * perBlock + r->first) + "." + *part;
  }
  return name;  // unexpected: strict loading names it
}

}  // namespace attnscope
