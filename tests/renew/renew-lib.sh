# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared glue of the ukey-renew end-to-end tests (sourced). The caller sets
# RENEW (the ukey-renew binary), TESTCA (ukey-testca) and W (a scratch dir
# inside a private network namespace: the CA binds 127.0.0.1 there only).
set -eu

fail() { echo "FAIL: $*" >&2; [ -f "$W/ca.log" ] && tail -n 20 "$W/ca.log" >&2; exit 1; }
note() { echo "--- $*" >&2; }

# rl_ca DIR: a root CA (RSA-2048) in DIR/ca.key, DIR/ca.pem. Its key also
# signs the CMP answers, hence digitalSignature.
rl_ca() {
	[ -f "$1/ca.pem" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/ca.key" -out "$1/ca.pem" \
		-subj "/O=ukey test/CN=ukey renewal test root" -days 3650 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null
}

CA_PID=
# rl_start_ca [ukey-testca options…]: starts the test CA on a free port of
# 127.0.0.1; sets CA_PORT and writes $W/renew.conf for it.
rl_start_ca() {
	rl_stop_ca
	rm -f "$W/ca.ready"
	"$TESTCA" --ca-cert "$W/ca.pem" --ca-key "$W/ca.key" --port 0 \
		--ready-file "$W/ca.ready" --log "$W/ca.log" "$@" &
	CA_PID=$!
	i=0
	while [ ! -s "$W/ca.ready" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "test CA did not start"
		sleep 0.05
	done
	CA_PORT=$(cat "$W/ca.ready")
	rl_conf "http://127.0.0.1:$CA_PORT/pkix/"
}

rl_stop_ca() {
	if [ -n "$CA_PID" ]; then
		kill -TERM "$CA_PID" 2>/dev/null || true
		wait "$CA_PID" 2>/dev/null || true
		CA_PID=
	fi
}

# rl_conf URL [extra lines]: the configuration every run reads.
rl_conf() {
	{
		echo "server = $1"
		echo "trust_dir = $W/trust"
		echo "poll_seconds = 1"
		echo "wait_limit_minutes = ${RL_WAIT_LIMIT:-2}"
		echo "support_text = call the test CA's support desk"
		[ $# -lt 2 ] || printf '%s\n' "$2"
	} >"$W/renew.conf"
}

# rl_env: private config/state dirs, trust the test root.
rl_env() {
	export XDG_STATE_HOME="$W/state" XDG_CONFIG_HOME="$W/config"
	export UKEY_RENEW_SYSTEM_CONFIG=/nonexistent
	mkdir -p "$W/state" "$W/config"
	fp=$(openssl x509 -in "$W/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
	rl_conf "http://127.0.0.1:1/pkix/"
	"$RENEW" --config "$W/renew.conf" trust add "$W/ca.pem" --sha256 "$fp" >/dev/null ||
		fail "trust add"
}

# ur ARGS…: ukey-renew with the test's module and configuration.
ur() {
	"$RENEW" --module "$MODULE" --config "$W/renew.conf" ${RENEW_VERBOSE:+--verbose} "$@"
}

# expect CODE ARGS…: run ukey-renew, require exit CODE; output in $W/last.out.
expect() {
	want=$1
	shift
	set +e
	ur "$@" >"$W/last.out" 2>&1
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		cat "$W/last.out" >&2
		fail "ukey-renew $* exited $got, expected $want"
	fi
}
