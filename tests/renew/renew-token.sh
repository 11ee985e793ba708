# SPDX-License-Identifier: LGPL-2.1-or-later
# Token-side checks of the renewal tests (sourced after renew-lib.sh), with
# pkcs11-tool and OpenSSL as the independent judges. MODULE, PIN set.

# p11 ARGS…: pkcs11-tool on the module under test. Sanitizer builds: the
# uninstrumented pkcs11-tool needs the ASan/UBSan runtimes preloaded to load
# an instrumented module (ukey-renew itself is instrumented).
p11() {
	if [ -n "${UKEY_E2E_PRELOAD:-}" ]; then
		LD_PRELOAD=$UKEY_E2E_PRELOAD ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" \
			pkcs11-tool --module "$MODULE" "$@"
	else
		pkcs11-tool --module "$MODULE" "$@"
	fi
}

# tok_certs: the CKA_IDs of the certificates on the token, one per line.
tok_certs() {
	p11 -O --type cert 2>/dev/null | sed -n 's/^ *ID: *//p'
}

# tok_cert ID OUT.pem: the certificate with this CKA_ID.
tok_cert() {
	p11 --read-object --type cert --id "$1" --output-file "$2.der" >/dev/null 2>&1 ||
		fail "cannot read certificate $1"
	openssl x509 -inform DER -in "$2.der" -out "$2"
}

# tok_sign_check ID CERT.pem: sign on the token with the key ID, verify with
# the certificate's public key.
tok_sign_check() {
	printf 'renewal check %s\n' "$(date +%s%N)" >"$W/msg"
	p11 --login --pin env:UKEY_TEST_PIN --sign -m SHA256-RSA-PKCS --id "$1" \
		--input-file "$W/msg" --output-file "$W/sig" >/dev/null 2>&1 ||
		fail "token cannot sign with key $1"
	openssl x509 -in "$2" -pubkey -noout >"$W/pub.pem"
	openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/msg" >/dev/null ||
		fail "signature of key $1 does not verify with its certificate"
}

# tok_snapshot NAME: the only certificate (ID in $W/NAME.id, PEM in
# $W/NAME.pem). RENEW_OLD_CERT_KEPT=1 (OpenSC's module, which cannot delete
# certificates): the newest of them.
tok_snapshot() {
	ids=$(tok_certs)
	n=$(printf '%s\n' "$ids" | grep -c .)
	if [ "$n" -ne 1 ] && [ -z "${RENEW_OLD_CERT_KEPT:-}" ]; then
		fail "expected one certificate, got: $ids"
	fi
	best= best_end=0 k=0
	for id in $ids; do
		k=$((k + 1))
		tok_cert "$id" "$W/$1.$k.pem"
		end=$(date -d "$(openssl x509 -in "$W/$1.$k.pem" -noout -enddate | sed 's/notAfter=//')" +%s)
		if [ "$end" -ge "$best_end" ]; then best=$id best_end=$end; cp "$W/$1.$k.pem" "$W/$1.pem"; fi
	done
	[ -n "$best" ] || fail "no certificate on the token"
	printf '%s\n' "$best" >"$W/$1.id"
}

# tok_check_renewed: one certificate, issued by the test root, not the old
# one, later notAfter, same subject, and its key on the token signs.
tok_check_renewed() {
	tok_snapshot new
	openssl verify -CAfile "$W/ca.pem" "$W/new.pem" >/dev/null || fail "new certificate does not chain"
	cmp -s "$W/old.pem" "$W/new.pem" && fail "certificate unchanged"
	[ "$(openssl x509 -in "$W/old.pem" -noout -subject)" = "$(openssl x509 -in "$W/new.pem" -noout -subject)" ] ||
		fail "subject changed"
	old_end=$(date -d "$(openssl x509 -in "$W/old.pem" -noout -enddate | sed 's/notAfter=//')" +%s)
	new_end=$(date -d "$(openssl x509 -in "$W/new.pem" -noout -enddate | sed 's/notAfter=//')" +%s)
	[ "$new_end" -gt "$old_end" ] || fail "notAfter not later"
	tok_sign_check "$(cat "$W/new.id")" "$W/new.pem"
}

# tok_check_opensc: OpenSC's own tools (an independent reading of the
# PKCS#15 layout) still list the renewed certificate with its key and sign
# with it — on the virtual FTCOS token (RENEW_OPENSC_CHECK=1; OpenSC reads
# no Watchdata token).
tok_check_opensc() {
	[ -n "${RENEW_OPENSC_CHECK:-}" ] || return 0
	osc=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
	[ -f "$osc" ] || return 0
	cnf=$D/../e2e/openssl-legacy.cnf
	id=$(cat "$W/new.id")
	OPENSSL_CONF=$cnf pkcs15-tool -D >"$W/p15.out" 2>&1 || { cat "$W/p15.out"; fail "pkcs15-tool -D"; }
	grep -qi "ID *: *$id" "$W/p15.out" || { cat "$W/p15.out"; fail "pkcs15-tool -D does not list ID $id"; }
	[ "$(grep -c 'X.509 Certificate' "$W/p15.out")" -ge 1 ] || fail "pkcs15-tool -D lists no certificate"
	printf 'opensc check\n' >"$W/omsg"
	OPENSSL_CONF=$cnf pkcs11-tool --module "$osc" --login --pin env:UKEY_TEST_PIN --sign \
		-m SHA256-RSA-PKCS --id "$id" --input-file "$W/omsg" --output-file "$W/osig" >/dev/null 2>&1 ||
		fail "OpenSC cannot sign with the renewed key"
	openssl x509 -in "$W/new.pem" -pubkey -noout >"$W/npub.pem"
	openssl dgst -sha256 -verify "$W/npub.pem" -signature "$W/osig" "$W/omsg" >/dev/null ||
		fail "OpenSC's signature does not verify with the renewed certificate"
	note "OpenSC lists and signs with the renewed key $id"
}
