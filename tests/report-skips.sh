#!/bin/sh
# Print the tests that returned through `skip!` (tests/src/lib.rs) and how many: libtest counted
# them among the passed ones above, and a skip must be seen as a skip.
# Usage: report-skips.sh SUITE LOG
suite=$1 log=$2
if [ ! -s "$log" ]; then
	echo "$suite: no test skipped"
	exit 0
fi
n=$(wc -l <"$log")
echo "$suite: $n test(s) SKIPPED (libtest's counts above include them as passed):"
sed 's/^/  /' "$log"
