#!/bin/bash
# scripts/second-model/compare.sh WORKDIR (after make.sh WORKDIR): second trained model: llama.cpp's imatrix quantizations vs slim4j's budgeted files at the same sizes, judged by
# llama-perplexity --kl-divergence against the F32 model on its held-out text (n_ctx 512, all chunks)
set -u
D="$(cd "${1:?usage: compare.sh WORKDIR}" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
L="$(scripts/llama-cpp.sh)"
M=$D/m2-f32.gguf
[ -f $M ] || ./slim4j convert -m $D/tl16m-wiki --type f32 -o $M 2>&1 | grep -v WARNING
$L/llama-perplexity -m $M -f $D/heldout.txt -c 512 -t 2 --kl-divergence-base $D/base.kld > $D/base.log 2>&1
grep 'Final estimate' $D/base.log
[ -f $D/m2-imatrix.gguf ] || $L/llama-imatrix -m $M -f $D/calib.txt -c 512 --chunks 64 -t 2 -o $D/m2-imatrix.gguf > $D/imatrix.log 2>&1
kld() { $L/llama-perplexity -m $1 -f $D/heldout.txt -c 512 -t 2 --kl-divergence-base $D/base.kld --kl-divergence > $1.kld.log 2>&1
  echo "$(basename $1) $(stat -c %s $1) $(grep 'Mean    KLD' $1.kld.log | tr -s ' ') | $(grep 'Same top p' $1.kld.log | tr -s ' ')" | tee -a $D/results.txt; }
for t in Q4_K_M IQ4_XS Q3_K_M Q2_K; do
  o=$D/ll-$t.gguf
  [ -f $o ] || $L/llama-quantize --imatrix $D/m2-imatrix.gguf $M $o $t 2 > $o.log 2>&1
  kld $o
  size=$(stat -c %s $o)
  for g in "" "--gptq"; do
    s=$D/s4-$t${g:+-gptq}.gguf
    [ -f $s ] || SLIM4J_JAVA_OPTS=-Xmx2g ./slim4j compress -m $M --target-size $size $g --imatrix-file $D/m2-imatrix.gguf --calib $D/calib.txt --samples 8 --seq-len 512 --eval-text $D/heldout.txt --eval-chunks 2 --ctx 512 -t 2 -o $s > $s.out 2>&1
    kld $s
  done
done
