#!/usr/bin/env bash
# A second trained decoder for checking decoder compression on a model nobody tuned the methods for (issue 13):
# tiny-llama-rand's shape trained on WikiText-2 text (the first 90% of ../shared's test file; the last 10% held out).
# Needs Debian's python3-torch and libopenblas0-pthread (apt-get install python3-torch libopenblas0-pthread) and
# llama.cpp's llama-tokenize (scripts/llama-cpp.sh). Usage: scripts/second-model/make.sh WORKDIR [STEPS, default 100]
# (about 50 minutes of two busy cores for 100 steps); then compare.sh WORKDIR compares llama.cpp's and slim4j's files.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export SHARED="$(cd "$ROOT/../shared" && pwd)"
W="$1"; mkdir -p "$W"; cd "$W"
/usr/bin/python3 - <<'PY'
import os
S = os.environ['SHARED']
lines = open(S + '/data/wikitext-2-raw-test.txt', encoding='utf-8').read().split('\n')
cut = int(len(lines) * 0.9)
open('train.txt', 'w').write('\n'.join(lines[:cut]))
open('heldout.txt', 'w').write('\n'.join(lines[cut:]))
paras = [l for l in lines[:cut] if l.strip() and not l.strip().startswith('=')]
open('calib.txt', 'w').write('\n'.join(paras[::10]))
PY
"$("$ROOT/scripts/llama-cpp.sh")/llama-tokenize" -m "$SHARED/fixtures/tiny-llama-rand-Q8_0.gguf" -f train.txt --ids --log-disable --no-bos > train.ids
OPENBLAS_NUM_THREADS=2 /usr/bin/python3 -u "$HERE/train.py" "${2:-100}"
