#!/bin/sh
# SPDX-License-Identifier: ISC
# test_log_cli.sh — `rentport log ...` through the real binary: exit codes
# (0 ok, 1 verification failure, 2 bad usage), the first failure naming
# the index and the file, proofs, show and range.  TAP output.
#   usage: test_log_cli.sh RENTPORT MAKE_LOG
set -u
RP=$1
MK=$2
D=$(mktemp -d /tmp/rp-logcli-XXXXXX)
trap 'rm -rf "$D"' EXIT
n=0
fails=0
check() {	# check "what" command...
	what=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		fails=$((fails + 1))
	fi
}
log() { "$RP" log "$@" --data-dir="$D"; }

"$MK" "$D" 3000 --make-only >/dev/null 2>&1
check "make a 3000-entry log with the store" test -s "$D/alog/wal"

out=$(log verify 2>&1); rc=$?
check "verify exits 0" test $rc -eq 0
check "verify says OK, 3000 entries" \
    sh -c 'case "$1" in *"OK, 3000 entries"*) exit 0;; esac; exit 1' - "$out"

log verify --no-such-flag >/dev/null 2>&1; rc=$?
check "unknown flag exits 2" test $rc -eq 2
log prove >/dev/null 2>&1; rc=$?
check "prove without INDEX exits 2" test $rc -eq 2
log frobnicate >/dev/null 2>&1; rc=$?
check "unknown subcommand exits 2" test $rc -eq 2

out=$(log prove 1234); rc=$?
check "prove 1234 exits 0" test $rc -eq 0
check "prove prints a header and hashes" \
    sh -c 'echo "$1" | grep -q "^index 1234$" && test $(echo "$1" | wc -l) -gt 6' - "$out"
log consistency 100 2999 >/dev/null; rc=$?
check "consistency 100 2999 exits 0" test $rc -eq 0

cnt=$(log show --role counter | wc -l)
check "show --role counter: 600 of 3000 (roles cycle over 5)" test "$cnt" -eq 600
first=$(log show --limit 1 | cut -d' ' -f2)
out=$(log range "$first" 99999999999999 --limit 2)
check "range from the first time covers every entry" \
    sh -c 'echo "$1" | head -1 | grep -q "^entries \[0, 3000): 3000$"' - "$out"

# Flip one byte inside entry 1000's record in bundle 3 (entries 768..1023).
b="$D/alog/tile/entries/003"
off=$(python3 - "$b" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
o = 0
for k in range(1000 - 768):
    o += 2 + (d[o] << 8 | d[o + 1])
print(o + 5)
PY
)
cp "$b" "$D/saved"
printf '\377' | dd of="$b" bs=1 seek="$off" conv=notrunc 2>/dev/null
err=$(log verify 2>&1 >/dev/null); rc=$?
check "flipped bundle byte: verify exits 1" test $rc -eq 1
check "and names entry 1000 and the bundle" \
    sh -c 'echo "$1" | grep -q "entry 1000 (tile/entries/003)"' - "$err"
cp "$D/saved" "$b"
log verify >/dev/null 2>&1; rc=$?
check "restored: verify exits 0" test $rc -eq 0

echo "1..$n"
test $fails -eq 0
