#!/bin/sh
# SPDX-License-Identifier: ISC
#
# `make test`: builds rentport twice — plainly (build/) and under
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) — and runs
# every test suite in both: unit tests (TAP), fuzz corpus replays and HTTP
# tests against a spawned server.  Each build's tests then end with a
# scan for card numbers: `rentport scan-pan` over everything the tests left
# (see scan_pan below), and a check that every access-log entry they made
# names a principal the vault verified (tests/alog/check_principals.py).
# Ends with one line "N passed, M failed".
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

# Every test's temporary files go to BUILD/tests/tmp (TMPDIR: Python's
# tempfile, node's os.tmpdir(), mktemp, the unit tests' scratch dirs) and
# the data directories of the servers the tests start are kept there
# (RENTPORT_KEEP), so that scan_pan sees them all after the suite.
run_variant() {
	name=$1 dir=$2
	shift 2
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" || return 1
	tmp=$(cd "$dir" && pwd)/tests/tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	TMPDIR=$tmp RENTPORT_KEEP=1 meson test -C "$dir" --print-errorlogs --num-processes 2
}

# The proof that no card number stays behind: `rentport scan-pan` over
# every data directory the tests left in BUILD/tests/tmp — core store,
# vault store, access log, logs, mail outbox and .eml files, and paysim's
# DATA/paysim (the processor's: it keeps cards encrypted, so it must be
# clean too).  Not scanned: the browser's own profile (playwright*: the
# cardholder's side; playwright removes it when the browser closes).  Core
# dumps of the rentport processes are taken and scanned by the payment
# end-to-end test itself (tests/e2e/payment.test.js), without paysim's.
# One more test: fails when a card number is found or nothing was scanned.
scan_pan() {
	dir=$1
	tmp=$(cd "$dir" && pwd)/tests/tmp
	echo "== scan-pan: card numbers in what the tests left ($dir/tests/tmp) =="
	set --
	for p in "$tmp"/* "$tmp"/.[!.]*; do
		[ -e "$p" ] || continue
		case ${p##*/} in
		playwright*) echo "  not scanned: ${p##*/} (the browser's profile)"; continue ;;
		esac
		set -- "$@" "$p"
	done
	# the private PostgreSQL's files: the core store of the pg suite,
	# read while the server is stopped (a running one recycles its WAL
	# files under the scanner: "No such file", exit 2); started again after
	pg_paused=false
	if [ -n "${pgdir:-}" ] && [ -d "$pgdir/data" ]; then
		sh scripts/pgtmp.sh stop "$pgdir"
		pg_paused=true
		set -- "$@" "$pgdir/data"
	fi
	kinds=$(for p in "$@"; do b=${p##*/}; echo "${b%-*}"; done | sort | uniq -c |
	    awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
	echo "  $# entries: $kinds"
	if [ $# -eq 0 ] || ! ls -d "$tmp"/rentport-* >/dev/null 2>&1; then
		echo "  !! FAILED: no test data directory to scan (is TMPDIR honoured?)"
		return 1
	fi
	"$dir/rentport" scan-pan "$@" >"$tmp.scan" 2>&1
	rc=$?
	if $pg_paused && ! sh scripts/pgtmp.sh start "$pgdir" >/dev/null; then
		echo "  !! FAILED: the private PostgreSQL did not start again"
		rc=2
	fi
	cat "$tmp.scan"
	rm -f "$tmp.scan"
	case $rc in
	0) echo "  ok: no card number in the tests' data directories" ;;
	1) echo "  !! FAILED: card numbers found above (file: offset, masked)" ;;
	*) echo "  !! FAILED: scan-pan exit status $rc" ;;
	esac
	return $rc
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

scan_count() {
	if scan_pan "$1"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		status=1
	fi
	# and that every access-log entry the suite made names a principal
	# the vault verified (issue 11), never one a worker claimed
	echo "== principals: who every access-log entry names ($1/tests/tmp) =="
	if python3 tests/alog/check_principals.py "$1/rentport" \
	    "$(cd "$1" && pwd)/tests/tmp"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		status=1
	fi
}

# The store-backed unit suites run on SQLite and on a private PostgreSQL
# (scripts/pgtmp.sh: loopback, a free port, stopped at the end; suite pg).
pgdir=$(mktemp -d /tmp/rentport-pg.XXXXXX)
chmod 755 "$pgdir"
trap 'sh scripts/pgtmp.sh stop "$pgdir"; rm -rf "$pgdir"' EXIT
if RENTPORT_TEST_PG=$(sh scripts/pgtmp.sh start "$pgdir"); then
	export RENTPORT_TEST_PG
	echo "== a private PostgreSQL for the store's suites: $RENTPORT_TEST_PG =="
else
	echo "  !! FAILED: cannot start a private PostgreSQL (scripts/pgtmp.sh)"
	status=1
	failed=$((failed + 1))
fi

# Did the pg suite run — every test of it passed, none skipped — in build
# dir $1?  (meson's testlog.json: one result per line.)
pg_count() {
	if [ -n "${RENTPORT_TEST_PG:-}" ] && python3 - "$1/meson-logs/testlog.json" <<'PY'
import json, sys
res = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
pg = [r for r in res if r["name"].startswith("rentport:pg / ")]
ok = [r for r in pg if r["result"] == "OK"]
print("== the store-backed suites ran on SQLite and on PostgreSQL: %d of %d "
      "suites passed on PostgreSQL (%s) ==" % (len(ok), len(pg),
      ", ".join(r["name"].split(" / ")[1] for r in ok)))
sys.exit(0 if pg and len(ok) == len(pg) else 1)
PY
	then
		:
	else
		echo "  !! FAILED: the store's suites did not all run on PostgreSQL"
		failed=$((failed + 1))
		status=1
	fi
}

for v in $variants; do
	case $v in
	plain)
		echo "== build and test (plain) =="
		run_variant plain build || status=1
		count build
		pg_count build
		[ -x build/rentport ] && scan_count build ;;
	asan)
		echo "== build and test (ASan + UBSan) =="
		run_variant asan build-asan -Db_sanitize=address,undefined \
		    -Db_lundef=false -Dbuildtype=debug || status=1
		count build-asan
		pg_count build-asan
		[ -x build-asan/rentport ] && scan_count build-asan ;;
	esac
done

# Which tests failed, with the end of what each printed: the last lines of
# a run are what a CI log shows first.
failures() {
	dir=$1
	[ -f "$dir/meson-logs/testlog.json" ] || return 0
	python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
for l in open(d + "/meson-logs/testlog.json"):
    if not l.strip():
        continue
    r = json.loads(l)
    if r["result"] in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    print("== failed in %s: %s (%s, exit %s, %.1f s) ==" % (
        d, r["name"], r["result"], r.get("returncode"), r["duration"]))
    out = ((r.get("stdout") or "") + (r.get("stderr") or "")).splitlines()
    for line in out[-25:]:
        print("  | " + line[:300])
PY
}
for v in $variants; do
	case $v in
	plain) failures build ;;
	asan) failures build-asan ;;
	esac
done

[ $status -ne 0 ] && [ $failed -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
exit $status
