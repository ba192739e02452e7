#!/usr/bin/env bash
# The one script for the GPU machine, run from the repository root:
#   bash tests/bench/gpu/run_device.sh [all|build|check|bench]   (default: all)
# Needs the carried ignored folders .devsrc (.devinc: nlohmann-json, CLI11
# headers) and .devref (a copy of shared/bench: anchor_attention.py).
# Builds into /tmp/attnscope-gpu (kept: a warm machine rebuilds
# incrementally), runs check_gpu_attention, then our benchmark and the
# FlexAttention anchors one after the other, and prints the merged table
# last. Logs and JSON go to $OUT (8 files: build.log, check.log, bench.log,
# anchors.log, ours.json, flex.json, merged.json, table.txt). Each part is time-boxed so the
# whole run stays under ~9 minutes.
set -uo pipefail
PART=${1:-all}
ROOT=$PWD
OUT=${OUT:-/tmp/attnscope-out}
BUILD=/tmp/attnscope-gpu
mkdir -p "$OUT"
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 ))s] $*"; }
[ -d /usr/local/cuda/bin ] && export PATH=/usr/local/cuda/bin:$PATH

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
nvcc --version | tail -1

build() {
  stamp "build"
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_GUI=OFF -DATTNSCOPE_TESTS=OFF \
      -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)');$ROOT/.devsrc/.devinc" \
      -DTORCH_CUDA_ARCH_LIST=9.0 > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
  fi
  if ! timeout 330 ninja -C "$BUILD" -j16 check_gpu_attention bench_sparse_attention >> "$OUT/build.log" 2>&1; then
    grep -E "error|Error" "$OUT/build.log" | head -30
    tail -20 "$OUT/build.log"
    exit 1
  fi
  grep "spill stores" "$OUT/build.log" | grep -v " 0 bytes spill stores, 0 bytes spill loads" | head -5 || true
  stamp "built"
}

check() {
  stamp "check_gpu_attention"
  timeout 120 "$BUILD/tests/gpu/check_gpu_attention" > "$OUT/check.log" 2>&1
  local rc=$?
  grep -E "^(FAIL|SKIP)" "$OUT/check.log" | head -30
  tail -1 "$OUT/check.log"
  stamp "check exit code $rc"
  return $rc
}

# FlexAttention / cuDNN anchors (shared/bench/anchor_attention.py). In `all`
# they run while the engine compiles (the GPU is idle then) and are waited
# for before our benchmark starts, so no two timings share the GPU.
anchors() {
  stamp "FlexAttention anchors"
  mkdir -p /tmp/attnscope-anchor
  cp .devref/bench/anchor_attention.py /tmp/attnscope-anchor/ 2>/dev/null \
    || echo "no .devref/bench/anchor_attention.py: carry .devref (a copy of shared/bench)"
  timeout 240 python3 /tmp/attnscope-anchor/anchor_attention.py --json "$OUT/flex.json" > "$OUT/anchors.log" 2>&1 \
    || { echo "anchors failed:"; tail -10 "$OUT/anchors.log"; }
  stamp "anchors done"
}

bench() {
  stamp "bench_sparse_attention"
  timeout 170 "$BUILD/tests/bench/gpu/bench_sparse_attention" --json "$OUT/ours.json" > "$OUT/bench.log" 2>&1 \
    || { echo "bench failed:"; tail -20 "$OUT/bench.log"; }
  [ -f "$OUT/flex.json" ] || anchors
  stamp "table"
  python3 tests/bench/gpu/merge_table.py "$OUT/ours.json" "$OUT/flex.json" --out "$OUT/merged.json" | tee "$OUT/table.txt"
}

case "$PART" in
  build) build ;;
  anchors) anchors ;;
  check) build; check ;;
  bench) build; bench ;;
  all) anchors & anchor_pid=$!
       build; check; status=$?; wait $anchor_pid; bench; stamp "done (check exit code $status)"; exit $status ;;
  *) echo "usage: $0 [all|build|anchors|check|bench]"; exit 2 ;;
esac
