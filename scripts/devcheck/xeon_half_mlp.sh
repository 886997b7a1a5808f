#!/bin/bash
# Second device run: half kernels' clones (AVX-512) against a baseline build, pooled matmul with
# the packing grid at 16 threads, the MLP step against PyTorch, bfloat16 state/parameters at 50M.
REPO=$PWD
cd /tmp && tar -xJf "$REPO/.build-device/pkg.tar.xz" || exit 1
export LD_LIBRARY_PATH=/tmp/pkg/lib
D=/tmp/pkg/descent
log() { echo "=== $*"; }
log "half kernels: clones vs baseline"; (cd "$REPO/.build-device/halfcheck" && timeout 150 ./harness 2>&1 | tail -15)
cd "$REPO"
log "matmul 16 threads"; for r in 1 2; do timeout 100 $D bench matmul --sizes 256 512 1024 2048 --repeats 5 | grep -E "^(size|256|512|1024|2048) "; done
log "mlp 2 threads"; timeout 120 $D bench mlp --compare-torch --threads 2 --steps 20
log "mlp 16 threads"; timeout 100 $D bench mlp --compare-torch --steps 20
B="--optimizers adam --sizes 50M --layouts single --implementations fused --torch-impls fused --compare-torch --eight-bit none --steps 5 --allocations 2 --plot ''"
for t in 16 2; do
  log "bf16 state $t threads"; eval timeout 120 $D bench optimizers $B --threads $t --state-dtype bfloat16 | sed -n '/Optimizer steps/,$p'
  log "bf16 params $t threads"; eval timeout 120 $D bench optimizers $B --threads $t --dtype bfloat16 | sed -n '/Optimizer steps/,$p'
done
log done
