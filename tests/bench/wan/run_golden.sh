#!/usr/bin/env bash
# Golden outputs of the reference Wan 2.1 implementation for test_wan_golden,
# in one device call. Run from the repository root with the ignored folder
# .devref carried along (.devref/Wan2.1 = the reference's wan/ package,
# .devref/diffusers = diffusers' src/diffusers; tests/data/wan-golden/README.md):
#
#   bash tests/bench/wan/run_golden.sh        # carry: .devref
#
# Writes $OUT/golden.safetensors (float32 on the CPU: the exact reference; copy
# it to tests/data/wan-golden/ and commit it), $OUT/golden-cuda.safetensors (the
# same on the GPU, TF32 off, as a cross-check) and $OUT/golden.log; the table
# at the end lists every golden tensor and how far the GPU run is from the CPU run.
set -uo pipefail
cd "$(dirname "$0")/../../.."
OUT=${OUT:-/tmp/wan-golden-out}
DEVREF=${DEVREF:-.devref}
mkdir -p "$OUT"
LOG="$OUT/golden.log"
: > "$LOG"

for need in "$DEVREF/Wan2.1/wan/modules/model.py" tests/data/wan-golden/inputs.safetensors \
            tests/data/wan-golden/model/diffusion_pytorch_model.safetensors; do
  [ -f "$need" ] || { echo "missing $need (carry .devref; commit the tiny checkpoint)" | tee -a "$LOG"; exit 1; }
done

python3 -c 'import torch, sys; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tee -a "$LOG"
run() {  # device output
  python3 tests/data/wan-golden/make_golden.py --wan "$DEVREF/Wan2.1" --devref "$DEVREF" \
      --dir tests/data/wan-golden --device "$1" --out "$2" >> "$LOG" 2>&1
}
run cpu "$OUT/golden.safetensors" || { echo "make_golden.py failed on cpu; see golden.log" ; tail -30 "$LOG"; exit 1; }
cuda_ok=0
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
  run cuda "$OUT/golden-cuda.safetensors" && cuda_ok=1 || echo "cuda cross-check failed (see golden.log)"
fi

python3 - "$OUT" "$cuda_ok" <<'PY' 2>&1 | tee -a "$LOG"
import os, sys
import torch
from safetensors.torch import load_file
out, cuda_ok = sys.argv[1], sys.argv[2] == "1"
cpu = load_file(os.path.join(out, "golden.safetensors"))
gpu = load_file(os.path.join(out, "golden-cuda.safetensors")) if cuda_ok else {}
print("%-16s %-22s %-12s %s" % ("tensor", "shape", "max|ref|", "cuda vs cpu (rel)"))
for k in sorted(cpu):
    v = cpu[k].double()
    rel = "-"
    if k in gpu:
        rel = "%.2e" % ((gpu[k].double() - v).abs().max() / v.abs().max().clamp_min(1e-30)).item()
    print("%-16s %-22s %-12.4g %s" % (k, "x".join(map(str, v.shape)), v.abs().max().item(), rel))
print("golden tensors:", len(cpu), "written to", os.path.join(out, "golden.safetensors"))
PY
