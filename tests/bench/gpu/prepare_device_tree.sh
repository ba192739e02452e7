#!/usr/bin/env bash
# Prepares .devtree, the one folder a device call carries (the device tool's
# `carry: [".devtree"]`), then run there as `cd .devtree && bash tests/...`:
#   - HEAD's files (git archive), not the working tree: edits that are not
#     committed yet (a helper's half-made change) do not reach the GPU build;
#   - .devsrc/.devinc: nlohmann-json and CLI11 headers with their CMake
#     configs, from this machine's Debian packages (the GPU machine has none);
#   - .devref/bench: ../shared/bench (the FlexAttention / cuDNN anchors);
#   - .devref/Wan2.1/wan: the reference's wan package, exported from a mirror
#     of github.com/Wan-Video/Wan2.1 (the search tool's fetch), when given.
#   - .devcommit: HEAD's short hash (the trainer records it).
# Nothing here is committed (.gitignore). Usage, from the repository root:
#   bash tests/bench/gpu/prepare_device_tree.sh [WAN_MIRROR_GIT_DIR]
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
wan_mirror=${1:-}
rm -rf .devtree
mkdir -p .devtree/.devsrc/.devinc/include .devtree/.devsrc/.devinc/share/cmake .devtree/.devref/bench
git archive HEAD | tar -x -C .devtree
git rev-parse --short=12 HEAD > .devtree/.devcommit
cp -r /usr/include/nlohmann /usr/include/CLI .devtree/.devsrc/.devinc/include/
cp -r /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 .devtree/.devsrc/.devinc/share/cmake/
cp ../shared/bench/*.py .devtree/.devref/bench/
if [[ -n $wan_mirror ]]; then
  mkdir -p .devtree/.devref/Wan2.1
  git --git-dir="$wan_mirror" archive HEAD wan | tar -x -C .devtree/.devref/Wan2.1
fi
du -sh .devtree
