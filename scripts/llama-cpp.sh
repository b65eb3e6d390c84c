#!/usr/bin/env bash
# Installs llama.cpp's tools from Debian's own packages (sid): llama.cpp-tools (llama-bench, llama-cli, llama-quantize)
# and llama.cpp-tools-extra (llama-perplexity, llama-imatrix, llama-tokenize), unpacked
# under ~/.cache/slim4j/llama.cpp and run with sid's glibc loader, so they work on an older Debian without
# replacing its libc. Prints the path of a llama-bench wrapper, for `slim4j bench --vs-llama-bench PATH`; the other
# tools' wrappers lie beside it (e.g. "$(dirname "$(scripts/llama-cpp.sh)")/llama-perplexity").
# Needs root once, for the symlink where ggml looks for its CPU backends.
set -euo pipefail
DEST="${SLIM4J_LLAMA_CPP:-$HOME/.cache/slim4j/llama.cpp}"
R="$DEST/root"
if [ ! -x "$R/usr/bin/llama-bench" ] || [ ! -x "$R/usr/bin/llama-perplexity" ]; then
  mkdir -p "$DEST/lists/partial" "$DEST/debs"
  echo "deb [trusted=yes] http://deb.debian.org/debian sid main" > "$DEST/sources.list"
  o=(-oDir::Etc::SourceList="$DEST/sources.list" -oDir::Etc::SourceParts=/nonexistent -oDir::State::Lists="$DEST/lists" -oAPT::Architecture=amd64)
  apt-get "${o[@]}" update -qq >&2
  (cd "$DEST/debs" && apt-get "${o[@]}" download llama.cpp-tools llama.cpp-tools-extra libllama0 libggml0 libc6 libstdc++6 libgcc-s1 libgomp1 libssl3t64 >&2)
  for f in "$DEST"/debs/*.deb; do dpkg -x "$f" "$R"; done
fi
# ggml looks for its CPU backends (one per instruction set) at a fixed path.
if [ ! -e /usr/lib/x86_64-linux-gnu/ggml/backends0 ]; then
  mkdir -p /usr/lib/x86_64-linux-gnu/ggml
  ln -s "$R/usr/lib/x86_64-linux-gnu/ggml/backends0" /usr/lib/x86_64-linux-gnu/ggml/backends0
fi
for tool in llama-bench llama-cli llama-quantize llama-completion llama-perplexity llama-imatrix llama-tokenize; do
  cat > "$DEST/$tool" <<EOW
#!/bin/sh
R="$R"
L="\$R/usr/lib/x86_64-linux-gnu:\$R/lib/x86_64-linux-gnu:\$R/usr/lib/x86_64-linux-gnu/llama:\$R/usr/lib/x86_64-linux-gnu/ggml/backends0"
exec "\$R/usr/lib64/ld-linux-x86-64.so.2" --library-path "\$L" "\$R/usr/bin/$tool" "\$@"
EOW
  chmod +x "$DEST/$tool"
done
echo "$DEST/llama-bench"
