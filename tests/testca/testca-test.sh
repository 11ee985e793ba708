#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# testca-test.sh TESTCA CASE — one test of ukey-testca driven by OpenSSL's
# own CMP client (`openssl cmp`, software keys). Runs itself inside a
# private network namespace (needs root): the CA binds 127.0.0.1 there.
set -eu

TESTCA=$1
CASE=$2

if [ -z "${TESTCA_IN_NETNS:-}" ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
        echo "SKIP: needs root and unshare (private network namespace)"
        exit 77
    fi
    exec unshare --net env TESTCA_IN_NETNS=1 sh "$0" "$@"
fi
ip link set lo up

export OPENSSL_CONF=/dev/null
T=$(mktemp -d /tmp/testca-test.XXXXXX)
CA_PID=
cleanup() {
    if [ -n "$CA_PID" ]; then
        kill -TERM "$CA_PID" 2>/dev/null || true
        wait "$CA_PID" 2>/dev/null || true
    fi
    if [ -n "${TESTCA_KEEP:-}" ]; then
        echo "kept $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
cd "$T"

fail() {
    echo "FAIL [$CASE]: $*" >&2
    if [ -f ca.log ]; then
        echo "--- ca.log" >&2
        cat ca.log >&2
    fi
    exit 1
}
note() { echo "== $*"; }

# A root CA (its key also signs the CMP answers, hence digitalSignature).
mkca() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout ca.key -out ca.pem -subj "/CN=ukey test root" -days 3650 \
        -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature \
        2>/dev/null || fail "cannot make the root"
}

# mkuser NAME DAYS: NAME.key and NAME.pem issued by the root for DAYS days.
mkuser() {
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nsubjectAltName=email:%s@example.test\n' "$1" >"$1.ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -subj "/O=ukey/CN=$1" -out "$1.csr" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -days "$2" \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null || fail "cannot issue $1"
}

newkey() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" \
        2>/dev/null
}

# start_ca [options]: the CA on a free port; waits for --ready-file.
start_ca() {
    rm -f ready ca.log
    "$TESTCA" --ca-cert ca.pem --ca-key ca.key --port 0 --ready-file ready \
        --log ca.log "$@" 2>ca.err &
    CA_PID=$!
    i=0
    while [ ! -s ready ]; do
        i=$((i + 1))
        [ "$i" -le 100 ] || fail "CA not ready: $(cat ca.err)"
        kill -0 "$CA_PID" 2>/dev/null || fail "CA died: $(cat ca.err)"
        sleep 0.1
    done
    PORT=$(cat ready)
}

stop_ca() {
    kill -TERM "$CA_PID"
    rc=0
    wait "$CA_PID" || rc=$?
    CA_PID=
    [ "$rc" -eq 0 ] || fail "CA exit status $rc after SIGTERM"
    [ ! -e ready ] || fail "ready file left behind"
}

# cmp OUT ARGS...: openssl cmp against the CA, output to OUT; returns its status.
cmp() {
    out=$1
    shift
    openssl cmp -server "127.0.0.1:$PORT" -path pkix/ -trusted ca.pem \
        -msg_timeout 10 -total_timeout 15 "$@" >"$out" 2>&1
}

# kur OUT NAME [ARGS]: key update of NAME's certificate into NAME.new.pem.
kur() {
    out=$1
    name=$2
    shift 2
    cmp "$out" -cmd kur -cert "$name.pem" -key "$name.key" \
        -certout "$name.new.pem" -out_trusted ca.pem "$@"
}

pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pubkey_of_key() { openssl pkey -in "$1" -pubout; }

expect_ok() {
    [ "$1" -eq 0 ] || { cat "$2" >&2; fail "$3"; }
}
expect_fail() {
    [ "$1" -ne 0 ] || { cat "$2" >&2; fail "$3 (openssl cmp succeeded)"; }
}
expect_in() {
    grep -qi -e "$1" "$2" || { cat "$2" >&2; fail "expected '$1' in $2"; }
}

check_issued() { # NAME KEYFILE
    [ -s "$1.new.pem" ] || fail "no certificate written"
    openssl verify -CAfile ca.pem "$1.new.pem" >verify.out 2>&1 \
        || { cat verify.out >&2; fail "new certificate does not verify"; }
    [ "$(pubkey_of_cert "$1.new.pem")" = "$(pubkey_of_key "$2")" ] \
        || fail "new certificate is not for the requested key"
    [ "$(openssl x509 -in "$1.new.pem" -noout -subject)" = \
      "$(openssl x509 -in "$1.pem" -noout -subject)" ] \
        || fail "subject changed"
}

mkca

case "$CASE" in
cli)
    rc=0; "$TESTCA" --help >help.out || rc=$?
    [ "$rc" -eq 0 ] || fail "--help: status $rc"
    grep -q -- "--misbehave MODE" help.out || fail "--help text"
    rc=0; "$TESTCA" --ca-cert ca.pem --ca-key ca.key 2>/dev/null || rc=$?
    [ "$rc" -eq 2 ] || fail "missing --port: status $rc"
    rc=0; "$TESTCA" --ca-cert ca.pem --ca-key ca.key --port 1 --misbehave bogus 2>/dev/null || rc=$?
    [ "$rc" -eq 2 ] || fail "bad --misbehave: status $rc"
    rc=0; "$TESTCA" --ca-cert ca.pem --ca-key ca.key --port 99999 2>/dev/null || rc=$?
    [ "$rc" -eq 2 ] || fail "bad --port: status $rc"
    newkey other.key
    rc=0; "$TESTCA" --ca-cert ca.pem --ca-key other.key --port 0 2>/dev/null || rc=$?
    [ "$rc" -eq 1 ] || fail "mismatching CA key: status $rc"
    ;;
kur)
    mkuser alice 30
    start_ca
    rc=0; kur out alice || rc=$?
    expect_ok "$rc" out "kur failed"
    check_issued alice alice.key
    openssl x509 -in alice.new.pem -noout -ext subjectAltName | grep -q alice@example.test \
        || fail "subjectAltName not carried over"
    end=$(openssl x509 -in alice.new.pem -noout -enddate | cut -d= -f2)
    note "issued until $end"
    expect_in "body=kur answer=kup decision=issued" ca.log
    expect_in "body=certConf answer=pkiconf" ca.log
    note "kur of another's certificate is refused"
    mkuser mallory 30
    rc=0
    cmp out -cmd kur -cert mallory.pem -key mallory.key -oldcert alice.pem -newkey mallory.key \
        -certout stolen.pem || rc=$?
    expect_fail "$rc" out "kur of a certificate not the signer's accepted"
    expect_in "not protected with the certificate to update\|to update not found" out
    stop_ca
    ;;
refuse)
    mkuser bob 365
    start_ca --refuse-days 180
    rc=0; kur out bob || rc=$?
    expect_fail "$rc" out "kur with 365 days left was not refused"
    expect_in "more than 180 days of validity left" out
    expect_in "rejection" out
    [ ! -s bob.new.pem ] || fail "a certificate was written"
    stop_ca
    note "custom text"
    start_ca --refuse-days 10 --refuse-text "noch über {N} Tage gültig"
    rc=0; kur out bob || rc=$?
    expect_fail "$rc" out "kur not refused"
    expect_in "noch über 10 Tage gültig" out
    stop_ca
    note "--refuse-days -1 never refuses"
    start_ca --refuse-days -1
    rc=0; kur out bob || rc=$?
    expect_ok "$rc" out "kur refused with --refuse-days -1"
    check_issued bob bob.key
    stop_ca
    ;;
wait)
    mkuser carol 30
    start_ca --wait-seconds 2 --check-after 1
    t0=$(date +%s)
    rc=0; kur out carol || rc=$?
    t1=$(date +%s)
    expect_ok "$rc" out "kur with waiting failed"
    check_issued carol carol.key
    [ $((t1 - t0)) -ge 2 ] || fail "issued after $((t1 - t0)) s, expected >= 2"
    expect_in "answer=kup decision=waiting" ca.log
    expect_in "body=pollReq answer=pollRep decision=pollRep checkAfter=1" ca.log
    expect_in "body=pollReq answer=kup decision=approved" ca.log
    note "issued after $((t1 - t0)) s"
    stop_ca
    ;;
never)
    mkuser dave 30
    start_ca --wait-seconds -1 --check-after 1
    rc=0
    openssl cmp -server "127.0.0.1:$PORT" -path pkix/ -trusted ca.pem \
        -cmd kur -cert dave.pem -key dave.key -certout dave.new.pem \
        -total_timeout 3 >out 2>&1 || rc=$?
    expect_fail "$rc" out "never-approving CA issued"
    expect_in "pollRep checkAfter=1" ca.log
    [ ! -s dave.new.pem ] || fail "a certificate was written"
    stop_ca
    ;;
rekey)
    mkuser erin 30
    newkey erin2.key
    start_ca
    rc=0; kur out erin -newkey erin2.key || rc=$?
    expect_ok "$rc" out "rekey failed"
    check_issued erin erin2.key
    stop_ca
    ;;
ir)
    start_ca --secret pass:s3cret
    rc=0
    newkey frank.key
    cmp out -cmd ir -ref 4711 -secret pass:s3cret -newkey frank.key \
        -subject "/O=ukey/CN=frank" -certout frank.pem -cacertsout capubs.pem \
        -out_trusted ca.pem || rc=$?
    expect_ok "$rc" out "ir failed"
    openssl verify -CAfile ca.pem frank.pem >/dev/null || fail "ir cert does not verify"
    [ "$(pubkey_of_cert frank.pem)" = "$(pubkey_of_key frank.key)" ] || fail "ir key"
    cmpf=$(openssl x509 -in capubs.pem -noout -fingerprint -sha256)
    [ "$cmpf" = "$(openssl x509 -in ca.pem -noout -fingerprint -sha256)" ] \
        || fail "caPubs is not the CA certificate"
    note "wrong secret"
    rc=0
    cmp out -cmd ir -ref 4711 -secret pass:wrong -newkey frank.key \
        -subject "/O=ukey/CN=frank" -certout frank2.pem || rc=$?
    expect_fail "$rc" out "ir with a wrong secret"
    note "cr and p10cr, signed by the ir certificate"
    newkey frank2.key
    rc=0
    cmp out -cmd cr -cert frank.pem -key frank.key -newkey frank2.key \
        -subject "/O=ukey/CN=frank two" -certout frank2.pem -out_trusted ca.pem || rc=$?
    expect_ok "$rc" out "cr failed"
    openssl x509 -in frank2.pem -noout -subject | grep -q "frank two" || fail "cr subject"
    openssl req -new -key frank2.key -subj "/O=ukey/CN=frank p10" -out p10.csr
    rc=0
    cmp out -cmd p10cr -cert frank.pem -key frank.key -csr p10.csr \
        -certout frank3.pem -out_trusted ca.pem || rc=$?
    expect_ok "$rc" out "p10cr failed"
    openssl x509 -in frank3.pem -noout -subject | grep -q "frank p10" || fail "p10cr subject"
    note "unprotected ir is refused"
    rc=0
    cmp out -cmd ir -unprotected_requests -newkey frank.key -subject "/CN=anon" \
        -certout anon.pem || rc=$?
    expect_fail "$rc" out "unprotected ir accepted"
    note "the ir cert then renews"
    rc=0; kur out frank -implicit_confirm || rc=$?
    expect_fail "$rc" out "kur of a fresh 365-day cert was not refused"
    expect_in "more than 180 days" out
    stop_ca
    ;;
tls)
    mkuser gina 30
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout tls.key -subj "/CN=127.0.0.1" -out tls.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >tls.ext
    openssl x509 -req -in tls.csr -CA ca.pem -CAkey ca.key -days 30 \
        -extfile tls.ext -out tls.pem 2>/dev/null
    start_ca --tls-cert tls.pem --tls-key tls.key --tls-client-ca ca.pem
    rc=0
    kur out gina -tls_used -tls_cert gina.pem -tls_key gina.key \
        -tls_trusted ca.pem -tls_host 127.0.0.1 || rc=$?
    expect_ok "$rc" out "kur over TLS with a client certificate failed"
    check_issued gina gina.key
    expect_in "tls-client /O=ukey/CN=gina" ca.log
    note "without a client certificate"
    rm -f gina.new.pem
    rc=0
    kur out gina -tls_used -tls_trusted ca.pem -tls_host 127.0.0.1 || rc=$?
    expect_fail "$rc" out "TLS without a client certificate accepted"
    expect_in "tls handshake failed" ca.log
    note "plain HTTP to the TLS port"
    rc=0; kur out gina || rc=$?
    expect_fail "$rc" out "plain HTTP accepted on the TLS port"
    stop_ca
    ;;
concurrent)
    mkuser hank 30
    mkuser ivy 30
    start_ca --wait-seconds 2 --check-after 1
    rc1=0 rc2=0
    kur out1 hank & p1=$!
    kur out2 ivy & p2=$!
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    expect_ok "$rc1" out1 "first concurrent kur failed"
    expect_ok "$rc2" out2 "second concurrent kur failed"
    check_issued hank hank.key
    check_issued ivy ivy.key
    [ "$(grep -c 'decision=approved' ca.log)" -eq 2 ] || fail "expected 2 approvals"
    stop_ca
    ;;
misbehave-*)
    mode=${CASE#misbehave-}
    mkuser jack 30
    start_ca --misbehave "$mode"
    rc=0; kur bad.out jack || rc=$?
    case "$mode" in
    other-key)
        expect_fail "$rc" bad.out "certificate for another key accepted"
        expect_in "does not match" bad.out ;;
    wrong-issuer)
        expect_fail "$rc" bad.out "certificate from a wrong issuer accepted"
        expect_in "certificate verify failed\|unable to get local issuer\|rejecting newly enrolled cert" bad.out ;;
    expired)
        expect_fail "$rc" bad.out "expired certificate accepted"
        expect_in "expired" bad.out ;;
    shorter-validity|other-subject)
        # openssl cmp accepts these: the renewal client must check itself
        expect_ok "$rc" bad.out "openssl cmp failed on $mode"
        if [ "$mode" = shorter-validity ]; then
            old=$(openssl x509 -in jack.pem -noout -enddate | cut -d= -f2)
            new=$(openssl x509 -in jack.new.pem -noout -enddate | cut -d= -f2)
            [ "$(date -d "$new" +%s)" -lt "$(date -d "$old" +%s)" ] \
                || fail "notAfter $new not before $old"
        else
            openssl x509 -in jack.new.pem -noout -subject | grep -q "other subject" \
                || fail "subject not changed"
        fi ;;
    garbage|truncated)
        expect_fail "$rc" bad.out "$mode answer accepted"
        expect_in "decod\|asn1\|length" bad.out ;;
    drop)
        expect_fail "$rc" bad.out "dropped answer accepted"
        expect_in "misbehave drop" ca.log ;;
    http500)
        expect_fail "$rc" bad.out "HTTP 500 accepted"
        expect_in "500" bad.out ;;
    other-transaction)
        expect_fail "$rc" bad.out "answer of another transaction accepted"
        expect_in "transactionid unmatched\|nonce" bad.out ;;
    *) fail "unknown mode $mode" ;;
    esac
    [ "$mode" = shorter-validity ] || [ "$mode" = other-subject ] \
        || [ ! -s jack.new.pem ] || fail "a certificate was written"
    note "misbehave-after: the first renewal is correct"
    stop_ca
    rm -f jack.new.pem
    start_ca --misbehave "$mode" --misbehave-after 3
    rc=0; kur out jack || rc=$?
    expect_ok "$rc" out "first kur with --misbehave-after 3 failed"
    check_issued jack jack.key
    expect_in "msg=1 .*decision=issued" ca.log
    grep -q "msg=1 .*misbehave" ca.log && fail "misbehaved before message 3"
    note "... and the second one (message 3) misbehaves"
    rm -f jack.new.pem
    rc=0; kur bad2.out jack || rc=$?
    case "$mode" in
    shorter-validity|other-subject) expect_ok "$rc" bad2.out "second kur" ;;
    *) expect_fail "$rc" bad2.out "second kur did not see the misbehaviour" ;;
    esac
    expect_in "msg=3 .*misbehave $mode" ca.log
    stop_ca
    ;;
hostile)
    mkuser kim 30
    start_ca --io-timeout 2
    base="http://127.0.0.1:$PORT/pkix/"
    code() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }
    [ "$(code "$base")" = 405 ] || fail "GET not 405"
    [ "$(code -X POST -H 'Content-Type: application/pkixcmp' --data-binary @kim.pem "http://127.0.0.1:$PORT/other")" = 404 ] \
        || fail "wrong path not 404"
    [ "$(code -H 'Content-Type: text/plain' --data-binary @kim.pem "$base")" = 415 ] \
        || fail "wrong type not 415"
    [ "$(code -H 'Content-Type: application/pkixcmp' --data-binary @kim.pem "$base")" = 400 ] \
        || fail "non-DER body not 400"
    [ "$(code -H 'Content-Type: application/pkixcmp' -H 'Transfer-Encoding: chunked' --data-binary @kim.pem "$base")" = 411 ] \
        || fail "chunked not 411"
    head -c 70000 /dev/zero >big.bin
    [ "$(code -H 'Content-Type: application/pkixcmp' --data-binary @big.bin "$base")" = 413 ] \
        || fail "big body not 413"
    note "a captured request, bit-flipped and truncated"
    rc=0; kur out kim -reqout req.der || rc=$?
    expect_ok "$rc" out "kur failed"
    len=$(wc -c <req.der)
    i=1
    while [ "$i" -lt "$len" ]; do
        head -c "$i" req.der >cut.der
        curl -s -o /dev/null -H 'Content-Type: application/pkixcmp' --data-binary @cut.der "$base" || true
        i=$((i * 3 / 2 + 1))
    done
    i=0
    while [ "$i" -lt 40 ]; do
        off=$(( (i * 7919) % len ))
        { head -c "$off" req.der; printf '\377'; tail -c +"$((off + 2))" req.der; } >flip.der
        curl -s -o /dev/null -H 'Content-Type: application/pkixcmp' --data-binary @flip.der "$base" || true
        i=$((i + 1))
    done
    note "a stuck client does not hang the CA"
    # shellcheck disable=SC2016
    bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "POST /pkix/ HTTP/1.1\r\nContent-Le" >&3; sleep 4' \
        stuck "$PORT" &
    stuck=$!
    sleep 0.5
    rm -f kim.new.pem
    rc=0; kur out kim || rc=$?
    expect_ok "$rc" out "kur while a client is stuck failed"
    wait "$stuck" || true
    kill -0 "$CA_PID" || fail "CA died"
    expect_in "http 408" ca.log
    stop_ca
    ;;
*)
    fail "unknown case"
    ;;
esac
note "PASS $CASE"
