#!/bin/sh
# Attention-structure report of the shipped default model (issue 3) and the
# strip of generated clips next to it in the README. Captures every step of
# one generation, runs `analyze --heads --sinks`, and prints
#  - per layer: how many heads lean spatial (same frame) and how many lean
#    temporal (same position, other frames), each share taken relative to what
#    uniform attention would give (1/F and (F-1)/N), the mean shares, and the
#    analyzer's own head types at its default thresholds;
#  - the top video sink tokens and the text sinks (words).
# Usage: tests/bench/default_model_report.sh [build dir] [out dir] [model dir] [tables]
#   (a fourth argument "tables" only reprints the tables from an earlier run's out dir)
set -eu
build=${1:-build}
out=${2:-/tmp/attnscope-default-report}
model=${3:-assets/default}
only=${4:-}
cli="$build/app/attnscope-cli"
prompt="a red circle moves left on a dark background"
mkdir -p "$out"
if [ "$only" != tables ]; then
"$cli" capture --model "$model" --prompt "$prompt" --seed 3 --capture-steps all --threads 2 --no-history \
  --export-atlas "$out/atlas.safetensors" --out "$out/dense.mp4" > "$out/capture.txt"
"$cli" analyze --atlas "$out/atlas.safetensors" --heads --sinks --csv "$out/csv" > "$out/analyze.txt"
"$cli" evaluate --model "$model" --samples 4 --strip "$out/strip.png" --strip-rows 4 --strip-truth --threads 2 \
  > "$out/evaluate.txt"
fi

echo "model $model, prompt \"$prompt\", seed 3, all steps captured (mean over steps)"
echo
echo "| layer | spatial-leaning heads | temporal-leaning heads | mean same-frame share | mean same-position share | largest same-position share | analyzer types (default thresholds) |"
echo "|---|---|---|---|---|---|---|"
# Uniform attention over the 16x8x8 grid: same frame 1/16, same position in another frame 15/1024.
awk -F, -v us=0.0625 -v ut=0.0146484375 'NR > 1 {
    n[$1]++; s[$1] += $4; t[$1] += $5
    if ($5 > mt[$1]) mt[$1] = $5
    if ($4 / us >= $5 / ut) sp[$1]++; else tp[$1]++
    types[$1] = types[$1] (types[$1] == "" ? "" : " ") $3
  }
  END {
    for (l = 0; l in n; l++) {
      split(types[l], a, " "); delete c
      for (i in a) c[a[i]]++
      summary = ""
      for (k in c) summary = summary (summary == "" ? "" : ", ") c[k] " " k
      printf "| %d | %d/%d | %d/%d | %.3f | %.3f | %.3f | %s |\n", l, sp[l], n[l], tp[l], n[l], s[l] / n[l], t[l] / n[l], mt[l], summary
    }
  }' "$out/csv/heads.csv"
echo "(uniform attention: same-frame share 0.0625, same-position share 0.0146)"
echo
echo "top video sink tokens (token = f*64 + y*8 + x; listings = (step, layer, head) where it is a sink):"
echo
echo "| token | frame | y | x | listings | first layer | longest layer run | mean mass | kind |"
echo "|---|---|---|---|---|---|---|---|---|"
sort -t, -k5,5nr "$out/csv/sink_tokens.csv" | grep -v '^token' | head -5 |
  awk -F, '{ printf "| %s | %s | %s | %s | %s | %s | %s | %.4f | %s |\n", $1, $2, $3, $4, $5, $6, $7, $9, ($10 == 1 ? "primary" : "secondary") }'
echo
printf "text sinks (word: (step, layer, head) listings, both \"a\" of the prompt together): "
awk -F, '$4 == "text" { n[$9]++ } END { for (w in n) printf "%s: %d; ", w, n[w]; print "" }' "$out/csv/sinks.csv"
echo
echo "strip: $out/strip.png (generated clips above their ground truth); $(grep -E '^generated|^ground' "$out/evaluate.txt" | tr -s ' ' | tr '\n' ';')"
