#!/bin/sh
# SPDX-License-Identifier: ISC
# bench-seed.sh — time `rentport seed --orders N` into a scratch data
# directory and print the seconds and the sizes of the core store, the
# vault's database and the access log (every put is logged).
#
#   sh scripts/bench-seed.sh ./build/rentport [N]     (N default 1000000)
#
# Exits 1 if seeding fails or takes longer than BENCH_SEED_MAX_S seconds
# (default 60, the target of issue 2).  The scratch directory is removed.
set -eu

bin=${1:?usage: bench-seed.sh RENTPORT_BINARY [ORDERS]}
orders=${2:-1000000}
max=${BENCH_SEED_MAX_S:-60}

[ -x "$bin" ] || { echo "bench-seed: $bin is not executable" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/rentport-bench-seed.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

start=$(date +%s.%N)
if ! "$bin" seed --orders "$orders" --seed 1 --data-dir="$dir" >"$dir/seed.out" 2>"$dir/seed.err"; then
	echo "bench-seed: rentport seed failed:" >&2
	cat "$dir/seed.err" >&2
	exit 1
fi
end=$(date +%s.%N)

size() { if [ -f "$1" ]; then stat -c %s "$1"; else echo 0; fi; }
core=$(size "$dir/core.db")
persons=$(size "$dir/vault/vault.db")
alog=$(size "$dir/alog/wal")
wal=$(( $(size "$dir/core.db-wal") + $(size "$dir/vault/vault.db-wal") ))

awk -v s="$start" -v e="$end" -v n="$orders" -v c="$core" -v p="$persons" -v a="$alog" \
    -v w="$wal" -v max="$max" 'BEGIN {
	t = e - s
	printf "seed --orders %d: %.1f s (%.0f orders/s)\n", n, t, n / t
	printf "  core.db     %8.1f MiB\n", c / 1048576
	printf "  vault.db    %8.1f MiB (sealed persons)\n", p / 1048576
	printf "  alog/wal    %8.1f MiB (access log of the puts)\n", a / 1048576
	if (w > 0)
		printf "  WAL files   %8.1f MiB\n", w / 1048576
	if (t > max) {
		printf "  SLOW: over the %d s target\n", max
		exit 1
	}
	printf "  ok: under the %d s target\n", max
}'
