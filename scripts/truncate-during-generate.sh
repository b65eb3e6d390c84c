#!/usr/bin/env bash
# Issue 16's check for memory-mapped models: truncate a copy of the model while `slim4j generate` runs on it, RUNS
# times per model, and count the outcomes. Passing means every run ends in one line "slim4j: ..." (or finishes before
# the cut), never a JVM crash (exit 134, an hs_err file) or a stack trace.
#   scripts/truncate-during-generate.sh [RUNS] [MODEL...]   (default: 20 runs; the Q8_0, Q4_K_M and Q4_0 fixtures and the HF folder)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-20}"
shift || true
MODELS=("$@")
FIX="$ROOT/../shared/fixtures"
[ ${#MODELS[@]} -gt 0 ] || MODELS=("$FIX/tiny-llama-rand-Q8_0.gguf" "$FIX/tiny-llama-rand-Q4_K_M.gguf" "$FIX/tiny-llama-rand-Q4_0.gguf" "$FIX/tiny-llama-rand")
"$ROOT/slim4j" --version >/dev/null || exit 1 # builds the jar once, outside the timed runs
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failed=0
for model in "${MODELS[@]}"; do
  crash=0 trace=0 clean=0 finished=0
  for ((i = 1; i <= RUNS; i++)); do
    rm -rf "$WORK/m" "$WORK"/hs_err_*.log
    if [ -d "$model" ]; then
      cp -r "$model" "$WORK/m"; target="$WORK/m/model.safetensors"
    else
      mkdir "$WORK/m"; cp "$model" "$WORK/m/model.gguf"; target="$WORK/m/model.gguf"; fi
    arg="$WORK/m"; [ -d "$model" ] || arg="$target"
    (cd "$WORK" && exec "$ROOT/slim4j" generate -m "$arg" -p "Once upon a time" -n 400 -t 2 >/dev/null 2>"$WORK/err") &
    pid=$!
    sleep "$(awk -v i="$i" 'BEGIN { srand(i); printf "%.2f", 0.5 + rand() * 2.5 }')"
    truncate -s "$(( $(stat -c %s "$target") / 2 ))" "$target"
    wait "$pid"; code=$?
    if [ "$code" -eq 134 ] || ls "$WORK"/hs_err_*.log >/dev/null 2>&1 || grep -q "SIGBUS\|A fatal error" "$WORK/err"; then
      crash=$((crash + 1))
    elif grep -q $'^\tat ' "$WORK/err"; then
      trace=$((trace + 1))
    elif [ "$code" -eq 0 ]; then
      finished=$((finished + 1))
    elif [ "$(grep -vc '^WARNING' "$WORK/err")" -eq 1 ] && grep -q '^slim4j: ' "$WORK/err"; then
      clean=$((clean + 1))
    else
      trace=$((trace + 1))
    fi
  done
  echo "$(basename "$model"): $RUNS runs: $clean one-line errors, $finished finished before the cut, $trace other output, $crash JVM crashes"
  [ $((crash + trace)) -eq 0 ] || failed=1
done
exit $failed
