#!/usr/bin/env bash
# Fuzzes Descent's safetensors reader with libFuzzer for a bounded time.
#
#   scripts/fuzz-safetensors.sh [SECONDS]        (default 60)
#
# Builds the fuzz-only package in Fuzz/ with -sanitize=fuzzer,address (the flags stay out of
# Descent's own Package.swift), starts from the committed seed corpus Fuzz/Corpus, keeps the
# growing corpus in .build/fuzz-corpus, and writes any crashing input to
# .build/fuzz-artifacts/. One job: the machine's cores are shared. Exits non-zero when the
# fuzzer found a crash, a leak, a timeout or an out-of-memory input.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
root="$PWD"
(cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
work="$root/.build/fuzz-corpus"
artifacts="$root/.build/fuzz-artifacts"
mkdir -p "$work" "$artifacts"
cp -n Fuzz/Corpus/* "$work"/ 2>/dev/null || true
# -rss_limit_mb: the reader may use about twice an input's size; inputs are at most 64 KiB.
Fuzz/.build/release/FuzzSafetensors "$work" \
  -dict=Fuzz/safetensors.dict \
  -max_total_time="$seconds" \
  -max_len=65536 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts/"
