#!/usr/bin/env bash
# Wan 2.1 1.3B step timing vs the reference, in one device call (< 9 min):
# builds bench_wan_step (CUDA build in /tmp/attnscope-gpu) while the reference
# step runs in PyTorch (reference_step.py), then runs the engine's step on the
# same weights and inputs. Run from the repository root with the ignored
# folders .devref (reference sources) and .devsrc/.devinc (json/CLI11 headers):
#
#   bash tests/bench/wan/run_step.sh        # carry: .devref, .devsrc/.devinc
#
# Logs in $OUT (build.log, reference.log, bench.log, table.txt); table last.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-/tmp/wan-step-out}
DATA=${DATA:-/tmp/wan-step}
BUILD=/tmp/attnscope-gpu
mkdir -p "$OUT" "$DATA"

(
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_GUI=OFF -DATTNSCOPE_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)');$PWD/.devsrc/.devinc" \
    -DTORCH_CUDA_ARCH_LIST=9.0 && ninja -C "$BUILD" -j"$(nproc)" bench_wan_step
) > "$OUT/build.log" 2>&1 &
BUILD_PID=$!

# WAN_STEP_VAE=0 skips the VAE decode on both sides (a shorter call).
VAE_REF=--vae VAE_OURS=
[ "${WAN_STEP_VAE:-1}" = 0 ] && VAE_REF= VAE_OURS=--no-vae
timeout 300 python3 tests/bench/wan/reference_step.py --wan .devref/Wan2.1 --devref .devref --out "$DATA" $VAE_REF \
  > "$OUT/reference.log" 2>&1
REF_RC=$?
[ $REF_RC -eq 0 ] || { echo "reference_step.py failed ($REF_RC):"; tail -25 "$OUT/reference.log"; }
cp "$DATA/reference.json" "$OUT/" 2>/dev/null

wait $BUILD_PID
BUILD_RC=$?
[ $BUILD_RC -eq 0 ] || { echo "build failed ($BUILD_RC):"; grep -m 10 -B2 -A6 "error" "$OUT/build.log" | tail -40; exit 1; }
[ $REF_RC -eq 0 ] || exit 1

timeout 360 "$BUILD/tests/bench/wan/bench_wan_step" --dir "$DATA" $VAE_OURS > "$OUT/bench.log" 2>&1
BENCH_RC=$?
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv >> "$OUT/bench.log" 2>&1
grep -A30 "^Wan 2.1 1.3B" "$OUT/bench.log" > "$OUT/table.txt"
echo "reference: $(tail -1 "$OUT/reference.log")"
grep -E "^(device|loaded|dense step|attention alone|sparse|VAE)" "$OUT/bench.log"
[ $BENCH_RC -eq 0 ] || { echo "bench_wan_step failed ($BENCH_RC):"; tail -20 "$OUT/bench.log"; exit 1; }
cat "$OUT/table.txt"
