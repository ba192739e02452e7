#pragma once
// Resumable training checkpoints. A run folder holds checkpoint/:
//   model.safetensors, config.json, vocab    the trained weights (a model folder)
//   ema/                                     the EMA weights as a model folder (what ships)
//   adam_m.safetensors, adam_v.safetensors   the optimiser's moments, by parameter name (bfloat16)
//   state.json                               step, stream position, wall time, options
// Written into checkpoint.tmp/ and renamed into place, so a crash leaves the
// previous checkpoint whole.
// The RNG needs no state: noise, timesteps and dropout of step s are drawn
// from a generator seeded by (seed, s), and the clips from the stream position.
#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

#include "engine/model/Model.h"
#include "engine/training/AdamW.h"
#include "engine/training/TrainingOptions.h"

namespace attnscope {

struct TrainingState {
  int64_t step = 0;          // optimiser steps done
  uint64_t clips = 0;        // clips taken from the stream
  double wallSeconds = 0;    // training wall time of all sessions so far
  double lastLoss = 0;       // mean loss of the last logged interval
  TrainingOptions options;
};

struct Checkpoint {
  Model model;  // on the CPU
  Model ema;    // on the CPU
  std::map<std::string, torch::Tensor> firstMoments, secondMoments;
  TrainingState state;
  std::string folder;  // the checkpoint folder it came from
};

// Writes runDir/checkpoint atomically.
void saveCheckpoint(const std::string& runDir, const Model& model, const Model& ema, const AdamW& optimizer,
                    const TrainingState& state);

// `path` is a run folder or its checkpoint folder. Throws Error naming the
// file and field at fault: missing files, corrupt JSON or tensors, weights
// that do not fit the config, moments for other parameters.
Checkpoint loadCheckpoint(const std::string& path);

// Throws Error when `wanted` describes a different network than `saved`
// (dimensions, heads, layers, patch, latent, text encoder), naming the field.
void requireSameArchitecture(const ModelConfig& saved, const ModelConfig& wanted, const std::string& where);

}  // namespace attnscope
