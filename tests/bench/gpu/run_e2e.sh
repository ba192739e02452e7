#!/usr/bin/env bash
# End to end on the GPU: attnscope-cli with CUDA on the shipped default model
# (assets/default), per-stage timings from the CLI's own --json reports.
#   (a) dense generate, cuda bf16, at the default size (16x64x64, 1024 tokens)
#       and at 16x256x256 (16384 tokens), where attention matters;
#   (b) capture (tiled layout, block 64) + derive (threshold, ~20% density,
#       2 dense warm-up steps) + sparse generate with the plan, at both sizes;
#   (c) the CPU in float32 at the default size (dense and sparse) as the baseline.
# Prints one table (per stage seconds, attention share, mean dense / sparse
# step with attention vs rest, peak GPU memory); its last line is the headline
# ratio. Run from the repository root with .devsrc/.devinc carried:
#   bash tests/bench/gpu/run_e2e.sh
# Builds into /tmp/attnscope-gpu (shared with the other GPU scripts); logs,
# the JSON reports and the table go to $OUT (4 files).
set -uo pipefail
SRC=$(pwd)
OUT=${OUT:-/tmp/attnscope-e2e}
BUILD=/tmp/attnscope-gpu
WORK=/tmp/attnscope-e2e-work
CLI=$BUILD/app/attnscope-cli
MODEL=$SRC/assets/default
PROMPT="a red circle moves left on a dark background"
START=$(date +%s)
mkdir -p "$OUT" "$WORK"
LOG=$OUT/e2e.log
REPORTS=$OUT/reports.jsonl
: > "$LOG"
: > "$REPORTS"

elapsed() { echo $(( $(date +%s) - START )); }

# ---- build (E2E_CLI=path/to/attnscope-cli skips it, for a rehearsal) -----
if [ -n "${E2E_CLI:-}" ]; then
  CLI=$E2E_CLI
  echo "using $CLI" > "$OUT/build.log"
else {
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())'
  TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  cmake -S "$SRC" -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_GUI=OFF -DATTNSCOPE_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX;$SRC/.devsrc/.devinc" -DTORCH_CUDA_ARCH_LIST=9.0
  ninja -C $BUILD attnscope-cli
} > "$OUT/build.log" 2>&1
fi
if [ ! -x "$CLI" ]; then
  echo "build failed after $(elapsed) s; last lines of build.log:"
  grep -v '^\[' "$OUT/build.log" | tail -40
  exit 1
fi
echo "built attnscope-cli in $(elapsed) s" | tee -a "$LOG"

# ---- runs ----------------------------------------------------------------
# run NAME SECONDS ARGS...: one CLI call whose JSON report is kept as
# {"run": NAME, "report": {...}} in reports.jsonl; stderr goes to the log.
run() {
  local name=$1 limit=$2
  shift 2
  if [ "$(elapsed)" -gt "${E2E_DEADLINE:-460}" ]; then  # keep the whole call within 9 minutes
    echo "!! $name skipped: out of time at $(elapsed) s" | tee -a "$LOG"
    return 1
  fi
  echo "== $name ($(elapsed) s): $*" >> "$LOG"
  local json
  json=$(timeout "$limit" "$CLI" "$@" --json 2>> "$LOG")
  local rc=$?
  if [ $rc -ne 0 ] || [ -z "$json" ]; then
    echo "!! $name failed (rc $rc)" | tee -a "$LOG"
    return 1
  fi
  echo "{\"run\": \"$name\", \"report\": $json}" >> "$REPORTS"
}

GEN=(--model "$MODEL" --prompt "$PROMPT")
GPU=${E2E_DEVICE:-cuda}  # E2E_DEVICE=cpu E2E_LARGE="--frames 4" rehearses the script without a GPU
SIZES=("small:" "large:${E2E_LARGE:---frames 16 --height 256 --width 256}")

for entry in "${SIZES[@]}"; do
  size=${entry%%:*}
  read -r -a dims <<< "${entry#*:} --seed 1"  # with the seed: never an empty array under set -u
  run "dense $GPU $size" 150 generate "${GEN[@]}" "${dims[@]}" --device "$GPU"
  run "capture $GPU $size" 150 capture "${GEN[@]}" "${dims[@]}" --device "$GPU" --layout tiled --block 64 \
    --capture-steps mid --export-atlas "$WORK/atlas-$size.safetensors" &&
    run "derive $size" 60 derive --atlas "$WORK/atlas-$size.safetensors" --strategy threshold \
      --target-density 0.2 --warmup 2 --out "$WORK/plan-$size.json" &&
    run "sparse $GPU $size" 150 generate "${GEN[@]}" "${dims[@]}" --device "$GPU" --mask "$WORK/plan-$size.json"
done
run "dense cpu small" 120 generate "${GEN[@]}" --seed 1 --device cpu
[ -f "$WORK/plan-small.json" ] &&
  run "sparse cpu small" 120 generate "${GEN[@]}" --seed 1 --device cpu --mask "$WORK/plan-small.json"
# The GPU capture against the CPU capture of the same run (the trajectories
# differ only by bf16 rounding): pooled-map correlation and mask agreement.
[ -f "$WORK/atlas-small.safetensors" ] &&
  run "capture cpu small" 120 capture "${GEN[@]}" --seed 1 --device cpu --layout tiled --block 64 \
    --capture-steps mid --export-atlas "$WORK/atlas-cpu.safetensors" &&
  run "atlas $GPU vs cpu" 60 analyze --atlas "$WORK/atlas-small.safetensors" --compare-atlas "$WORK/atlas-cpu.safetensors"
echo "runs done at $(elapsed) s (logs: e2e.log, build.log, reports.jsonl)" | tee -a "$LOG"

# ---- table ---------------------------------------------------------------
python3 - "$REPORTS" "$GPU" <<'PY' | tee "$OUT/table.txt"
import json, statistics, sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
gpu_name = sys.argv[2]

def steps_of(t, mode):
    # Median over the steps of a mode: the first GPU step carries one-time
    # set-up (CUDA context, cuDNN plans, kernel loads).
    s = [x for x in t.get("steps", []) if x["mode"] == mode]
    if not s:
        return None
    return statistics.median(x["seconds"] for x in s), statistics.median(x["attention_s"] for x in s), len(s)

def ms(v):
    return "-" if v is None else f"{1000 * v:8.1f}"

print(f"{'run':22} {'tokens':>6} {'kernel':>7} {'text':>7} {'denoise':>8} {'attn%':>6} {'decode':>7} "
      f"{'dense step':>10} {'(attn)':>8} {'sparse step':>11} {'(attn)':>8} {'density':>7} {'peak MiB':>8}")
print(f"{'':22} {'':>6} {'':>7} {'ms':>7} {'ms':>8} {'':>6} {'ms':>7} {'ms median':>10} {'ms':>8} {'ms median':>11} {'ms':>8}")
headline = {}
for r in rows:
    rep = r["report"]
    if "timings" not in rep:
        if rep.get("command") == "derive":
            print(f"{r['run']:22} density {rep['density']:.3f}, kept mass {rep['kept_mass']:.3f}, layout {rep['layout']}")
        elif rep.get("command") == "analyze" and rep.get("stability"):
            st = rep["stability"]
            print(f"{r['run']:22} pooled-map correlation {st['correlation'][0][0]:.4f}, "
                  f"{st['strategy']} masks at {st['density']} jaccard {st['jaccard'][0][0]:.3f}")
        continue
    t = rep["timings"]
    dense = steps_of(t, "dense")
    sparse = steps_of(t, "sparse")
    share = 100 * t["attention_s"] / t["denoise_s"] if t["denoise_s"] > 0 else 0
    peak = t.get("peak_gpu_bytes")
    density = "-" if rep.get("mask_density") is None else f"{rep['mask_density']:.3f}"
    print(f"{r['run']:22} {rep['tokens']:>6} {str(rep.get('dense_kernel') or '-'):>7} {ms(t['text_s'])[-7:]:>7} "
          f"{ms(t['denoise_s']):>8} {share:5.1f}% {ms(t['decode_s'])[-7:]:>7} "
          f"{ms(dense and dense[0]):>10} {ms(dense and dense[1]):>8} {ms(sparse and sparse[0]):>11} "
          f"{ms(sparse and sparse[1]):>8} {density:>7} "
          f"{'-' if not peak else f'{peak / 2**20:8.0f}':>8}")
    headline[r["run"]] = (dense, sparse)

def ratio(dense_run, sparse_run):
    d = headline.get(dense_run, (None, None))[0]
    s = headline.get(sparse_run, (None, None))[1]
    if not d or not s:
        return None
    return d, s

for size in ("small", "large"):
    pair = ratio(f"dense {gpu_name} {size}", f"sparse {gpu_name} {size}")
    if pair:
        d, s = pair
        print(f"{size}: sparse/dense step {s[0] / d[0]:.3f}, attention {s[1] / d[1]:.3f} "
              f"(dense {1000 * d[0]:.1f} ms, attn {1000 * d[1]:.1f} ms; sparse {1000 * s[0]:.1f} ms, attn {1000 * s[1]:.1f} ms)")
cpu = headline.get("dense cpu small", (None, None))[0]
gpu = headline.get(f"dense {gpu_name} small", (None, None))[0]
if cpu and gpu:
    print(f"default size: dense step cpu/gpu {cpu[0] / gpu[0]:.1f}x")
pair = ratio(f"dense {gpu_name} large", f"sparse {gpu_name} large")
print("headline: 16x256x256 sparse/dense attention per step " + (f"{pair[1][1] / pair[0][1]:.3f}" if pair else "n/a"))
PY
