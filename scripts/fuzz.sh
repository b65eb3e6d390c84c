#!/usr/bin/env bash
# Long fuzzing runs of the reader targets (src/test/java/org/slim4j/fuzz), one JVM per target, one after another.
#   scripts/fuzz.sh [DURATION] [TARGET...]     e.g. scripts/fuzz.sh 10m Gguf Safetensors   (default: 10m, all targets)
# Targets: Gguf Safetensors Onnx CompressedTensors ConfigJson Tokenizer Recipe. The run goes on past a finding
# (KEEP_GOING findings at most, default 100); logs, the generated corpus and reproducers (crash-*, timeout-*) go to
# target/fuzz/long. Every finding becomes a regression input: copy it to
# src/test/resources/org/slim4j/fuzz/<Target>FuzzTestInputs/<method>/, where the normal test run replays it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/scripts/jdk.sh"
cd "$ROOT"
DURATION="${1:-10m}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(Gguf Safetensors Onnx CompressedTensors ConfigJson Tokenizer Recipe)
WORK="$ROOT/target/fuzz/long"
mkdir -p "$WORK"
mvn -B -q -ntp test-compile dependency:build-classpath -Dmdep.outputFile="$WORK/classpath.txt" -Dmdep.includeScope=test >&2
# a snapshot of the classes: a build during the run (mvn test) rewrites target/classes under the fuzzing JVM
rm -rf "$WORK/classes" "$WORK/test-classes"
cp -r "$ROOT/target/classes" "$WORK/classes"
cp -r "$ROOT/target/test-classes" "$WORK/test-classes"
CP="$WORK/test-classes:$WORK/classes:$(cat "$WORK/classpath.txt")"
for t in "${TARGETS[@]}"; do
  log="$WORK/$t.log"
  echo "fuzzing $t for $DURATION (log: $log)" >&2
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="$DURATION" JAZZER_KEEP_GOING="${KEEP_GOING:-100}" \
    java -Xmx2g --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$CP" \
    org.slim4j.fuzz.FuzzMain "org.slim4j.fuzz.${t}FuzzTest" "$WORK" >"$log" 2>&1 || true
  done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)
  cov_line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' || true)
  findings=$(grep -cE '^== Java Exception|ERROR: libFuzzer: (timeout|out-of-memory)|== Java Assertion' "$log" || true)
  echo "$t: ${done_line:-no Done line} | ${cov_line:-no coverage line} | findings: $findings | $(tail -1 "$log")"
done
