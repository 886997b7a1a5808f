#!/bin/bash
# Device-machine measurements (16-core Xeon): core selection on a CPU Debian's OpenBLAS may not know,
# thread scaling, 8-bit Adam at 50M. Output under $OUT.
REPO=$PWD
cd /tmp && tar -xJf "$REPO/.build-device/pkg.tar.xz" || exit 1
export LD_LIBRARY_PATH=/tmp/pkg/lib
D=/tmp/pkg/descent
cd "$REPO"
log() { echo "=== $*"; }
{ lscpu; nproc; cat /proc/meminfo | head -3; python3 -c "import torch; print(torch.__version__, torch.get_num_threads())"; } > $OUT/machine.txt 2>&1
head -30 $OUT/machine.txt
log info; timeout 120 $D info
log "matmul auto"; timeout 120 $D bench matmul --sizes 256 1024 2048 --repeats 5
log "matmul keep (OpenBLAS's own choice)"; DESCENT_BLAS_CORE=keep timeout 90 $D bench matmul --sizes 2048 --repeats 5
for c in SkylakeX Cooperlake Haswell; do log "matmul OPENBLAS_CORETYPE=$c"; OPENBLAS_CORETYPE=$c timeout 90 $D bench matmul --sizes 2048 --repeats 5; done
log "threads 2"; timeout 200 $D bench threads --threads 2 --rounds 9
log "8bit 50M 16 threads"; timeout 150 $D bench optimizers --optimizers adam --sizes 50M --layouts single --implementations fused --eight-bit adam8bit --compare-torch --torch-impls fused --steps 5 --allocations 2 --plot ''
log "8bit 50M 2 threads"; timeout 150 $D bench optimizers --optimizers adam --sizes 50M --layouts single --implementations fused --eight-bit adam8bit --compare-torch --torch-impls fused --steps 5 --allocations 2 --threads 2 --plot ''
log done
