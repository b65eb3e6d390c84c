#!/usr/bin/env bash
# Builds slim4j's native microkernels (src/main/c) into OUT/libslim4j.so with the system C compiler; Maven runs it
# (pom.xml, process-classes). Without a compiler, or off Linux x86-64, it says so and exits 0: slim4j then runs on its
# Java kernels, which are the fallback and the oracle anyway. Usage: build-native.sh SRC_DIR OUT_DIR
set -u
SRC="$1"
OUT="$2"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "slim4j: the native kernels are written for Linux x86-64 only; the Java kernels will run" >&2; exit 0 ;;
esac
CC_FOUND=""
for c in "${CC:-}" cc gcc clang; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then CC_FOUND="$c"; break; fi
done
if [ -z "$CC_FOUND" ]; then
  echo "slim4j: no C compiler (cc, gcc or clang) found; building without the native kernels (the Java kernels will run)" >&2
  exit 0
fi
LIB="$OUT/libslim4j.so"
newest=$(ls -t "$SRC"/*.c "$0" 2>/dev/null | head -n1)
if [ -f "$LIB" ] && [ "$LIB" -nt "$newest" ]; then exit 0; fi
mkdir -p "$OUT"
if "$CC_FOUND" -O3 -std=c11 -Wall -shared -fPIC -o "$LIB.tmp" "$SRC"/*.c -lm; then
  mv -f "$LIB.tmp" "$LIB"
else
  rm -f "$LIB.tmp"
  echo "slim4j: $CC_FOUND could not build the native kernels (see above); the Java kernels will run" >&2
fi
exit 0
