#!/usr/bin/env bash
# Builds scripts/ggml-oracle.c against the ggml library of the llama.cpp packages scripts/llama-cpp.sh installs and
# runs it with their glibc loader: ggml's own quantizers and decoders, for checking slim4j's codecs and making
# fixtures. Usage: scripts/ggml-oracle.sh dequant TYPE N < blocks > floats (see ggml-oracle.c).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="${SLIM4J_LLAMA_CPP:-$HOME/.cache/slim4j/llama.cpp}"
R="$DEST/root"
[ -e "$R/usr/lib/x86_64-linux-gnu/libggml-base.so.0" ] || "$ROOT/scripts/llama-cpp.sh" >/dev/null
BIN="$ROOT/target/ggml-oracle"
if [ ! -x "$BIN" ] || [ "$ROOT/scripts/ggml-oracle.c" -nt "$BIN" ]; then
  mkdir -p "$ROOT/target"
  # the library needs a newer glibc than the system's: its symbols resolve at run time, under the packages' loader
  cc -O1 -Wl,--allow-shlib-undefined -o "$BIN" "$ROOT/scripts/ggml-oracle.c" "$R/usr/lib/x86_64-linux-gnu/libggml-base.so.0"
fi
L="$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu"
exec "$R/usr/lib64/ld-linux-x86-64.so.2" --library-path "$L" "$BIN" "$@"
