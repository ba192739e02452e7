#!/usr/bin/env bash
# Runs attnscope-train on a lent GPU machine (see assets/default/TRAINING.md).
# Called from the root of a source copy that carries header-only dependencies
# in .devsrc/.devinc/ (or .devinc/; nlohmann-json, CLI11); builds into
# /tmp/attnscope-build, trains into /tmp/attnscope-run (both survive between
# calls while the machine stays warm) and packs what must come back into $OUT.
#   gpu_session.sh finetune SECONDS [ARGS...] build, then train from the shipped weights
#                                             (assets/default, --init-from) with a fresh
#                                             schedule sized to the time left, probe 50
#                                             held-out scenes, pack the EMA model into $OUT
#                                             (FINETUNE_SEED picks the clips; FINETUNE_LATER=S sizes the schedule for S more
#                                             seconds in a `more` call; then no probe here;
#                                             FINETUNE_FROM=DIR starts from another model folder,
#                                             e.g. one packed by an earlier machine, carried in .devsrc/)
#   gpu_session.sh more SECONDS               the next call on the same warm machine: resume the
#                                             finetune's checkpoint, probe, pack (fails fast on a
#                                             fresh machine, which has no checkpoint)
#   gpu_session.sh build
#   gpu_session.sh stepbench                  build, then tests/bench/bench_training_step with a Kineto
#                                             trace, summarised per kernel into $OUT/bench_step.txt
#   gpu_session.sh capture                    after a finetune on the same machine: build and run
#                                             tests/gpu/check_gpu_attention and the N = 32768 capture
#                                             benchmark (issue 7) in the trainer's build folder
#   gpu_session.sh capture-ab DIR             time the capture statistics of this tree against a copy with
#                                             DIR's files laid over it (same relative paths, e.g. DIR/engine/cuda/
#                                             sm90/CaptureHalfTile.cuh from an earlier commit): base, this, base,
#                                             this (capture-ab-build DIR and capture-ab-run do the two halves,
#                                             so that the build can overlap a finetune: app/train/device_call.sh)
#   gpu_session.sh probe                      smoke test + throughput table
#   gpu_session.sh train MINUTES [ARGS...]    fresh run, or resume if a checkpoint is there
#   gpu_session.sh pack                       checkpoint + logs -> $OUT (15 MiB parts)
#   gpu_session.sh again SECONDS STEPS [ARGS] build, resume and train for what is left of SECONDS,
#                                             the schedule ending at STEPS
#   gpu_session.sh first SECONDS LATER        build, probe, then a fresh run sized so that it ends
#                                             after LATER more seconds of training in later calls
set -uo pipefail
SRC=$(pwd)
BUILD=/tmp/attnscope-build
RUN=/tmp/attnscope-run
BIN=$BUILD/app/attnscope-train
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
DEVINC=$SRC/.devsrc/.devinc
[[ -d $DEVINC ]] || DEVINC=$SRC/.devinc
DEVRESUME=$SRC/.devsrc/.devresume
[[ -d $DEVRESUME ]] || DEVRESUME=$SRC/.devresume

# The commit the trainer records. The device copy's git reported the head it
# was first cloned from, not the tree it was given (stop 16), so a hash
# written on this side wins: git rev-parse --short=12 HEAD > .devsrc/.devcommit
source_commit() {
  cat "$SRC/.devsrc/.devcommit" 2>/dev/null || cat "$SRC/.devcommit" 2>/dev/null ||
    git -C "$SRC" rev-parse --short=12 HEAD 2>/dev/null || echo unknown
}

build() {
  local torch_prefix
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
  cmake -S "$SRC" -B $BUILD -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_GUI=OFF -DATTNSCOPE_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$DEVINC" -DTORCH_CUDA_ARCH_LIST=9.0 \
    -DATTNSCOPE_GIT_COMMIT="$(source_commit)" 2>&1 | tail -25 &&
    ninja -C $BUILD -k 0 attnscope-train 2>&1 | grep -v '^\[' | tail -60
  test -x $BIN
}

label() { nvidia-smi --query-gpu=name --format=csv,noheader | head -1; }

# Samples/s of the last logged interval of a probe run.
rate() { tail -1 "$1/loss.csv" | cut -d, -f4; }

probe() {
  # Correctness smoke: a few steps, a resume, the prompt probe; loss must be finite.
  # Under cuda-gdb so that a crash prints a backtrace.
  cuda-gdb -q -batch -ex run -ex bt --args $BIN --out /tmp/probe-smoke --heads 8 --steps 20 --batch 32 --log-every 5 \
    --checkpoint-every 10 --device-label "$(label)" --json 2>&1 | grep -v '^\[New Thread\|^\[Thread' | tail -40
  $BIN --out /tmp/probe-smoke --resume /tmp/probe-smoke --steps 30 --log-every 5 --no-measure --probe 4 --json
  echo "smoke resume rc $?"
  # Throughput (samples/s over steps 40-60) per configuration.
  for run in "heads8-b256-r1 --heads 8 --batch 256" "heads8-b256-r2 --heads 8 --batch 256 --repeat 2" \
             "heads4-b256-r1 --heads 4 --batch 256" "heads8-b128-r1 --heads 8 --batch 128"; do
    set -- $run
    local name=$1
    shift
    $BIN --out /tmp/probe-$name "$@" --steps 60 --warmup 10 --log-every 20 --checkpoint-every 1000 --no-measure \
      > /tmp/probe-$name.log 2>&1
    echo "throughput $name $(rate /tmp/probe-$name) samples/s (rc $?)"
    tail -2 /tmp/probe-$name.log
  done
  test -f /tmp/probe-heads8-b256-r1/loss.csv
}

again() {
  # again SECONDS STEPS [ARGS...]: resume and train until the deadline, the
  # schedule ending at STEPS.
  local deadline=$1 steps=$2 t0=$SECONDS
  shift 2
  build || return 1
  if [[ ! -f $RUN/checkpoint/state.json ]]; then
    mkdir -p $RUN && (cd "$DEVRESUME" && sha256sum -c parts.sha256 && cat ckpt.tar.part* | tar -x -C $RUN) || return 1
    cp "$DEVRESUME/loss.csv" $RUN/ 2>/dev/null
  fi
  local left=$((deadline - (SECONDS - t0) - 40))
  echo "plan: $left s of training, schedule ending at step $steps"
  $BIN --out $RUN --resume $RUN --minutes "$(python3 -c "print($left / 60)")" --steps "$steps" \
    --device-label "$(label)" --probe 50 --json "$@"
}

first() {
  local deadline=$1 later=$2 t0=$SECONDS
  build || return 1
  probe || return 1
  local r1 r2 repeat=1 sps
  r1=$(rate /tmp/probe-heads8-b256-r1)
  r2=$(rate /tmp/probe-heads8-b256-r2)
  sps=$r1
  # Data-bound when reusing each clip twice is much faster: then reuse.
  if python3 -c "import sys; sys.exit(0 if $r2 > 1.3 * $r1 else 1)"; then repeat=2; sps=$r2; fi
  local left=$((deadline - (SECONDS - t0) - 60))
  local steps
  steps=$(python3 -c "print(int($sps * 0.93 * ($left + $later) / 256))")
  echo "plan: repeat $repeat, $sps samples/s, $left s now + $later s later -> $steps steps"
  train "$(python3 -c "print($left / 60)")" --heads 8 --batch 256 --repeat $repeat --steps "$steps" --probe 50 --json
}

train() {
  local minutes=$1
  shift
  if [[ -f $RUN/checkpoint/state.json ]]; then
    echo "resuming from $RUN (warm machine)"
    $BIN --out $RUN --resume $RUN --minutes "$minutes" --device-label "$(label)" --no-measure "$@"
  elif [[ -f $DEVRESUME/parts.sha256 ]]; then
    echo "resuming from the carried checkpoint"
    mkdir -p $RUN && (cd "$DEVRESUME" && sha256sum -c parts.sha256 && cat ckpt.tar.part* | tar -x -C $RUN) || return 1
    $BIN --out $RUN --resume $RUN --minutes "$minutes" --device-label "$(label)" --no-measure "$@"
  else
    $BIN --out $RUN --minutes "$minutes" --device-label "$(label)" "$@"
  fi
}

finetune() {
  # finetune SECONDS [ARGS...]: the whole call. Starts from the shipped EMA
  # weights (no 51 MB checkpoint to carry: the shipped model is newer, step
  # 3445, than .devsrc/.devresume, step 3043); Adam's moments rebuild during
  # the warm-up (beta2 0.99: ~100 steps). Batch 128 instead of 256: the same
  # samples/s (444 vs 453 measured, TF32) buys twice the optimiser steps,
  # and the model is short of steps. New clip seed: clips not seen before.
  local deadline=$1 t0=$SECONDS later=${FINETUNE_LATER:-0}
  shift
  build 2>&1 | tail -5 || return 1
  test -x $BIN || return 1
  local left probe=50
  if ((later > 0)); then
    probe=0
    left=$((deadline - (SECONDS - t0) - 45))  # checkpoint, pack, margin
  else
    left=$((deadline - (SECONDS - t0) - 75))  # probe (50 scenes), pack, margin
  fi
  local steps
  steps=$(python3 -c "print(max(100, int(${FINETUNE_RATE:-730} * ($left + $later) / 128)))")  # schedule for FINETUNE_RATE samples/s (H100: 870-910 measured)
  echo "plan: $left s of training now, $later s later, batch 128, schedule of $steps steps"
  rm -rf $RUN
  $BIN --out $RUN --init-from "${FINETUNE_FROM:-$SRC/assets/default}" --minutes "$(python3 -c "print($left / 60)")" \
    --steps "$steps" --batch 128 --lr 5e-4 --warmup 150 --seed "${FINETUNE_SEED:-20261126}" --checkpoint-every 100000 \
    --device-label "$(label)" --no-measure --probe $probe --json "$@" 2> "$OUT/train.log"
  local rc=$?
  pack_model $rc
}

more() {
  # more SECONDS: continue the finetune of the previous call on this machine.
  local deadline=$1 t0=$SECONDS
  if [[ ! -f $RUN/checkpoint/state.json ]]; then
    echo "no finetune checkpoint in $RUN: this is a fresh machine"
    return 3
  fi
  local left=$((deadline - (SECONDS - t0) - 75))
  echo "plan: $left s more of training"
  $BIN --out $RUN --resume $RUN --minutes "$(python3 -c "print($left / 60)")" \
    --device-label "$(label)" --no-measure --probe 50 --json 2> "$OUT/train-more.log"
  local rc=$?
  pack_model $rc
}

pack_model() {
  tail -4 "$OUT"/train*.log
  cp $RUN/loss.csv $RUN/recipe.json $RUN/model/config.json "$OUT/" 2>/dev/null
  # The EMA weights (17.7 MB) in two parts: files over ~16 MB do not come back.
  split -b 15M -d $RUN/model/model.safetensors "$OUT/model.safetensors.part" &&
    (cd "$OUT" && sha256sum model.safetensors.part* > model.sha256) &&
    (cd $RUN/model && sha256sum model.safetensors >> "$OUT/model.sha256") && cat "$OUT/model.sha256"
  echo "rc $1"
  python3 - "$RUN/recipe.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r.get("probe", {})
print("| steps | clips | final loss | samples/s | probe colour | probe direction |")
print("|---|---|---|---|---|---|")
print(f"| {r['steps_done']} | {r['distinct_clips']} | {r['final_loss']:.4f} | {r['samples_per_second_last_session']:.0f} "
      f"| {p.get('colour_accuracy', 'n/a')} | {p.get('direction_accuracy', 'n/a')} |")
PY
  return $1
}

pack() {
  cp $RUN/loss.csv $RUN/recipe.json "$OUT/" 2>/dev/null
  (cd $RUN && tar -cf - checkpoint) | split -b 15M -d - "$OUT/ckpt.tar.part"
  (cd "$OUT" && sha256sum ckpt.tar.part* > parts.sha256)
  ls -la "$OUT"
}

stepbench() {
  build > "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; return 1; }
  ninja -C $BUILD bench_training_step >> "$OUT/build.log" 2>&1 || { tail -20 "$OUT/build.log"; return 1; }
  timeout 120 $BUILD/tests/bench/gpu/bench_training_step --trace /tmp/train-step-trace.json > "$OUT/bench_step.txt" 2>&1
  python3 "$SRC/tests/bench/gpu/summarise_trace.py" /tmp/train-step-trace.json >> "$OUT/bench_step.txt" 2>&1
  cat "$OUT/bench_step.txt"
}

capture() {
  ninja -C $BUILD check_gpu_attention bench_sparse_attention > "$OUT/capture_build.log" 2>&1 ||
    { grep -E "error" "$OUT/capture_build.log" | head -20; return 1; }
  timeout 150 $BUILD/tests/gpu/check_gpu_attention > "$OUT/check.log" 2>&1
  echo "check_gpu_attention rc $?: $(tail -1 "$OUT/check.log")"
  grep -E "^(FAIL|SKIP)" "$OUT/check.log" | head -20
  grep -E "capture \(Hopper" "$OUT/check.log" | head -6
  timeout 150 $BUILD/tests/bench/gpu/bench_sparse_attention --n 32768 --densities 0.1 --iters 10 \
    --json "$OUT/ours.json" > "$OUT/bench.log" 2>&1
  echo "bench rc $?"
  cat "$OUT/bench.log"
}

capture_ab_build() {
  # capture_ab_build DIR: a copy of this tree with DIR's files laid over it,
  # built (bench only) into /tmp/base-build, and this tree's bench.
  local overlay=$1 torch_prefix
  rm -rf /tmp/basesrc && mkdir /tmp/basesrc &&
    cp -a "$SRC/CMakeLists.txt" "$SRC/engine" "$SRC/app" "$SRC/tests" "$SRC/shaders" "$SRC/viz" "$SRC/ui" \
      "$SRC/assets" /tmp/basesrc/ && cp -a "$overlay/." /tmp/basesrc/ || return 1
  torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
  cmake -S /tmp/basesrc -B /tmp/base-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_GUI=OFF \
    -DATTNSCOPE_TESTS=OFF -DCMAKE_PREFIX_PATH="$torch_prefix;$DEVINC" -DTORCH_CUDA_ARCH_LIST=9.0 > "$OUT/base_build.log" 2>&1 &&
    nice ninja -C /tmp/base-build -j6 bench_sparse_attention >> "$OUT/base_build.log" 2>&1 &&
    nice ninja -C $BUILD -j6 bench_sparse_attention >> "$OUT/base_build.log" 2>&1 ||
    { grep -E "error|Error" "$OUT/base_build.log" | head; return 1; }
}

capture_ab_run() {
  # The A/B the noisy machines need: base, this, base, this in one call.
  local run b
  for run in base this base this; do
    b=$BUILD
    [[ $run == base ]] && b=/tmp/base-build
    timeout 60 $b/tests/bench/gpu/bench_sparse_attention --n 32768 --densities 0.1 --iters 10 2>&1 | grep "^capture {" |
      python3 -c "import json,sys; j=json.loads(sys.stdin.read()[8:]); print('$run', {k: v['stats_ms'] for k, v in j['kernels'].items()}, 'captured layer', j['captured_layer_ms'], 'ms, dense', j['dense_ms'], 'ms')"
  done
}

cmd=$1
shift
case $cmd in
  build) build ;;
  probe) probe ;;
  train) train "$@" ;;
  pack) pack ;;
  first) first "$@" ;;
  again) again "$@" ;;
  finetune) finetune "$@" ;;
  more) more "$@" ;;
  stepbench) stepbench ;;
  capture) capture ;;
  capture-ab) build > /dev/null && capture_ab_build "$@" && capture_ab_run ;;
  capture-ab-build) capture_ab_build "$@" ;;
  capture-ab-run) capture_ab_run ;;
  *) echo "unknown command $cmd"; exit 2 ;;
esac
