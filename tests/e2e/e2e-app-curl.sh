#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_*_app_curl MODULE SECRETS — curl makes a TLS client-authenticated
# request to a local `openssl s_server -Verify`, the client key on the
# token (libp11's engine, PIN in a private config), the token's
# certificate as the client certificate and as the server's trust anchor.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
. "$E2E_DIR/e2e-app-common.sh"

ENGINE=${UKEY_PKCS11_ENGINE:-/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so}
[ -r "$ENGINE" ] || fail "libp11 engine $ENGINE missing (libengine-pkcs11-openssl)"
command -v curl >/dev/null || fail "curl missing"
umask 077
cat >"$T/engine.cnf" <<CNF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MODULE
PIN = $PIN
init = 0
CNF
uri="pkcs11:id=$(pct_id "$ID");type=private"

note "server key and certificate (host-side, throw-away)"
run_logged srvkey openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/srv.key" \
	-out "$T/srv.pem" -days 1 -subj "/CN=127.0.0.1"

port=$((20000 + $$ % 20000))
openssl s_server -accept "$port" -cert "$T/srv.pem" -key "$T/srv.key" \
	-Verify 1 -CAfile "$CERT" -verify_return_error -www \
	>"$T/server.out" 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
i=0
while ! grep -q "ACCEPT" "$T/server.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/server.out" >&2; fail "s_server did not start"; }
	sleep 0.1
done

note "curl with the token's key"
run_logged curl env OPENSSL_CONF="$T/engine.cnf" curl -sS --fail --max-time 60 \
	--cacert "$T/srv.pem" --engine pkcs11 --key-type ENG --key "$uri" \
	--cert "$CERT" "https://127.0.0.1:$port/"
# s_server -www answers with its session report, which names the verified
# client certificate.
expect_grep curl "Client certificate" "the server saw no client certificate"
# TLS 1.3: the client's CertificateVerify is RSA-PSS, i.e. the token's raw
# RSA operation under host-side PSS encoding (CKM_RSA_PKCS_PSS).
expect_grep curl "TLSv1.3" "not a TLS 1.3 session"
subj=$(openssl x509 -in "$CERT" -noout -subject | sed 's/^subject=[[:space:]]*//')
expect_fixed curl "${subj#CN = }" "the client certificate is not the token's"
kill $srv 2>/dev/null || true
rm -f "$T/engine.cnf"
echo "e2e_app_curl: OK"
