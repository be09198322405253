#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `make test`: builds rentport twice — plainly (build/) and under
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) — and runs
# every test suite in both: unit tests (TAP), fuzz corpus replays and HTTP
# tests against a spawned server.  Ends with one line "N passed, M failed".
#   scripts/test.sh          both builds
#   scripts/test.sh asan     the sanitizer build only
set -u
cd "$(dirname "$0")/.."

variants="plain asan"
[ "${1:-}" = "asan" ] && variants="asan"

passed=0
failed=0
status=0

# Browser tests need playwright-core (npm, pinned by package-lock.json).
if [ ! -d tests/e2e/node_modules/playwright-core ] ||
    [ ! -d tests/e2e/node_modules/@apidevtools/swagger-parser ]; then
	(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error) || status=1
fi

run_variant() {
	name=$1 dir=$2
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" || return 1
	meson test -C "$dir" --print-errorlogs --num-processes 2
}

count() {
	dir=$1
	# meson's summary: "Ok: N", "Fail: N", "Timeout: N", "Unexpected Pass: N".
	log="$dir/meson-logs/testlog.txt"
	[ -f "$log" ] || return
	ok=$(grep -E '^Ok: +[0-9]+' "$log" | tail -1 | awk '{print $2}')
	fl=$(grep -E '^(Fail|Timeout|Unexpected Pass): +[0-9]+' "$log" | tail -3 | awk '{s+=$NF} END {print s+0}')
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fl:-0}))
}

for v in $variants; do
	case $v in
	plain)
		echo "== build and test (plain) =="
		run_variant plain build || status=1
		count build ;;
	asan)
		echo "== build and test (ASan + UBSan) =="
		run_variant asan build-asan -Db_sanitize=address,undefined \
		    -Db_lundef=false -Dbuildtype=debug || status=1
		count build-asan ;;
	esac
done

[ $status -ne 0 ] && [ $failed -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
exit $status
