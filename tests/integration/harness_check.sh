#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Self-tests of tests/harness/pcsc-run (glue around it, asserting outcomes).
#
#   harness_check.sh CASE PCSC_RUN WAIT_TOOL CARD_BIN WORKDIR
#
# CASE: env | status | card_dies | timeout | killed | terminated | parallel
# The inner-* cases are what the outer cases run inside pcsc-run.
set -u

case_=$1
self=$(readlink -f "$0")

fail() {
	echo "harness_check $case_: FAIL: $*" >&2
	exit 1
}

now_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# ----------------------------------------------------- inside pcsc-run
if [ "${case_#inner-}" != "$case_" ]; then
	wait_tool=$2
	case $case_ in
	inner-env)
		[ "${UKEY_HARNESS:-}" = 1 ] || fail "UKEY_HARNESS=${UKEY_HARNESS:-unset}"
		[ "${UKEY_VPCD_PORT:-}" = 35963 ] || fail "UKEY_VPCD_PORT=${UKEY_VPCD_PORT:-unset}"
		[ -d "${UKEY_TEST_TMP:-/nonexistent}" ] || fail "UKEY_TEST_TMP not a dir"
		[ "${TMPDIR:-}" = "$UKEY_TEST_TMP" ] || fail "TMPDIR=${TMPDIR:-unset}"
		echo x >"$UKEY_TEST_TMP/probe" || fail "UKEY_TEST_TMP not writable"
		[ -S /run/pcscd/pcscd.comm ] || fail "no private pcscd socket"
		n=$(ip -o link show | wc -l)
		[ "$n" -eq 1 ] || fail "expected only lo in the network namespace, got $n links"
		read -r -a pids <<<"${UKEY_CARD_PIDS:-}"
		[ ${#pids[@]} -eq 3 ] || fail "UKEY_CARD_PIDS='${UKEY_CARD_PIDS:-}'"
		for p in "${pids[@]}"; do
			tr '\0' ' ' <"/proc/$p/cmdline" | grep -q ukey-scripted-card ||
				fail "card pid $p is not a scripted card"
		done
		out=$("$wait_tool" --readers 4 --cards 3 --timeout-ms 2000 --print) ||
			fail "probe inside the run failed"
		[ "$(printf '%s\n' "$out" | wc -l)" -eq 4 ] || fail "want 4 readers: $out"
		atrs=(3B04756B6579 3B05756B657931 3B05756B657932)
		for k in 0 1 2; do
			var=UKEY_READER_$k
			line=$(printf '%s\tcard\t%s' "${!var:-unset}" "${atrs[k]}")
			printf '%s\n' "$out" | grep -qxF "$line" ||
				fail "reader '${!var:-unset}' lacks card $k: $out"
		done
		[ "$UKEY_READER_0" = "Virtual PCD 00 00" ] || fail "reader 0 name"
		[ "$UKEY_READER_1" = "Virtual PCD 00 01" ] || fail "reader 1 name"
		[ "$UKEY_READER_2" = "Virtual PCD 1 00 00" ] || fail "reader 2 name"
		exit 0
		;;
	inner-parallel)
		id=$3 other=$4 sync=$5 atr=$6 other_atr=$7
		touch "$sync/started-$id"
		# Both runs must be alive at the same time for the test to mean
		# anything: wait (bounded) for the other one.
		for ((i = 0; i < 600; i++)); do
			[ -e "$sync/started-$other" ] && break
			sleep 0.05
		done
		[ -e "$sync/started-$other" ] || fail "run $other never started"
		for ((i = 0; i < 10; i++)); do
			out=$("$wait_tool" --readers 2 --cards 1 --timeout-ms 2000 --print) ||
				fail "probe failed in run $id"
			printf '%s\n' "$out" | grep -qxF "$(printf 'Virtual PCD 00 00\tcard\t%s' "$atr")" ||
				fail "run $id does not see its own card: $out"
			printf '%s\n' "$out" | grep -q "$other_atr" &&
				fail "run $id sees the other run's card: $out"
			echo "$id" >"$UKEY_TEST_TMP/mine-$id"
			[ -e "$UKEY_TEST_TMP/mine-$other" ] && fail "shared UKEY_TEST_TMP"
			[ "$(cat /run/pcscd/pcscd.pid 2>/dev/null)" = "$(pgrep -x pcscd)" ] ||
				fail "pcscd.pid is not our own pcscd"
		done
		touch "$sync/done-$id"
		# stay alive until the other one is done checking too
		for ((i = 0; i < 600; i++)); do
			[ -e "$sync/done-$other" ] && break
			sleep 0.05
		done
		exit 0
		;;
	*) fail "unknown inner case" ;;
	esac
fi

# ------------------------------------------------------------- outside
run=$2 wait_tool=$3 card=$4 work=$5
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
W=(--wait-tool "$wait_tool")

# PIDs (host view) of the processes in PID namespace NS ("pid:[inode]").
ns_procs() {
	# one ls for all of /proc (we match link targets, not file names);
	# processes come and go, so errors are expected
	# shellcheck disable=SC2010
	ls -l /proc/[0-9]*/ns/pid 2>/dev/null | grep -F -- "$1" |
		sed -n 's#.*/proc/\([0-9]*\)/ns/pid.*#\1#p'
}

# No process may be left in NS after a run ends: poll, bounded.
ns_empty() {
	local left
	for ((i = 0; i < 100; i++)); do
		left=$(ns_procs "$1")
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "left in $1: $left" >&2
	return 1
}

# Start a run in the background that records its PID namespace and
# sleeps; prints "PID NS" once it is running.
start_sleeper() {
	"$run" "${W[@]}" --card "$card --port {PORT}" -- \
		sh -c "readlink /proc/self/ns/pid > '$work/ns.tmp' && mv '$work/ns.tmp' '$work/ns' && exec sleep 60" \
		2>"$work/err" &
	local pid=$!
	for ((i = 0; i < 400; i++)); do
		[ -s "$work/ns" ] && break
		sleep 0.05
	done
	[ -s "$work/ns" ] || { cat "$work/err" >&2; fail "sleeper run did not start"; }
	echo "$pid $(cat "$work/ns")"
}

case $case_ in
env)
	"$run" "${W[@]}" \
		--card "$card --port {PORT}" \
		--card "$card --port {PORT} --atr 3B05756B657931" \
		--card "$card --port {PORT} --atr 3B05756B657932" \
		-- "$self" inner-env "$wait_tool" || fail "env checks failed (rc $?)"
	;;
status)
	"$run" "${W[@]}" --card "$card --port {PORT}" -- sh -c 'exit 7'
	rc=$?
	[ "$rc" -eq 7 ] || fail "exit status 7 came back as $rc"
	"$run" "${W[@]}" -- true || fail "a run without cards failed"
	"$run" "${W[@]}" --bogus -- true 2>/dev/null
	rc=$?
	[ "$rc" -eq 2 ] || fail "usage error gave $rc, want 2"
	;;
card_dies)
	t0=$(now_ms)
	"$run" "${W[@]}" --card "$card --port {PORT}" --card "sh -c 'exit 3'" \
		-- true 2>"$work/err"
	rc=$?
	dt=$(($(now_ms) - t0))
	cat "$work/err" >&2
	[ "$rc" -eq 125 ] || fail "dead card gave rc $rc, want 125"
	grep -q "card 1 ('sh -c 'exit 3'') exited with status 3" "$work/err" ||
		fail "message does not name the dead card"
	[ "$dt" -lt 5000 ] || fail "took $dt ms to notice the dead card"
	;;
timeout)
	t0=$(now_ms)
	"$run" "${W[@]}" --timeout 1 -- sleep 30 2>"$work/err"
	rc=$?
	dt=$(($(now_ms) - t0))
	[ "$rc" -eq 124 ] || fail "timeout gave rc $rc, want 124"
	grep -q "timed out after 1 s" "$work/err" || fail "no timeout message"
	[ "$dt" -lt 10000 ] || fail "timeout took $dt ms"
	;;
killed | terminated)
	read -r pid ns < <(start_sleeper)
	[ -n "${ns:-}" ] || fail "no namespace recorded"
	# the run's namespace is populated (card, pcscd, sleep)
	[ -n "$(ns_procs "$ns")" ] || fail "namespace $ns unexpectedly empty"
	if [ "$case_" = killed ]; then sig=KILL; else sig=TERM; fi
	kill -s "$sig" "$pid" || fail "cannot signal run $pid"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && fail "run did not end 10 s after SIG$sig"
	wait "$pid" 2>/dev/null
	ns_empty "$ns" || fail "processes left after SIG$sig"
	;;
parallel)
	"$run" "${W[@]}" --card "$card --port {PORT} --atr 3B0441414141" -- \
		"$self" inner-parallel "$wait_tool" A B "$work" 3B0441414141 3B0442424242 &
	a=$!
	"$run" "${W[@]}" --card "$card --port {PORT} --atr 3B0442424242" -- \
		"$self" inner-parallel "$wait_tool" B A "$work" 3B0442424242 3B0441414141 &
	b=$!
	wait "$a" || fail "run A failed"
	wait "$b" || fail "run B failed"
	[ -e "$work/done-A" ] && [ -e "$work/done-B" ] || fail "a run skipped its checks"
	;;
*)
	fail "unknown case"
	;;
esac
rm -rf "$work"
echo "harness_check $case_: ok"
exit 0
