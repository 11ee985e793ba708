#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-faults.sh samekey|rekey — glue of the install fault matrix (issue 7,
# acceptance item 3): trusts the test root, starts the test CA (a request
# waits 1 s before it is approved, so every apply gets "waiting" and a later
# install gets the certificate), then runs renew_faults, which does the rest.
# Environment: RENEW, TESTCA, MODULE, SECRETS, W, VTOKEN, FAULTS (the
# renew_faults binary); under pcsc-run with one renew-card card.
set -eu
D=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
. "$D/renew-lib.sh"
trap rl_stop_ca EXIT
UKEY_TEST_PIN=$(sed -n 's/^user_pin=//p' "$SECRETS" | head -n 1)
export UKEY_TEST_PIN
rl_env
rl_start_ca --wait-seconds 2 --check-after 1 --txn-timeout 900
set +e
"$FAULTS" "$1"
rc=$?
set -e
[ $rc -eq 0 ] || { tail -n 5 "$W/ca.log" >&2; echo "FAIL: renew_faults $1 (exit $rc); files in $W" >&2; }
exit $rc
