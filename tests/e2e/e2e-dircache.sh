#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# e2e_dircache MODULE SECRETS — the per-user directory cache
# ($XDG_CACHE_HOME/ukey, drivers/dircache.h) between processes:
#  - a second cold process lists the token from the cache (3 APDUs: the
#    application and its TokenInfo, the change marker) with the same result;
#  - a token changed by OpenSC between two processes is re-read, because
#    TokenInfo (its lastUpdate) changed, and the change is seen;
#  - the cache holds the public data object's value but never the private
#    one's, nor the PIN; it is 0600 in a 0700 directory;
#  - a corrupt cache file, or one others may write, is not used;
#  - UKEY_CACHE=off writes none.
export MODULE="$1" SECRETS="$2"
. "$(dirname "$0")/e2e-lib.sh"
PIN=$(secret user_pin)
export PIN
[ -n "$PIN" ] || fail "user_pin missing in $SECRETS"
export XDG_CACHE_HOME="$T/xdg-cache"
# pcsc-run turns the cache off for every other test (fixed APDU sequences).
export UKEY_CACHE=on
CACHE="$XDG_CACHE_HOME/ukey"

# traced NAME ARGS…: pkcs11-tool on the module with an APDU trace;
# NAME.out the output, NAME.trace the trace.
traced() {
	_n=$1
	shift
	rm -f "$T/$_n.trace"
	if ! UKEY_DEBUG=apdu UKEY_DEBUG_FILE="$T/$_n.trace" p11 "$@" >"$T/$_n.out" 2>&1; then
		cat "$T/$_n.out" >&2
		fail "$_n: pkcs11-tool $* failed"
	fi
}
apdus() { grep -c ' ukey apdu >> ' "$T/$1.trace" || true; }
cache_file() { find "$CACHE" -maxdepth 1 -type f ! -name '*.tmp' | head -n 1; }

# The cache trusts a lastUpdate only once it is 2 s old (a writer could
# make the same one again within its second): let the fresh image settle.
sleep 3

note "a first cold process reads the card and fills the cache"
traced first -O
f=$(cache_file)
[ -n "$f" ] || fail "no cache file under $CACHE"
[ "$(stat -c %a "$CACHE")" = 700 ] || fail "cache directory mode $(stat -c %a "$CACHE"), not 700"
[ "$(stat -c %a "$f")" = 600 ] || fail "cache file mode $(stat -c %a "$f"), not 600"
n1=$(apdus first)

note "a second cold process lists the same from the cache"
traced second -O
cmp -s "$T/first.out" "$T/second.out" || { diff "$T/first.out" "$T/second.out" >&2; fail "the cached listing differs"; }
n2=$(apdus second)
echo "e2e_dircache: listing: $n1 APDUs without the cache, $n2 with it" >&2
[ "$n2" -le 3 ] || fail "with a valid cache the listing took $n2 APDUs (expected at most 3)"
[ "$n2" -lt "$n1" ] || fail "the cache saved nothing ($n1 -> $n2 APDUs)"

note "the cached key still signs (its record is named by the cache)"
head -c 500 /dev/urandom >"$T/data"
export_cert "$(first_id cert)" "$T/cert.pem"
id=$(first_id privkey)
traced sign --login --pin env:PIN --sign -m SHA256-RSA-PKCS --id "$id" -i "$T/data" -o "$T/sig"
verify_sig "$T/cert.pub.pem" "$T/data" "$T/sig"

note "OpenSC changes the token between two processes"
printf 'ukey-dircache-public-%s' "$$" >"$T/public.bin"
printf 'ukey-dircache-private-%s' "$$" >"$T/private.bin"
run_logged storepub opensc_env pkcs15-init --store-data "$T/public.bin" --label cache-public
run_logged storepriv opensc_env pkcs15-init --store-data "$T/private.bin" --label cache-private \
	--auth-id 01 --pin env:PIN
# Settled again, so only the changed marker (not its freshness) can tell
# this process that the cache is stale.
sleep 3
grep -q 'cache-public' "$f" && fail "the old cache already names the new object (test is wrong)"
traced third -O
expect_fixed third "cache-public" "the object OpenSC added is not seen (stale cache used)"
n3=$(apdus third)
[ "$n3" -gt 3 ] || fail "the changed token was not re-read ($n3 APDUs)"

note "public values are cached, private ones and the PIN never"
traced readpub --read-object --type data --label cache-public -o "$T/public.out.bin"
cmp -s "$T/public.bin" "$T/public.out.bin" || fail "public data object read back differs"
traced readpriv --login --pin env:PIN --read-object --type data --label cache-private -o "$T/private.out.bin"
cmp -s "$T/private.bin" "$T/private.out.bin" || fail "private data object read back differs"
f=$(cache_file)
grep -q "ukey-dircache-public-$$" "$f" || fail "the public data object's value is not in the cache"
if grep -q "ukey-dircache-private-$$" "$f"; then fail "the private data object's value is in the cache"; fi
if grep -qF -- "$PIN" "$f"; then fail "the PIN is in the cache"; fi
traced fourth -O
expect_fixed fourth "cache-public" "the cached listing lost the new object"
[ "$(apdus fourth)" -le 3 ] || fail "the re-filled cache was not used ($(apdus fourth) APDUs)"

note "a corrupt cache file is not used"
head -c 300 /dev/urandom >"$f"
chmod 600 "$f"
traced corrupt -O
cmp -s "$T/fourth.out" "$T/corrupt.out" || fail "listing with a corrupt cache differs"
[ "$(apdus corrupt)" -gt 3 ] || fail "a corrupt cache was used"

note "a cache file others may write is not used"
traced refill -O
f=$(cache_file)
chmod 666 "$f"
traced open -O
[ "$(apdus open)" -gt 3 ] || fail "a mode-666 cache file was used"

note "UKEY_CACHE=off writes no cache"
rm -rf "$CACHE"
export UKEY_CACHE=off
traced off -O
export UKEY_CACHE=on
[ ! -e "$CACHE" ] || [ -z "$(cache_file)" ] || fail "UKEY_CACHE=off wrote a cache file"
echo "e2e_dircache: OK ($n1 -> $n2 APDUs for a cold listing)"
