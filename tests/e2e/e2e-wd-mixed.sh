#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_wd_mixed_threads MODULE SECRETS THREADS_BIN N SIGNS — an FTCOS and a
# Watchdata token in two readers: both listed by their own driver (token
# manufacturer/model from each profile), then e2e_threads signs on both at
# once from one process (thread t on token t % 2), every signature verified.
export MODULE="$1" SECRETS="$2"
threads_bin=$3 n=$4 signs=$5
. "$(dirname "$0")/e2e-lib.sh"
run_logged list p11 -L
expect_grep list "token model[[:space:]]*: WatchKey" "no Watchdata token (gmt0017 driver) listed"
expect_grep list "token manufacturer[[:space:]]*: Feitian" "no FTCOS token (ftcos driver) listed"
[ "$(grep -c "token label" "$T/list.out")" = 2 ] || { cat "$T/list.out" >&2; fail "not two tokens"; }
"$threads_bin" "$MODULE" "$SECRETS" "$n" "$signs"
