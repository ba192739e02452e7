#pragma once
// The devices a model can be placed on (ComputePlacement.h), listed for
// front ends that must not see LibTorch (the GUI's device picker): the CPU
// always, then one entry per CUDA device this build and this machine have.
#include <string>
#include <vector>

namespace attnscope {

struct ComputeDevice {
  std::string id;     // what parseComputePlacement and ModelSession::load take: "cpu", "cuda:0", ...
  std::string label;  // for people: "CPU", "CUDA 0 · NVIDIA H100 80GB HBM3"
};

// {"cpu", "CPU"} first, then "cuda:0", "cuda:1", ... in device order.
std::vector<ComputeDevice> computeDevices();

// Why no CUDA device can be used: "this build has no CUDA (its LibTorch is
// CPU-only)" or "there is no CUDA device on this machine"; "" when one can.
std::string cudaUnavailableReason();

}  // namespace attnscope
