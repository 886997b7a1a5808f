#!/usr/bin/env bash
# Checks, on the CPU it runs on, that the target_clones of the half-precision conversions and
# the half-precision Adam kernels (the avx512f clone on AVX-512 machines, x86-64-v3 on AVX2
# ones) compute the same bits as a baseline build without clones: every float32 bit pattern
# for float32 -> bfloat16/float16, every half for the widening, three Adam steps over 1M
# elements for each half kernel. Needs clang; about a minute on one core.
#   scripts/devcheck/half_kernels.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
k="$root/Sources/CDescentKernels"
out="$(mktemp -d)"
sources=("$k/HalfConversion.c" "$k/Adam.c" "$k/SGD.c" "$k/KernelISA.c")
clang -O2 -shared -fPIC -I"$k/include" -Wno-psabi "${sources[@]}" -o "$out/libclones.so" -lm
clang -O2 -shared -fPIC -I"$k/include" -Wno-psabi '-DDESCENT_DISPATCH=' "${sources[@]}" -o "$out/libbase.so" -lm
clang -O2 "$root/scripts/devcheck/half_kernels_harness.c" -o "$out/harness" -ldl
cd "$out" && ./harness
