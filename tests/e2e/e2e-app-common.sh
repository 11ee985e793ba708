# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the e2e_app_* tests after e2e-lib.sh: finds the token's key
# and certificate through the module under test.
#   ID        hex CKA_ID of the certificate (and of its key)
#   LABEL     token label
#   CERT      $T/cert.pem, CERTPUB its public key (PEM)
PIN=$(secret user_pin)
export PIN # tools read it as env:PIN, never from their command line
[ -n "$PIN" ] || fail "no user_pin in $SECRETS"
ID=$(first_id cert)
[ -n "$ID" ] || fail "no certificate with a CKA_ID on the token"
LABEL=$(p11 -L 2>/dev/null | sed -n 's/^[[:space:]]*token label[[:space:]]*:[[:space:]]*//p' | head -n 1)
[ -n "$LABEL" ] || fail "no token label"
CERT=$T/cert.pem
export CERTPUB="$T/cert.pub.pem"
export_cert "$ID" "$CERT"
PRIV_ID=$(first_id privkey)
[ "$PRIV_ID" = "$ID" ] || fail "private key id '$PRIV_ID' differs from certificate id '$ID'"
head -c 4000 /dev/urandom >"$T/data"
