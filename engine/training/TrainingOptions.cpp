#include "engine/training/TrainingOptions.h"

#include "engine/core/Error.h"

namespace attnscope {

void TrainingOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& why) { throw Error("training option " + field + " " + why); };
  if (steps < 1) bad("steps", "must be at least 1, got " + std::to_string(steps));
  if (batch < 1) bad("batch", "must be at least 1, got " + std::to_string(batch));
  if (repeat < 1 || batch % repeat) bad("repeat", "must divide the batch " + std::to_string(batch) + ", got " + std::to_string(repeat));
  if (!(lr > 0)) bad("lr", "must be positive, got " + std::to_string(lr));
  if (warmupSteps < 0) bad("warmup", "must not be negative, got " + std::to_string(warmupSteps));
  if (decay != "cosine" && decay != "constant") bad("decay", "must be cosine or constant, got " + decay);
  if (minLrRatio < 0 || minLrRatio > 1) bad("min_lr_ratio", "must be in [0, 1], got " + std::to_string(minLrRatio));
  if (weightDecay < 0) bad("weight_decay", "must not be negative, got " + std::to_string(weightDecay));
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) bad("betas", "must be in [0, 1)");
  if (!(adamEps > 0)) bad("adam_eps", "must be positive");
  if (!(emaDecay >= 0 && emaDecay < 1)) bad("ema_decay", "must be in [0, 1), got " + std::to_string(emaDecay));
  if (!(condDropout >= 0 && condDropout <= 1)) bad("cond_dropout", "must be in [0, 1], got " + std::to_string(condDropout));
  if (!(shift > 0)) bad("shift", "must be positive, got " + std::to_string(shift));
  if (!(textPoolLrScale > 0)) bad("text_pool_lr_scale", "must be positive, got " + std::to_string(textPoolLrScale));
  if (!(positionLrScale > 0)) bad("position_lr_scale", "must be positive, got " + std::to_string(positionLrScale));
  if (!(layoutPriorLrScale > 0))
    bad("layout_prior_lr_scale", "must be positive, got " + std::to_string(layoutPriorLrScale));
  if (checkpointEvery < 1) bad("checkpoint_every", "must be at least 1");
  if (logEvery < 1) bad("log_every", "must be at least 1");
}

nlohmann::json TrainingOptions::toJson() const {
  return {{"steps", steps},         {"batch", batch},
          {"repeat", repeat},       {"lr", lr},
          {"warmup_steps", warmupSteps}, {"decay", decay},
          {"min_lr_ratio", minLrRatio},  {"weight_decay", weightDecay},
          {"beta1", beta1},         {"beta2", beta2},
          {"adam_eps", adamEps},    {"grad_clip", gradClip},
          {"ema_decay", emaDecay},  {"cond_dropout", condDropout},
          {"shift", shift},         {"seed", seed},
          {"checkpoint_every", checkpointEvery}, {"log_every", logEvery},
          {"text_pool_lr_scale", textPoolLrScale}, {"position_lr_scale", positionLrScale},
          {"layout_prior_lr_scale", layoutPriorLrScale}, {"train_only", trainOnly}};
}

TrainingOptions TrainingOptions::fromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": training options must be a JSON object");
  TrainingOptions o;
  auto read = [&](const char* key, auto& field) {
    if (!j.contains(key)) return;
    try {
      j.at(key).get_to(field);
    } catch (const nlohmann::json::exception&) {
      throw Error(where + ": field " + key + " has the wrong type (" + j.at(key).dump() + ")");
    }
  };
  read("steps", o.steps);
  read("batch", o.batch);
  read("repeat", o.repeat);
  read("lr", o.lr);
  read("warmup_steps", o.warmupSteps);
  read("decay", o.decay);
  read("min_lr_ratio", o.minLrRatio);
  read("weight_decay", o.weightDecay);
  read("beta1", o.beta1);
  read("beta2", o.beta2);
  read("adam_eps", o.adamEps);
  read("grad_clip", o.gradClip);
  read("ema_decay", o.emaDecay);
  read("cond_dropout", o.condDropout);
  read("shift", o.shift);
  read("seed", o.seed);
  read("checkpoint_every", o.checkpointEvery);
  read("log_every", o.logEvery);
  read("text_pool_lr_scale", o.textPoolLrScale);
  read("position_lr_scale", o.positionLrScale);
  read("layout_prior_lr_scale", o.layoutPriorLrScale);
  read("train_only", o.trainOnly);
  try {
    o.validate();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return o;
}

}  // namespace attnscope
