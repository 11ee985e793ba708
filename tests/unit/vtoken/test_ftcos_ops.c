/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS emulation: personalisation (init), PIN counters and their
 * persistence, MAC/challenge rules, bounds, and hostile input (random APDUs
 * and corrupted state images must never crash or be accepted silently). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vt_os_ftcos.h"

static uint8_t rsp[VT_RSP_MAX];
static vt_t0 t;
static int dirty;

/* Send a hex APDU; returns the status word (data in rsp, length in *dl). */
static unsigned tx(ft_card *c, const char *hex, size_t *dl)
{
	uint8_t cmd[600];
	size_t n = 0;
	unsigned v;
	int used;
	while (sscanf(hex, " %2x%n", &v, &used) == 1) {
		cmd[n++] = (uint8_t)v;
		hex += used;
	}
	size_t rl = vt_t0_apdu(&t, &vt_os_ftcos, c, cmd, n, rsp, &dirty);
	ck_assert_uint_ge(rl, 2);
	if (dl)
		*dl = rl - 2;
	return (unsigned)rsp[rl - 2] << 8 | rsp[rl - 1];
}

static unsigned txb(ft_card *c, const uint8_t *cmd, size_t n, size_t *dl)
{
	size_t rl = vt_t0_apdu(&t, &vt_os_ftcos, c, cmd, n, rsp, &dirty);
	ck_assert_uint_ge(rl, 2);
	if (dl)
		*dl = rl - 2;
	return (unsigned)rsp[rl - 2] << 8 | rsp[rl - 1];
}

static ft_card *perso(const char *ca_cert, const char *ca_key, int days_left,
		      int days_valid)
{
	ft_card *c = vt_os_ftcos.create();
	vt_init_params p = { 0 };
	p.label = "unit";
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = 2048;
	p.subject_cn = "Unit Test";
	p.ca_cert_path = ca_cert;
	p.ca_key_path = ca_key;
	p.days_left = days_left;
	p.days_valid = days_valid;
	p.serial = "0102030405060708";
	ck_assert_int_eq(vt_os_ftcos.init(c, &p), 0);
	vt_os_ftcos.reset(c);
	vt_t0_clear(&t);
	return c;
}

static X509 *read_cert(ft_card *c)
{
	static uint8_t der[4096];
	size_t dl;
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 3F 00", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 31 00 00", &dl), 0x9000);
	size_t size = (size_t)rsp[8] << 8 | rsp[9];
	ck_assert_uint_le(size, sizeof der);
	for (size_t off = 0; off < size;) {
		size_t want = size - off > 224 ? 224 : size - off;
		uint8_t rb[5] = { 0, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, (uint8_t)want };
		ck_assert_uint_eq(txb(c, rb, 5, &dl), 0x9000);
		ck_assert_uint_eq(dl, want);
		memcpy(der + off, rsp, want);
		off += want;
	}
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)size);
	ck_assert_ptr_nonnull(x);
	return x;
}

/* MSE + PSO over a PKCS#1 SHA-256 block (2048-bit: 64 bytes in tag 89). */
static unsigned sign(ft_card *c, const uint8_t digest[32], uint8_t sig[256])
{
	static const uint8_t prefix[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
					    0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
					    0x01, 0x05, 0x00, 0x04, 0x20 };
	uint8_t block[256];
	memset(block, 0xFF, 256);
	block[0] = 0;
	block[1] = 1;
	block[256 - 52] = 0;
	memcpy(block + 256 - 51, prefix, 19);
	memcpy(block + 256 - 32, digest, 32);
	uint8_t mse[78] = { 0x00, 0x22, 0x41, 0xB8, 0x49, 0x80, 0x01, 0x80, 0x83,
			    0x02, 0x01, 0x22, 0x89, 0x40 };
	memcpy(mse + 14, block, 64);
	ck_assert_uint_eq(txb(c, mse, sizeof mse, NULL), 0x9000);
	uint8_t pso[198] = { 0x00, 0x2A, 0x86, 0x80, 0xC0 };
	memcpy(pso + 5, block + 64, 192);
	size_t dl;
	unsigned sw = txb(c, pso, sizeof pso, &dl);
	if (sw == 0x9000) {
		ck_assert_uint_eq(dl, 256);
		memcpy(sig, rsp, 256);
	}
	return sw;
}

static void verify_sig(EVP_PKEY *pk, const uint8_t digest[32], const uint8_t sig[256])
{
	EVP_PKEY_CTX *vc = EVP_PKEY_CTX_new(pk, NULL);
	ck_assert_int_eq(EVP_PKEY_verify_init(vc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(vc, RSA_PKCS1_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(vc, EVP_sha256()), 1);
	ck_assert_int_eq(EVP_PKEY_verify(vc, sig, 256, digest, 32), 1);
	EVP_PKEY_CTX_free(vc);
}

START_TEST(init_self_signed_and_sign)
{
	ft_card *c = perso(NULL, NULL, 10, 30);
	X509 *x = read_cert(c);
	char cn[64];
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
	ck_assert_str_eq(cn, "Unit Test");
	/* notAfter = now + 10 days, notBefore = notAfter - 30 days */
	int day, sec;
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, NULL, X509_get0_notAfter(x)), 1);
	ck_assert(day == 10 || (day == 9 && sec > 86000));
	ck_assert_int_eq(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x),
					X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(day, 30);
	EVP_PKEY *pk = X509_get0_pubkey(x);
	ck_assert_int_eq(X509_verify(x, pk), 1);    /* self-signed by the card key */
	uint8_t digest[32], sig[256];
	RAND_bytes(digest, 32);
	/* no PIN yet: the key's use condition refuses */
	ck_assert_uint_eq(sign(c, digest, sig), 0x6982);
	ck_assert_uint_eq(tx(c, "00 20 00 01 10 31 32 33 34 00 00 00 00 00 00 00 00 00 00 00 00", NULL), 0x9000);
	ck_assert_uint_eq(sign(c, digest, sig), 0x9000);
	verify_sig(pk, digest, sig);
	/* SERIAL answers the personalised serial */
	size_t dl;
	ck_assert_uint_eq(tx(c, "80 EA 00 00 08", &dl), 0x9000);
	ck_assert_uint_eq(dl, 8);
	ck_assert(rsp[0] == 1 && rsp[7] == 8);
	X509_free(x);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(init_ca_issued)
{
	char dir[] = "/tmp/vtops.XXXXXX", kp[64], cp[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(kp, sizeof kp, "%s/ca.key", dir);
	snprintf(cp, sizeof cp, "%s/ca.pem", dir);
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *cx = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"Unit CA", -1, -1, 0);
	X509_set_subject_name(cx, n);
	X509_set_issuer_name(cx, n);
	ASN1_INTEGER_set(X509_get_serialNumber(cx), 7);
	X509_gmtime_adj(X509_getm_notBefore(cx), 0);
	X509_gmtime_adj(X509_getm_notAfter(cx), 86400);
	X509_set_pubkey(cx, ca);
	ck_assert_int_gt(X509_sign(cx, ca, EVP_sha256()), 0);
	FILE *f = fopen(kp, "w");
	PEM_write_PrivateKey(f, ca, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	f = fopen(cp, "w");
	PEM_write_X509(f, cx);
	fclose(f);
	ft_card *c = perso(cp, kp, 5, 0);
	X509 *x = read_cert(c);
	ck_assert_int_eq(X509_verify(x, ca), 1);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(x), n), 0);
	X509_free(x);
	X509_free(cx);
	X509_NAME_free(n);
	EVP_PKEY_free(ca);
	unlink(kp);
	unlink(cp);
	rmdir(dir);
	vt_os_ftcos.destroy(c);
}
END_TEST

#define VERIFY_PIN(p) "00 20 00 01 10 " p " 00 00 00 00 00 00 00 00 00 00 00 00"

START_TEST(pin_counter_persists)
{
	ft_card *c = perso(NULL, NULL, 0, 0);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("39 39 39 39"), NULL), 0x63C2);
	ck_assert_int_eq(dirty, 1);               /* counter must be saved */
	/* the decremented counter survives save + load (power cycle) */
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, c, &b), 0);
	vt_os_ftcos.destroy(c);
	c = vt_image_unwrap(&vt_os_ftcos, b.p, b.len);
	vt_buf_free(&b);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 20 00 01", NULL), 0x63C2);      /* status query */
	ck_assert_uint_eq(tx(c, VERIFY_PIN("39 39 39 39"), NULL), 0x63C1);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("39 39 39 39"), NULL), 0x6983);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("31 32 33 34"), NULL), 0x6983);
	/* unblock: PUK, then WRITE KEY of a new PIN under the maintenance MAC */
	ck_assert_uint_eq(tx(c, "00 20 00 02 10 35 36 37 38 35 36 37 38 00 00 00 00 00 00 00 00", NULL), 0x9000);
	size_t dl;
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	uint8_t chal[8];
	memcpy(chal, rsp, 8);
	uint8_t plain[24] = { 18, 0x33, 0x00, '1', '1', '1', '1' };
	plain[19] = 0x80;
	uint8_t cmd[5 + 28] = { 0x84, 0xF4, 0x0B, 0x01, 0x1C };
	ck_assert_int_eq(ft_3des_ecb(ft_default_maint_key, 1, plain, 24, cmd + 5), 0);
	ck_assert_int_eq(ft_mac(ft_default_maint_key, 16, chal, cmd, 0x1C, cmd + 5, 24,
				cmd + 29), 0);
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x9000);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("31 31 31 31"), NULL), 0x9000);
	/* a wrong MAC is refused, and so is a MAC without a fresh challenge */
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	cmd[29] ^= 1;
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x6988);
	cmd[29] ^= 1;
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x6985);
	/* change PIN */
	ck_assert_uint_eq(tx(c, "00 24 00 01 20 31 31 31 31 00 00 00 00 00 00 00 00 00 00 00 00 "
			      "32 32 32 32 00 00 00 00 00 00 00 00 00 00 00 00", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("31 31 31 31"), NULL), 0x63C2);
	ck_assert_uint_eq(tx(c, VERIFY_PIN("32 32 32 32"), NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 20 00 01 04 32 32 32 32", NULL), 0x6700);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(create_needs_challenge_and_mac)
{
	ft_card *c = perso(NULL, NULL, 0, 0);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	uint8_t cmd[5 + 23] = { 0x84, 0xE0, 0x02, 0x00, 0x17, 0x12, 0x34, 0x00, 0x20,
				0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x10, 0x10, 0x10,
				0x10, 0x10, 0x10, 0x10, 0x00, 0x00 };
	size_t dl;
	/* no challenge */
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x6985);
	/* a challenge, but not immediately before */
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	uint8_t chal[8];
	memcpy(chal, rsp, 8);
	ck_assert_int_eq(ft_mac(ft_default_init_key, 16, chal, cmd, 0x17, cmd + 5, 19,
				cmd + 24), 0);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x6985);
	/* right */
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	memcpy(chal, rsp, 8);
	ck_assert_int_eq(ft_mac(ft_default_init_key, 16, chal, cmd, 0x17, cmd + 5, 19,
				cmd + 24), 0);
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x9000);
	ck_assert_int_eq(dirty, 1);
	/* the new EF is current: 32 bytes, read free, update free (00) */
	ck_assert_uint_eq(tx(c, "00 D6 00 10 10 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 D6 00 18 10 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10", NULL), 0x6700);
	ck_assert_uint_eq(tx(c, "00 B0 00 10 10", &dl), 0x9000);
	ck_assert_uint_eq(dl, 16);
	ck_assert_uint_eq(rsp[15], 0x10);
	ck_assert_uint_eq(tx(c, "00 B0 00 18 20", &dl), 0x9000);  /* short read at the end */
	ck_assert_uint_eq(dl, 8);
	ck_assert_uint_eq(tx(c, "00 B0 00 20 01", &dl), 0x6B00);
	ck_assert_uint_eq(tx(c, "00 B0 00 00 E1", &dl), 0x6700);  /* > 224 */
	/* same FID again: exists */
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 50 15", NULL), 0x9000);
	ck_assert_uint_eq(tx(c, "00 84 00 00 08", &dl), 0x9000);
	memcpy(chal, rsp, 8);
	ck_assert_int_eq(ft_mac(ft_default_init_key, 16, chal, cmd, 0x17, cmd + 5, 19,
				cmd + 24), 0);
	ck_assert_uint_eq(txb(c, cmd, sizeof cmd, NULL), 0x6A89);
	/* the key file is never readable */
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 FF FD 00", &dl), 0x9000);
	ck_assert_uint_eq(tx(c, "00 B0 00 00 10", &dl), 0x6981);
	/* select by AID and by path */
	ck_assert_uint_eq(tx(c, "00 A4 04 00 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00", &dl), 0x9000);
	ck_assert_uint_eq(rsp[4], 0x50);
	ck_assert_uint_eq(tx(c, "00 A4 08 00 04 50 15 44 01 00", &dl), 0x9000);
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 77 77 00", &dl), 0x6A82);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(random_apdus_never_crash)
{
	ft_card *c = perso(NULL, NULL, 0, 0);
	uint8_t cmd[300];
	static const uint8_t ins[] = { 0xA4, 0xB0, 0xD6, 0x84, 0x20, 0x24, 0x22, 0x46,
				       0x2A, 0xE0, 0xEE, 0xF0, 0xF4, 0xEA, 0xE6, 0xC0 };
	static const uint8_t cla[] = { 0x00, 0x80, 0x84 };
	for (int i = 0; i < 20000; i++) {
		uint8_t r[4];
		RAND_bytes(r, 4);
		size_t n = r[0] % 64 == 0 ? (size_t)r[1] : (size_t)(4 + r[1] % 40);
		RAND_bytes(cmd, (int)n);
		if (n >= 2) {
			cmd[0] = cla[r[2] % 3];
			cmd[1] = ins[r[3] % sizeof ins];
		}
		if (n >= 5 && r[2] & 0x40)   /* mostly well-formed lengths */
			cmd[4] = (uint8_t)(n - 5);
		size_t rl = vt_t0_apdu(&t, &vt_os_ftcos, c, cmd, n, rsp, &dirty);
		ck_assert_uint_ge(rl, 2);
		ck_assert_uint_le(rl, 258);
	}
	vt_t0_clear(&t);
	vt_os_ftcos.destroy(c);
}
END_TEST

START_TEST(corrupted_images_refused)
{
	ft_card *c = perso(NULL, NULL, 0, 0);
	vt_buf b = { 0 };
	ck_assert_int_eq(vt_image_wrap(&vt_os_ftcos, c, &b), 0);
	vt_os_ftcos.destroy(c);
	/* every truncation of the OS part fails cleanly */
	for (size_t l = 0; l + 1 < b.len; l += 7) {
		void *st = vt_os_ftcos.load(b.p + 16, l > b.len - 16 ? 0 : l);
		if (l < b.len - 16)
			ck_assert_ptr_null(st);
		else if (st)
			vt_os_ftcos.destroy(st);
	}
	/* random byte flips: loads or refuses, never crashes */
	uint8_t *m = malloc(b.len);
	for (int i = 0; i < 3000; i++) {
		memcpy(m, b.p, b.len);
		uint8_t r[4];
		RAND_bytes(r, 4);
		size_t pos = ((size_t)r[0] << 16 | (size_t)r[1] << 8 | r[2]) % b.len;
		m[pos] ^= (uint8_t)(r[3] | 1);
		void *st = vt_image_unwrap(&vt_os_ftcos, m, b.len);
		if (st)
			vt_os_ftcos.destroy(st);
	}
	free(m);
	vt_buf_free(&b);
}
END_TEST

/* Read a whole EF of DF 2003 by FID (current DF must be 2003). */
static size_t read_espk_ef(ft_card *c, uint16_t fid, uint8_t *out, size_t cap)
{
	uint8_t sel[8] = { 0, 0xA4, 0, 0, 2, (uint8_t)(fid >> 8), (uint8_t)fid, 0 };
	size_t dl;
	ck_assert_uint_eq(txb(c, sel, 8, &dl), 0x9000);
	size_t size = (size_t)rsp[8] << 8 | rsp[9];
	ck_assert_uint_le(size, cap);
	for (size_t off = 0; off < size;) {
		size_t want = size - off > 224 ? 224 : size - off;
		uint8_t rb[5] = { 0, 0xB0, (uint8_t)(off >> 8), (uint8_t)off, (uint8_t)want };
		ck_assert_uint_eq(txb(c, rb, 5, &dl), 0x9000);
		memcpy(out + off, rsp, want);
		off += want;
	}
	return size;
}

/* Find attribute `type` in a stream; returns its value, NULL if absent. */
static const uint8_t *find_attr(const uint8_t *p, size_t len, uint32_t type, size_t *vl)
{
	size_t o = 0;
	while (o + 8 <= len) {
		uint32_t ty = (uint32_t)p[o] | (uint32_t)p[o + 1] << 8 |
			     (uint32_t)p[o + 2] << 16 | (uint32_t)p[o + 3] << 24;
		uint32_t l = (uint32_t)p[o + 4] | (uint32_t)p[o + 5] << 8 |
			     (uint32_t)p[o + 6] << 16 | (uint32_t)p[o + 7] << 24;
		if (l > len - o - 8)
			return NULL;
		if (ty == type) {
			*vl = l;
			return p + o + 8;
		}
		o += 8 + l;
	}
	return NULL;
}

START_TEST(espk_layout)
{
	ft_card *c = vt_os_ftcos.create();
	vt_init_params p = { 0 };
	p.user_pin = "1234";
	p.so_pin = "56785678";
	p.key_bits = 2048;
	p.layout = "espk";
	ck_assert_int_eq(vt_os_ftcos.init(c, &p), 0);
	vt_os_ftcos.reset(c);
	size_t dl;
	ck_assert_uint_eq(tx(c, "00 A4 00 00 02 20 03 00", &dl), 0x9000);
	ck_assert(!memcmp(rsp + 8, "ENTERSAFE-ESPK", 14));
	static uint8_t idx[1024], f[4096];
	size_t il = read_espk_ef(c, 0x6F01, idx, sizeof idx);
	ck_assert_uint_eq(idx[0], 0xFF);
	ck_assert_uint_eq(idx[1], 0xFF);
	/* find cert0001 and prvk0001 through the index */
	uint16_t cert_fid = 0, prvk_fid = 0;
	size_t cert_used = 0;
	for (size_t o = 30; o + 30 <= il; o += 30) {
		uint16_t fid = (uint16_t)(idx[o] | idx[o + 1] << 8);
		if (!memcmp(idx + o + 12, "cert0001", 9)) {
			cert_fid = fid;
			cert_used = (size_t)(idx[o + 26] | idx[o + 27] << 8);
		}
		if (!memcmp(idx + o + 12, "prvk0001", 9))
			prvk_fid = fid;
	}
	ck_assert_uint_eq(cert_fid, 0x7001);
	ck_assert_uint_eq(prvk_fid, 0x7201);
	size_t fl = read_espk_ef(c, cert_fid, f, sizeof f);
	ck_assert_uint_eq(fl, cert_used);
	size_t vl;
	const uint8_t *v = find_attr(f, fl, 0x11, &vl);
	ck_assert_ptr_nonnull(v);
	const unsigned char *cp = v;
	X509 *x = d2i_X509(NULL, &cp, (long)vl);
	ck_assert_ptr_nonnull(x);
	fl = read_espk_ef(c, prvk_fid, f, sizeof f);
	v = find_attr(f, fl, 0x80000100u, &vl);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(vl, 1);
	ck_assert_uint_eq(v[0], 1);            /* kid used by sign() below */
	ck_assert_uint_eq(tx(c, VERIFY_PIN("31 32 33 34"), NULL), 0x9000);
	uint8_t digest[32], sig[256];
	RAND_bytes(digest, 32);
	ck_assert_uint_eq(sign(c, digest, sig), 0x9000);
	verify_sig(X509_get0_pubkey(x), digest, sig);
	X509_free(x);
	vt_os_ftcos.destroy(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vtoken_ftcos_ops");
	TCase *tc = tcase_create("ops");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, init_self_signed_and_sign);
	tcase_add_test(tc, init_ca_issued);
	tcase_add_test(tc, pin_counter_persists);
	tcase_add_test(tc, create_needs_challenge_and_mac);
	tcase_add_test(tc, random_apdus_never_crash);
	tcase_add_test(tc, corrupted_images_refused);
	tcase_add_test(tc, espk_layout);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
