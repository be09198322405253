#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `make fuzz`: builds the libFuzzer targets with clang under ASan + UBSan
# (build-fuzz/) and runs each for FUZZ_SECONDS (default 60), starting from
# and adding to its corpus in tests/fuzz/<target>/corpus/.  New corpus
# entries are replayed by `make test` from then on: commit the ones worth
# keeping (a crash input always).
set -eu
cd "$(dirname "$0")/.."
SECS=${FUZZ_SECONDS:-60}
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-fuzz
for f in build-fuzz/tests/fuzz/fuzz_*; do
	t=${f##*/fuzz_}
	echo "== fuzz $t for ${SECS}s =="
	mkdir -p "build-fuzz/crashes/$t"
	"$f" -max_total_time="$SECS" -max_len=8192 \
	    -artifact_prefix="build-fuzz/crashes/$t/" "tests/fuzz/$t/corpus"
done
