#!/bin/sh
# Fail when a daemon run under ASan/UBSan left a report in its log.
dir=${1:?usage: scan-sanitizer-logs.sh DIR}
if ! ls "$dir"/*.log >/dev/null 2>&1; then
	echo "no daemon logs in $dir: nothing was checked"
	echo "0 passed, 1 failed"
	exit 1
fi
bad=$(grep -lE 'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:' "$dir"/*.log 2>/dev/null)
if [ -n "$bad" ]; then
	for f in $bad; do echo "sanitizer report in $f:"; grep -A20 -E 'ERROR: |runtime error:' "$f" | head -60; done
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
