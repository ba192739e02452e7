#!/usr/bin/env bash
# Nsight Compute profile of the Hopper capture statistics kernel (both query
# tiles) inside bench_sparse_attention at N = 32768: speed of light, pipe
# utilisation (tensor, MUFU = XU), L2 traffic and warp stall reasons.
# Run on the GPU machine after run_device.sh built /tmp/attnscope-gpu:
#   bash tests/bench/gpu/profile_capture.sh      # report in $OUT/ncu_capture.txt
set -uo pipefail
OUT=${OUT:-/tmp/attnscope-out}
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
mkdir -p "$OUT"
timeout 240 "$NCU" --kernel-name regex:captureStatisticsHopper --launch-skip 8 --launch-count 2 \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section MemoryWorkloadAnalysis \
  --section WarpStateStats --section Occupancy \
  /tmp/attnscope-gpu/tests/bench/gpu/bench_sparse_attention --n 32768 --densities 0.1 --iters 4 \
  --json /tmp/ncu_bench.json > "$OUT/ncu_capture.txt" 2>&1
echo "ncu exit $?"
grep -E "captureStatisticsHopper|Duration|Compute \(SM\) Throughput|Memory Throughput|L2 Cache Throughput|Executed Ipc A|Issue Slots Busy|Achieved Occupancy|Registers Per|Stall|Warp Cycles Per Issued|Block Limit|Theoretical Occ" \
  "$OUT/ncu_capture.txt" | cut -c1-160 | head -60
