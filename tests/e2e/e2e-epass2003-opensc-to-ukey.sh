#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_epass2003_opensc_to_ukey MODULE SECRETS — a blank virtual ePass2003
# personalised by OpenSC's pkcs15-init (erase, PKCS#15 with PIN and PUK,
# RSA-2048 generated on the card, certificate; the commands of
# tests/interop/opensc-epass2003.sh) is listed by ukey, which reads the
# certificate byte for byte and signs with OpenSC's key (SHA256-RSA-PKCS
# and RSA-PKCS), both signatures verified by openssl.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
PUK=$(secret so_pin)
export PIN PUK # tools read them as env:…, never from their command line
if [ -z "$PIN" ] || [ -z "$PUK" ]; then fail "user_pin/so_pin missing in $SECRETS"; fi

note "OpenSC sees an ePass2003"
run_logged name opensc_env opensc-tool -n
expect_grep name "^epass2003" "OpenSC does not take the virtual token for an epass2003"

note "pkcs15-init: erase, create (PIN + PUK), key, certificate"
run_logged p15erase opensc_env pkcs15-init -E
run_logged p15create opensc_env pkcs15-init -C --profile pkcs15+onepin --pin env:PIN \
	--puk env:PUK --label e2e-opensc-e3
run_logged p15key opensc_env pkcs15-init -G rsa/2048 -a 01 -i 01 --pin env:PIN -u sign,decrypt \
	--label e2e-opensc-key
run_logged p15pub opensc_env pkcs15-tool --read-public-key 01 -o "$T/opensc-pub.pem"
make_ca
cert_for_pubkey "$T/opensc-pub.pem" "e2e opensc epass2003 key" "$T/cert.pem"
run_logged p15cert opensc_env pkcs15-init -X "$T/cert.pem" -i 01 -a 01 --pin env:PIN \
	--label e2e-opensc-cert

note "ukey lists OpenSC's objects"
run_logged tokens p11 -L
expect_grep tokens "token label[[:space:]]*:[[:space:]]*e2e-opensc-e3" "ukey does not show OpenSC's token label"
run_logged list p11 -O
expect_grep list "Certificate Object" "ukey lists no certificate"
expect_grep list "ID:[[:space:]]*01" "ukey does not show CKA_ID 01"
run_logged listpriv p11 -O --login --pin env:PIN
expect_grep listpriv "Private Key Object; RSA" "ukey lists no private key after login"

note "ukey reads the same certificate, byte for byte"
export_cert 01 "$T/ukey-cert.pem"
cmp -s "$T/ukey-cert.pem" "$T/cert.pem" || fail "certificate read by ukey differs from the one OpenSC stored"
same_pubkey "$T/ukey-cert.pub.pem" "$T/opensc-pub.pem" || fail "certificate does not hold OpenSC's card key"

note "ukey signs with OpenSC's key: SHA256-RSA-PKCS"
head -c 1000 /dev/urandom >"$T/data"
run_logged sign p11 --login --pin env:PIN --sign -m SHA256-RSA-PKCS --id 01 -i "$T/data" -o "$T/sig"
verify_sig "$T/opensc-pub.pem" "$T/data" "$T/sig"

note "ukey signs with OpenSC's key: RSA-PKCS (DigestInfo made by the host)"
openssl dgst -sha256 -binary "$T/data" >"$T/data.sha256"
# DigestInfo(SHA-256) prefix, then the hash
printf '\060\061\060\015\006\011\140\206\110\001\145\003\004\002\001\005\000\004\040' >"$T/di"
cat "$T/data.sha256" >>"$T/di"
run_logged signraw p11 --login --pin env:PIN --sign -m RSA-PKCS --id 01 -i "$T/di" -o "$T/sig2"
verify_sig "$T/opensc-pub.pem" "$T/data" "$T/sig2"
echo "e2e_epass2003_opensc_to_ukey: OK"
