#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-faults.sh samekey|rekey — glue of the install fault matrix (issue 7,
# acceptance item 3; renew_faults.c does the work): trusts the test root,
# starts the test CA (a request waits 2 s before it is approved, so every
# apply gets "waiting" and a later install gets the certificate), runs
# renew_faults.
#
# The points are split over RENEW_FAULTS_SHARDS (default 2) shards for wall
# time (each point waits for pcscd's 0.4 s presence polls): shard 1 runs
# here, shards 2..N each in a nested pcsc-run of their own (own pcscd, card,
# CA, scratch dir $W.shardK), in parallel. The totals are summed at the end.
# Environment: RENEW, TESTCA, MODULE, SECRETS, W, VTOKEN, FAULTS (the
# renew_faults binary), PCSC_RUN and UKEY_PCSC_WAIT (for the nested shards);
# under pcsc-run with one renew-card card (RENEW_FAULTS_CARD and
# RENEW_FAULTS_CARD_ARGS: another card script and its arguments after PORT,
# e.g. renew-card-espk ftcos ftcos-pk01c; VT_OS / VT_ATR / VT_CHECK for
# renew_faults; RENEW_FAULTS_SHARD_TIMEOUT: a nested shard's limit, 150 s).
set -eu
MODE=$1
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$D/renew-lib.sh"
trap rl_stop_ca EXIT
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
shards=${RENEW_FAULTS_SHARDS:-2}
shard=${RENEW_FAULTS_SHARD:-}
pids=
if [ -z "$shard" ]; then
	shard=1/$shards
	i=2
	while [ "$i" -le "$shards" ]; do
		d=$W.shard$i
		RENEW_FAULTS_SHARD=$i/$shards W=$d "$PCSC_RUN" --wait-tool "$UKEY_PCSC_WAIT" \
			--timeout "${RENEW_FAULTS_SHARD_TIMEOUT:-150}" \
			--card "$D/${RENEW_FAULTS_CARD:-renew-card} $VTOKEN $d $SECRETS {PORT} ${RENEW_FAULTS_CARD_ARGS:-}" \
			-- sh "$0" "$MODE" >"$d.log" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
fi
rl_env
rl_start_ca --wait-seconds 2 --check-after 1 --txn-timeout 900
set +e
"$FAULTS" "$MODE" "$shard" >"$W/faults.out" 2>&1
rc=$?
set -e
cat "$W/faults.out"
[ $rc -eq 0 ] || { tail -n 5 "$W/ca.log" >&2; echo "FAIL: renew_faults $MODE $shard (exit $rc); files in $W" >&2; }
[ -n "${RENEW_FAULTS_SHARD:-}" ] && exit $rc
i=2
for p in $pids; do
	set +e
	wait "$p"
	r=$?
	set -e
	echo "=== shard $i/$shards (own pcsc-run, files in $W.shard$i)"
	cat "$W.shard$i.log"
	[ $r -eq 0 ] || { echo "FAIL: shard $i/$shards exited $r" >&2; rc=1; }
	i=$((i + 1))
done
{
	cat "$W/faults.out"
	i=2
	while [ "$i" -le "$shards" ]; do
		cat "$W.shard$i.log"
		i=$((i + 1))
	done
} |
	sed -n 's/^shard [0-9]*\/[0-9]*: pull points tried: \([0-9]*\), kill points tried: \([0-9]*\) .*; \([0-9]*\) hit the known bug.*; \([0-9]*\) failure(s).*/\1 \2 \3 \4/p' |
	awk -v mode="$MODE" -v n="$shards" '{ p += $1; k += $2; b += $3; f += $4; s++ }
		END { printf "%s, all %d shard(s): pull points tried: %d, kill points tried: %d, " \
		      "%d on the known bug, %d failure(s)%s\n",
		      mode, s, p, k, b, f, s == n ? "" : " (a shard printed no summary)" }'
exit $rc
