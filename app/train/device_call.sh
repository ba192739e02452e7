#!/usr/bin/env bash
# One self-contained device call (a machine is given back 30 s after each
# call, so nothing may rely on a warm one): build; in the background, the
# GPU check and capture bench builds and, with AB_DIR, the A/B copy
# (gpu_session.sh capture-ab-build); a finetune sized to what is left of
# CALL_SECONDS; then the check, the bench and the A/B. The logs come back as
# one tarball (a call returns at most 8 files; the model takes 6).
#   CALL_SECONDS=560 FINETUNE_SEED=S [FINETUNE_FROM=DIR] [FINETUNE_RATE=860] [AB_DIR=.devsrc/v6] \
#     bash app/train/device_call.sh [attnscope-train flags...]
set -u
T=${CALL_SECONDS:-560}
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT" /tmp/logs
session=app/train/gpu_session.sh
bash $session build > /tmp/logs/build.log 2>&1
tail -3 /tmp/logs/build.log
(
  nice ninja -C /tmp/attnscope-build -j6 check_gpu_attention bench_sparse_attention > /tmp/logs/capture_build.log 2>&1
  [[ -n ${AB_DIR:-} ]] && OUT=/tmp/logs bash $session capture-ab-build "$AB_DIR"
) &
left=$((T - SECONDS - ${CAPTURE_RESERVE:-75}))
echo "finetune deadline $left s"
bash $session finetune $left "$@" 2>&1 | tail -12
wait
OUT=/tmp/logs timeout $((T - SECONDS - 25)) bash $session capture 2>&1 | grep -v "^capture kernel" | tail -14
[[ -n ${AB_DIR:-} ]] && timeout $((T - SECONDS - 5)) bash $session capture-ab-run
mv "$OUT"/train*.log /tmp/logs/ 2>/dev/null
tar -czf "$OUT/logs.tgz" -C /tmp logs
ls "$OUT"
