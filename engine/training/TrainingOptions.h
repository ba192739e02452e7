#pragma once
// TrainingOptions: the recipe of one training run of attnscope-train — what
// recipe.json records and a checkpoint carries so that a resumed run goes on
// with the same settings. Defaults are the shipped default model's recipe.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace attnscope {

struct TrainingOptions {
  int64_t steps = 20000;       // optimiser steps of the whole run (the schedule's length)
  int64_t batch = 128;         // samples per step
  int64_t repeat = 1;          // each rendered clip appears this many times per batch (fresh noise and t)
  double lr = 5e-4;            // peak learning rate
  int64_t warmupSteps = 500;   // linear warm-up from 0
  std::string decay = "cosine";  // "cosine" (to minLrRatio * lr at `steps`) or "constant"
  double minLrRatio = 0.1;
  double weightDecay = 0.01;   // AdamW, decoupled; matrices only
  double beta1 = 0.9, beta2 = 0.99, adamEps = 1e-8;
  double gradClip = 1.0;       // global L2 norm; <= 0 = off
  double emaDecay = 0.9995;    // ramped up as (1 + s) / (10 + s) early on
  double condDropout = 0.1;    // share of samples trained with the empty prompt
  double shift = 3.0;          // timestep shift of the sampled sigmas (the sampler's default)
  double textPoolLrScale = 1.0;  // learning-rate factor for the pooled caption path (text_pool.*)
  double positionLrScale = 1.0;  // the same for the absolute position path (pos_embedding.*)
  double layoutPriorLrScale = 1.0;  // the same for the layout prior (layout_prior.*)
  // Train only the parameters whose names start with this (e.g.
  // "layout_prior."); the rest stay as loaded. "" = all. Lets a path added to
  // a trained model learn against a fixed backbone, at the cost of a
  // forward pass only through the rest.
  std::string trainOnly;
  uint64_t seed = 20261125;    // noise, timesteps, dropout, and the scene stream
  int64_t checkpointEvery = 1000;
  int64_t logEvery = 50;

  // Throws Error naming the first bad field.
  void validate() const;
  nlohmann::json toJson() const;
  // Fields absent from `j` keep their defaults; `where` names the file in errors.
  static TrainingOptions fromJson(const nlohmann::json& j, const std::string& where);
};

}  // namespace attnscope
