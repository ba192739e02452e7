#!/usr/bin/env python3
"""GPU kernel time of a Kineto Chrome trace (bench_training_step --trace),
by kernel and by kind, as shares of the GPU's busy time.
Usage: summarise_trace.py TRACE.json [STEPS (default 3)]"""
import collections
import json
import sys

if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
    print(__doc__)
    sys.exit(0 if len(sys.argv) > 1 else 2)
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
events = json.load(open(sys.argv[1]))["traceEvents"]
kernels = [e for e in events if e.get("cat") == "kernel" and "dur" in e]
if not kernels:
    sys.exit("no GPU kernels in the trace")
by_name = collections.Counter()
count = collections.Counter()
for k in kernels:
    by_name[k["name"]] += k["dur"]
    count[k["name"]] += 1
busy = sum(by_name.values())
span = max(k["ts"] + k["dur"] for k in kernels) - min(k["ts"] for k in kernels)


def kind(name):
    # First match wins: copies before element-wise, since ATen's copy and cast
    # kernels run inside its elementwise templates.
    n = name.lower()
    for key, label in (("flash", "attention (flash)"), ("fmha", "attention (fmha)"), ("attention", "attention"),
                       ("gemm", "matrix products"), ("cutlass", "matrix products"), ("sm90_xmma", "matrix products"),
                       ("nvjet", "matrix products"), ("reduce", "reductions"), ("norm", "norms"),
                       ("softmax", "softmax"), ("copy", "copies / casts"), ("cat", "copies / casts"),
                       ("elementwise", "element-wise"), ("index", "indexing")):
        if key in n:
            return label
    return "other"


by_kind = collections.Counter()
for name, t in by_name.items():
    by_kind[kind(name)] += t
print(f"{len(kernels) // steps} kernels per step; GPU busy {busy / steps / 1000:.2f} ms per step "
      f"of a {span / steps / 1000:.2f} ms span ({100 * busy / span:.0f}% busy)")
print(f"{'kind':<24} {'ms/step':>9} {'share':>7}")
for k, t in by_kind.most_common():
    print(f"{k:<24} {t / steps / 1000:9.2f} {100 * t / busy:6.1f}%")
print(f"\n{'kernel (top 25)':<90} {'calls':>6} {'ms/step':>9} {'share':>7}")
for name, t in by_name.most_common(25):
    print(f"{name[:90]:<90} {count[name] // steps:6d} {t / steps / 1000:9.2f} {100 * t / busy:6.1f}%")
