#!/usr/bin/env bash
# Runs every test step of `make test` and ends with one total line.
# Each step prints its own summary; this script adds them up.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
TESTDATA=${AMBER_TESTDATA:-../shared/testdata}
export AMBER BUILD AMBER_TESTDATA=$TESTDATA

passed=0 failed=0 skipped=0
step_failed=()

# add_counts LINE: adds "N passed, N failed[, N skipped]" from a summary line.
add_counts() {
    local p f s
    p=$(sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p' <<<"$1")
    f=$(sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p' <<<"$1")
    s=$(sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p' <<<"$1")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
}

echo "== unit tests (Check)"
out=$("$BUILD/tests/unit" 2>&1); rc=$?
printf '%s\n' "$out" | grep -v '^[^:]*:[0-9]*:P:' | tail -n 40
line=$(grep -E '^[0-9]+%: Checks: ' <<<"$out" | tail -n 1)
checks=$(sed -n 's/.*Checks: \([0-9]*\).*/\1/p' <<<"$line")
fails=$(sed -n 's/.*Failures: \([0-9]*\).*/\1/p' <<<"$line")
errs=$(sed -n 's/.*Errors: \([0-9]*\).*/\1/p' <<<"$line")
if [ -z "$checks" ]; then
    echo "unit tests: the runner printed no summary (exit $rc)"
    failed=$((failed + 1)); step_failed+=(unit)
else
    passed=$((passed + checks - fails - errs)); failed=$((failed + fails + errs))
    [ "$rc" = 0 ] || step_failed+=(unit)
fi

echo "== conformance: singlestep-80286 vectors"
vecdir="$TESTDATA/singlestep-80286/v1_real_mode"
if ls "$vecdir"/*.MOO.gz >/dev/null 2>&1; then
    out=$("$AMBER" vectors "$vecdir"/*.MOO.gz 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v ' 0 failed' | grep -v '^$' | tail -n 60
    last=$(tail -n 1 <<<"$out"); echo "vectors: $last"
    add_counts "$last"
    [ "$rc" = 0 ] || step_failed+=(vectors)
else
    echo "vectors: no test data in $vecdir"
    failed=$((failed + 1)); step_failed+=(vectors)
fi

echo "== system tests"
for t in tests/system/*.sh; do
    out=$(bash "$t" 2>&1); rc=$?
    printf '%s\n' "$out" | tail -n 30
    last=$(grep -E '[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
    if [ -z "$last" ]; then
        echo "$t: no summary (exit $rc)"; failed=$((failed + 1))
    else
        add_counts "$last"
    fi
    [ "$rc" = 0 ] || step_failed+=("$t")
done

if [ ${#step_failed[@]} -gt 0 ]; then
    echo "failed steps: ${step_failed[*]}"
    [ "$failed" -gt 0 ] || failed=1
fi
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
