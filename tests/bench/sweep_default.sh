#!/bin/sh
# Sweep bar (issue 6): 4 densities x 2 strategies on the default model, two
# threads, wall time measured around the whole command (capture, dense, 8
# sparse re-renders, metrics, CSV/JSON and the PNG). Usage:
#   tests/bench/sweep_default.sh [build dir] [out dir] [extra sweep options...]
set -eu
build=${1:-build}
out=${2:-/tmp/attnscope-sweep-bench}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
"$build/app/attnscope-cli" sweep --prompt "a red circle moves left on a dark background" --seed 3 \
  --strategy threshold,antidiagonal --densities 0.05,0.1,0.2,0.3 --threads 2 --out "$out" "$@"
end=$(date +%s.%N)
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "sweep wall time: $(echo "$end - $start" | bc) s (bar: 600 s)"
