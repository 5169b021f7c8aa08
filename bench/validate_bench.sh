#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# bench/validate_bench.sh [BUILD_DIR] [REPETITIONS]: builds bench/validate_bench.c
# against the libraries of BUILD_DIR (default build; configure and build it
# first: make build) and runs it: sandbox start-up overhead, one typical
# reproduction (build with ASan+UBSan + 3 runs) at a time, and two at once.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
reps=${2:-5}
out="$build/bench"
mkdir -p "$out"
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Isrc -I"$build/src" bench/validate_bench.c \
    "$build/src/validate/libch_validate.a" "$build/src/core/libch_core.a" \
    $(pkg-config --libs libseccomp libsodium libcjson libarchive) -lpthread -lm \
    -o "$out/validate_bench"
exec "$out/validate_bench" "$PWD/tests/fixtures" "$reps"
