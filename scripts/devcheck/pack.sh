#!/usr/bin/env bash
# Packs a release `descent` (static Swift runtime) with the system's OpenBLAS/LAPACKE libraries into
# .build-device/pkg.tar.xz, so the device scripts below run it on a machine without Swift or OpenBLAS
# (the Emerald Rapids Xeon of the device machine), then copies the half-kernel harness there too.
#   scripts/devcheck/pack.sh && (device) bash scripts/devcheck/xeon_core_threads.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product descent --static-swift-stdlib --build-path .build-static
work=$(mktemp -d)
mkdir -p "$work/pkg/lib" .build-device
cp .build-static/release/descent "$work/pkg/" && strip "$work/pkg/descent"
for l in libopenblas.so.0 liblapacke.so.3 libgfortran.so.5 libblas.so.3 liblapack.so.3 libtmglib.so.3 libquadmath.so.0; do
  cp -L "/lib/x86_64-linux-gnu/$l" "$work/pkg/lib/"
done
(cd "$work" && tar -cf - pkg) | xz -T2 -6 > .build-device/pkg.tar.xz
k=Sources/CDescentKernels
mkdir -p .build-device/halfcheck
sources="$k/HalfConversion.c $k/Adam.c $k/SGD.c $k/KernelISA.c"
clang -O2 -shared -fPIC -I$k/include -Wno-psabi $sources -o .build-device/halfcheck/libclones.so -lm
clang -O2 -shared -fPIC -I$k/include -Wno-psabi '-DDESCENT_DISPATCH=' $sources -o .build-device/halfcheck/libbase.so -lm
clang -O2 scripts/devcheck/half_kernels_harness.c -o .build-device/halfcheck/harness -ldl
