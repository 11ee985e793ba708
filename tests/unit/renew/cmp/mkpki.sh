#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Test PKI for the renew/cmp unit tests, written into $1:
#   root.crt/key        the CA (trust anchor of everything)
#   srv.crt/key         the mock CMP server's protection certificate
#   user.crt/key        the certificate being updated (serial 0x1001)
#   new.crt             same issuer, serial and key as user.crt, later notAfter
#   rekey.key/.crt      the same with a new key (rekey)
#   other.key/.crt      same issuer/serial, a foreign key (key mismatch)
#   tls.crt/key         TLS server certificate for IP 127.0.0.1 (root-signed)
#   evil.crt/key        self-signed TLS certificate for 127.0.0.1 (untrusted)
#   client.crt/key      TLS client certificate (root-signed)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
export OPENSSL_CONF=/dev/null
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
for k in root srv user rekey other tls evil client; do key $k.key; done
cat > ext.cnf <<'EOC'
[ca]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[ee]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
[tls]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1
[cli]
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth
EOC
openssl req -new -x509 -key root.key -subj "/CN=ukey test root" -days 3650 \
	-extensions ca -config ext.cnf -set_serial 1 -out root.crt
sign() { # name subject serial days ext [key]
	k=${6:-$1}
	openssl req -new -key $k.key -subj "$2" -out $1.csr
	openssl x509 -req -in $1.csr -CA root.crt -CAkey root.key -set_serial $3 \
		-days $4 -extfile ext.cnf -extensions $5 -out $1.crt 2>/dev/null
}
sign srv "/CN=ukey test cmp server" 2 365 ee
sign user "/O=ukey/CN=renew user" 4097 30 ee
sign new "/O=ukey/CN=renew user" 4097 400 ee user
sign rekey "/O=ukey/CN=renew user" 4097 400 ee
sign other "/O=ukey/CN=renew user" 4097 400 ee
sign tls "/CN=127.0.0.1" 3 365 tls
sign client "/CN=ukey test client" 5 365 cli
openssl req -new -x509 -key evil.key -subj "/CN=127.0.0.1" -days 365 \
	-addext subjectAltName=IP:127.0.0.1 -out evil.crt
rm -f ./*.csr
