/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/gmt0017/gmt0017_cmd.c — the GM/T 0017 commands the driver uses,
 * over short APDUs only (T=0): the apdu/ layer follows 61xx with GET
 * RESPONSE and 6Cxx with a re-send; data longer than one APDU is split
 * here at command level (P1 bit "more", P2 = chunk number), every chunk
 * starting again with AppID || ContainerID (docs/watchdata-wire.md).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "gmt0017.h"

/* ------------------------------------------------------------- profile */

static uint8_t hexbyte(const ukey_profile *p, const char *key, uint8_t def)
{
	uint8_t b;
	size_t n = 0;

	if (p && ukey_profile_get(p, key) &&
	    ukey_profile_get_hex(p, key, &b, 1, &n) == UKEY_OK && n == 1)
		return b;
	return def;
}

static size_t num(const ukey_profile *p, const char *key, size_t def,
		  size_t lo, size_t hi)
{
	unsigned long v = p ? ukey_profile_get_uint(p, key, def) : def;

	return v < lo || v > hi ? def : (size_t)v;
}

static void str(const ukey_profile *p, const char *key, const char *def,
		char *out, size_t cap)
{
	const char *v = p ? ukey_profile_get(p, key) : NULL;
	size_t n;

	if (!v)
		v = def;
	n = strlen(v);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, v, n);
	out[n] = 0;
}

ukey_rv gm_cfg_load(gm_cfg *g, const ukey_profile *p)
{
	static const uint8_t defkey[16] = "1234567812345678";
	const char *v;
	size_t n = 0;

	memset(g, 0, sizeof(*g));
	g->cla = hexbyte(p, "cla", 0x80);
	g->cla_secure = hexbyte(p, "cla_secure", 0x84);
	g->cla_iso = hexbyte(p, "cla_iso", 0x00);
	g->ins_set_label = hexbyte(p, "ins_set_label", 0x02);
	g->ins_get_dev_info = hexbyte(p, "ins_get_dev_info", 0x04);
	g->ins_dev_auth = hexbyte(p, "ins_dev_auth", 0x10);
	g->ins_get_pin_info = hexbyte(p, "ins_get_pin_info", 0x14);
	g->ins_change_pin = hexbyte(p, "ins_change_pin", 0x16);
	g->ins_verify_pin = hexbyte(p, "ins_verify_pin", 0x18);
	g->ins_unblock_pin = hexbyte(p, "ins_unblock_pin", 0x1A);
	g->ins_clear_secure_state = hexbyte(p, "ins_clear_secure_state", 0x1C);
	g->ins_create_app = hexbyte(p, "ins_create_app", 0x20);
	g->ins_enum_app = hexbyte(p, "ins_enum_app", 0x22);
	g->ins_delete_app = hexbyte(p, "ins_delete_app", 0x24);
	g->ins_open_app = hexbyte(p, "ins_open_app", 0x26);
	g->ins_close_app = hexbyte(p, "ins_close_app", 0x28);
	g->ins_create_container = hexbyte(p, "ins_create_container", 0x40);
	g->ins_open_container = hexbyte(p, "ins_open_container", 0x42);
	g->ins_enum_container = hexbyte(p, "ins_enum_container", 0x46);
	g->ins_delete_container = hexbyte(p, "ins_delete_container", 0x48);
	g->ins_get_container_info = hexbyte(p, "ins_get_container_info", 0x4A);
	g->ins_import_cert = hexbyte(p, "ins_import_cert", 0x4C);
	g->ins_export_cert = hexbyte(p, "ins_export_cert", 0x4E);
	g->ins_gen_random = hexbyte(p, "ins_gen_random", 0x50);
	g->ins_gen_rsa_key_pair = hexbyte(p, "ins_gen_rsa_key_pair", 0x54);
	g->ins_rsa_sign_data = hexbyte(p, "ins_rsa_sign_data", 0x58);
	g->ins_export_public_key = hexbyte(p, "ins_export_public_key", 0x88);
	g->pin_type_admin = hexbyte(p, "pin_type_admin", 0x00);
	g->pin_type_user = hexbyte(p, "pin_type_user", 0x01);
	g->slot_sign = hexbyte(p, "slot_sign", 0x01);
	g->slot_enc = hexbyte(p, "slot_enc", 0x00);
	g->chain_more_flag = hexbyte(p, "chain_more_flag", 0x80);
	/* a chunk plus AppID || ContainerID must fit one short APDU */
	g->max_cert_chunk = num(p, "max_cert_chunk", 251, 1, 251);
	g->max_sign_chunk = num(p, "max_sign_chunk", 251, 1, 251);
	g->max_cert_len = num(p, "max_cert_len", 4096, 1, 65535);
	g->max_app_name = num(p, "max_app_name", 32, 1, 32);
	g->max_container_name = num(p, "max_container_name", 64, 1, 64);
	g->challenge_len = num(p, "challenge_len", 8, 8, 8);
	g->pin_block_len = num(p, "pin_block_len", 48, 16, 64);
	if (g->pin_block_len % 16)
		g->pin_block_len = 48;
	g->devinfo_len = num(p, "devinfo_len", 288, 196, 1024);
	g->pubkey_blob_len = num(p, "pubkey_blob_len", 268, 12, 1024);
	g->pin_retries = (unsigned)num(p, "pin_retries", 10, 1, 15);
	memcpy(g->dev_auth_key, defkey, 16);
	if (p && ukey_profile_get(p, "dev_auth_key")) {
		uint8_t k[16];

		if (ukey_profile_get_hex(p, "dev_auth_key", k, sizeof(k), &n) !=
			    UKEY_OK || n != 16)
			return UKEY_E_ARGS;
		memcpy(g->dev_auth_key, k, 16);
		ukey_memzero(k, sizeof(k));
	}
	v = p ? ukey_profile_get(p, "pin_cryptogram") : NULL;
	if (!v || strcmp(v, "challenge-pad80") == 0)
		g->pincrypt = GM_PINCRYPT_PAD80;
	else if (strcmp(v, "gm3000") == 0)
		g->pincrypt = GM_PINCRYPT_GM3000;
	else
		return UKEY_E_ARGS;
	v = p ? ukey_profile_get(p, "rsa_sign") : NULL;
	if (!v || strcmp(v, "raw") == 0)
		g->rsa_sign_raw = 1;
	else if (strcmp(v, "pkcs1") == 0)
		g->rsa_sign_raw = 0;
	else
		return UKEY_E_ARGS;
	str(p, "app_name", "", g->app_name, sizeof(g->app_name));
	str(p, "container_name", "UKEY-CONTAINER", g->container_name,
	    sizeof(g->container_name));
	return UKEY_OK;
}

/* ------------------------------------------------------------ commands */

ukey_rv gm_cmd(gm_ctx *c, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
	       const uint8_t *data, size_t lc, size_t le, int sensitive,
	       uint8_t *resp, size_t rcap, size_t *rlen, uint16_t *sw)
{
	ukey_apdu a;
	uint8_t dummy[2];
	size_t n = 0;
	uint16_t s = 0;
	ukey_rv rv;

	if (lc > 255)
		return UKEY_E_ARGS; /* short APDUs only */
	memset(&a, 0, sizeof(a));
	a.cla = cla;
	a.ins = ins;
	a.p1 = p1;
	a.p2 = p2;
	a.data = lc ? data : NULL;
	a.lc = lc;
	a.le = le;
	a.flags = UKEY_APDU_NO_CHAIN | (sensitive ? UKEY_APDU_SENSITIVE : 0);
	if (!resp) {
		resp = dummy;
		rcap = 0;
	}
	rv = ukey_transmit(c->ch, &a, resp, rcap, &n, &s);
	if (sw)
		*sw = s;
	if (rlen)
		*rlen = n;
	if (rv)
		return rv;
	return ukey_sw_to_err(s);
}

ukey_rv gm_get_devinfo(gm_ctx *c, uint8_t *buf, size_t cap, size_t *len)
{
	return gm_cmd(c, c->cfg.cla, c->cfg.ins_get_dev_info, 0, 0, NULL, 0,
		      UKEY_LE_ANY, 0, buf, cap, len, NULL);
}

ukey_rv gm_gen_random(gm_ctx *c, uint8_t *out, size_t len)
{
	size_t got = 0;
	ukey_rv rv;

	if (!len || len > 256)
		return UKEY_E_ARGS;
	rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_gen_random, 0, 0, NULL, 0, len,
		    0, out, len, &got, NULL);
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		return UKEY_E_MALFORMED;
	if (!rv && got != len)
		return UKEY_E_MALFORMED;
	return rv;
}

/* DevAuth: SM4-ECB under the device key of challenge || 00*8. */
ukey_rv gm_dev_auth(gm_ctx *c)
{
	uint8_t blk[16], crypt[16];
	ukey_rv rv;

	memset(blk, 0, sizeof(blk));
	rv = gm_gen_random(c, blk, c->cfg.challenge_len);
	if (!rv)
		rv = ukey_sm4_ecb(c->cfg.dev_auth_key, 1, blk, 16, crypt);
	if (!rv)
		rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_dev_auth, 0, 0, crypt, 16,
			    0, 1, NULL, 0, NULL, NULL);
	ukey_memzero(crypt, sizeof(crypt));
	return rv;
}

ukey_rv gm_open_app(gm_ctx *c)
{
	uint8_t r[16];
	size_t n = 0, l = strlen(c->app);
	ukey_rv rv;

	c->app_open = 0;
	for (size_t i = 0; i < c->ncont; i++)
		c->cont[i].cid_valid = 0;
	if (!l || l > c->cfg.max_app_name)
		return UKEY_E_ARGS;
	rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_open_app, 0, 0,
		    (const uint8_t *)c->app, l, 0, 0, r, sizeof(r), &n, NULL);
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		return UKEY_E_MALFORMED;
	if (rv)
		return rv;
	/* CreateFileRights(4) MaxContainers(1) MaxCerts(1) MaxFiles(2) AppID(2) */
	if (n != 10)
		return UKEY_E_MALFORMED;
	memcpy(c->appid, r + 8, 2);
	c->app_open = 1;
	return UKEY_OK;
}

ukey_rv gm_ensure_app(gm_ctx *c)
{
	return c->app_open ? UKEY_OK : gm_open_app(c);
}

/* Name lists: each name + 00, then 00. Names are 1..64 printable bytes. */
static ukey_rv parse_names(const uint8_t *b, size_t n, char names[][65],
			   size_t max, size_t *count)
{
	size_t i = 0;

	*count = 0;
	for (;;) {
		size_t s = i;

		if (i >= n)
			return UKEY_E_MALFORMED; /* no final 00 */
		if (b[i] == 0)
			return i + 1 == n ? UKEY_OK : UKEY_E_MALFORMED;
		while (i < n && b[i] != 0) {
			if (b[i] < 0x20 || b[i] > 0x7E)
				return UKEY_E_MALFORMED;
			i++;
		}
		if (i >= n || i - s > 64 || *count >= max)
			return UKEY_E_MALFORMED;
		memcpy(names[*count], b + s, i - s);
		names[*count][i - s] = 0;
		(*count)++;
		i++;
	}
}

ukey_rv gm_enum_names(gm_ctx *c, uint8_t ins, int with_app,
		      char names[][65], size_t max, size_t *n)
{
	uint8_t r[2048];
	size_t len = 0;
	ukey_rv rv;

	*n = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (with_app && (rv = gm_ensure_app(c)) != UKEY_OK)
			return rv;
		rv = gm_cmd(c, c->cfg.cla, ins, 0, 0, with_app ? c->appid : NULL,
			    with_app ? 2 : 0, UKEY_LE_ANY, 0, r, sizeof(r), &len,
			    NULL);
		if (rv == UKEY_E_SW_REF_NOT_FOUND && with_app && !attempt) {
			c->app_open = 0; /* handle lost (reset): open again */
			continue;
		}
		break;
	}
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		return UKEY_E_MALFORMED;
	if (rv)
		return rv;
	return parse_names(r, len, names, max, n);
}

/* Data = AppID [|| ContainerID] || payload; on 6A88 (a handle the card
 * forgot) the handles are opened again and the command is sent once more. */
static ukey_rv handle_cmd(gm_ctx *c, gm_cont *k, uint8_t ins, uint8_t p1,
			  uint8_t p2, const uint8_t *pl, size_t pllen, size_t le,
			  int sensitive, uint8_t *resp, size_t rcap, size_t *rlen)
{
	uint8_t d[255];
	size_t h = k ? 4 : 2;
	ukey_rv rv = UKEY_OK;

	if (pllen + h > sizeof(d))
		return UKEY_E_ARGS;
	for (int attempt = 0; attempt < 2; attempt++) {
		rv = gm_ensure_app(c);
		if (!rv && k)
			rv = gm_ensure_cid(c, k);
		if (rv)
			break;
		memcpy(d, c->appid, 2);
		if (k)
			memcpy(d + 2, k->cid, 2);
		if (pllen)
			memcpy(d + h, pl, pllen);
		rv = gm_cmd(c, c->cfg.cla, ins, p1, p2, d, h + pllen, le,
			    sensitive, resp, rcap, rlen, NULL);
		if (rv != UKEY_E_SW_REF_NOT_FOUND || attempt)
			break;
		c->app_open = 0;
		if (k)
			k->cid_valid = 0;
	}
	ukey_memzero(d, sizeof(d));
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		rv = UKEY_E_MALFORMED;
	return rv;
}

ukey_rv gm_ensure_cid(gm_ctx *c, gm_cont *k)
{
	uint8_t d[2 + 64], r[4];
	size_t n = 0;
	ukey_rv rv;

	if (k->cid_valid)
		return UKEY_OK;
	if (!k->name_len || k->name_len > 64)
		return UKEY_E_ARGS;
	rv = gm_ensure_app(c);
	if (rv)
		return rv;
	memcpy(d, c->appid, 2);
	memcpy(d + 2, k->name, k->name_len);
	rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_open_container, 0, 0, d,
		    2 + k->name_len, 0, 0, r, sizeof(r), &n, NULL);
	if (rv == UKEY_E_SW_REF_NOT_FOUND) { /* the AppID went stale */
		rv = gm_open_app(c);
		if (!rv) {
			memcpy(d, c->appid, 2);
			rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_open_container, 0,
				    0, d, 2 + k->name_len, 0, 0, r, sizeof(r),
				    &n, NULL);
		}
	}
	if (rv == UKEY_E_BUFFER_TOO_SMALL)
		return UKEY_E_MALFORMED;
	if (rv)
		return rv;
	if (n != 2)
		return UKEY_E_MALFORMED;
	memcpy(k->cid, r, 2);
	k->cid_valid = 1;
	return UKEY_OK;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

ukey_rv gm_container_info(gm_ctx *c, gm_cont *k)
{
	uint8_t r[16];
	size_t n = 0;
	ukey_rv rv;

	rv = handle_cmd(c, k, c->cfg.ins_get_container_info, 0, 0, NULL, 0, 0,
			0, r, sizeof(r), &n);
	if (rv)
		return rv;
	/* Type(1) SignKeyBits(2) EncKeyBits(2) SignCertLen(2) EncCertLen(2) */
	if (n != 9 || r[0] > GM_CT_ECC)
		return UKEY_E_MALFORMED;
	k->type = r[0];
	k->bits[GM_ROLE_SIGN] = be16(r + 1);
	k->bits[GM_ROLE_ENC] = be16(r + 3);
	k->cert_len[GM_ROLE_SIGN] = be16(r + 5);
	k->cert_len[GM_ROLE_ENC] = be16(r + 7);
	for (int role = GM_ROLE_SIGN; role <= GM_ROLE_ENC; role++) {
		unsigned b = k->bits[role];

		if (k->cert_len[role] > c->cfg.max_cert_len)
			return UKEY_E_MALFORMED;
		/* RSA sizes this driver can use (SM2 keys: 256) */
		if (b && (b < 256 || b > 4096 || b % 8))
			return UKEY_E_MALFORMED;
		if (k->type == GM_CT_EMPTY && b)
			return UKEY_E_MALFORMED;
	}
	k->info_valid = 1;
	return UKEY_OK;
}

static uint8_t slot_of(const gm_ctx *c, int role)
{
	return role == GM_ROLE_SIGN ? c->cfg.slot_sign : c->cfg.slot_enc;
}

/* RSA public key blob: AlgID(4) BitLen(4) Modulus(256, right-aligned)
 * PublicExponent(4). Checked against the container's key size. */
static ukey_rv check_rsa_blob(const gm_cont *k, int role, const uint8_t *b,
			      size_t n)
{
	uint32_t bits;
	size_t mlen;

	if (n < 12)
		return UKEY_E_MALFORMED;
	bits = be32(b + 4);
	mlen = n - 12;
	if (bits < 256 || bits > mlen * 8 || bits % 8)
		return UKEY_E_MALFORMED;
	if (k->bits[role] && bits != k->bits[role])
		return UKEY_E_MALFORMED;
	/* the modulus has exactly `bits` significant bits */
	{
		size_t lead = mlen - bits / 8;

		for (size_t i = 0; i < lead; i++)
			if (b[8 + i])
				return UKEY_E_MALFORMED;
		if (!(b[8 + lead] & 0x80))
			return UKEY_E_MALFORMED;
	}
	if (be32(b + 8 + mlen) < 3 || !(b[8 + mlen + 3] & 1))
		return UKEY_E_MALFORMED;
	return UKEY_OK;
}

ukey_rv gm_export_pubkey(gm_ctx *c, gm_cont *k, int role)
{
	uint8_t r[1100];
	size_t n = 0;
	ukey_rv rv;

	rv = handle_cmd(c, k, c->cfg.ins_export_public_key, slot_of(c, role),
			0, NULL, 0, UKEY_LE_ANY, 0, r, sizeof(r), &n);
	if (rv)
		return rv;
	if (n != c->cfg.pubkey_blob_len)
		return UKEY_E_MALFORMED;
	if (k->type == GM_CT_RSA && (rv = check_rsa_blob(k, role, r, n)))
		return rv;
	free(k->pub[role]);
	k->pub[role] = malloc(n);
	if (!k->pub[role])
		return UKEY_E_NOMEM;
	memcpy(k->pub[role], r, n);
	k->pub_len[role] = n;
	return UKEY_OK;
}

ukey_rv gm_export_cert(gm_ctx *c, gm_cont *k, int role, uint8_t **der,
		       size_t *len)
{
	size_t cap = c->cfg.max_cert_len + 2, n = 0;
	uint8_t *r = malloc(cap);
	ukey_rv rv;

	*der = NULL;
	*len = 0;
	if (!r)
		return UKEY_E_NOMEM;
	rv = handle_cmd(c, k, c->cfg.ins_export_cert, slot_of(c, role), 0, NULL,
			0, UKEY_LE_ANY, 0, r, cap, &n);
	if (!rv && (n == 0 || n > c->cfg.max_cert_len))
		rv = UKEY_E_MALFORMED;
	if (rv) {
		free(r);
		return rv;
	}
	*der = r;
	*len = n;
	return UKEY_OK;
}

/* A chained upload: chunks of at most `chunk` bytes, P1 = flags | more,
 * P2 = chunk number. The last chunk's answer goes to resp. An empty
 * payload is one chunk without data. A forgotten handle (6A88) restarts
 * the whole upload once, with the handles opened again. */
static ukey_rv chained(gm_ctx *c, gm_cont *k, uint8_t ins, uint8_t flags,
		       const uint8_t *pl, size_t len, size_t chunk,
		       uint8_t *resp, size_t rcap, size_t *rlen)
{
	size_t nchunks = len ? (len + chunk - 1) / chunk : 1;
	ukey_rv rv = UKEY_OK;

	if (nchunks > 256)
		return UKEY_E_ARGS;
	for (int attempt = 0; attempt < 2; attempt++) {
		for (size_t i = 0; i < nchunks; i++) {
			size_t off = i * chunk;
			size_t l = len - off < chunk ? len - off : chunk;
			int last = i + 1 == nchunks;
			uint8_t d[255];

			if (!len)
				l = 0;
			rv = gm_ensure_app(c);
			if (!rv)
				rv = gm_ensure_cid(c, k);
			if (rv)
				return rv;
			memcpy(d, c->appid, 2);
			memcpy(d + 2, k->cid, 2);
			if (l)
				memcpy(d + 4, pl + off, l);
			rv = gm_cmd(c, c->cfg.cla, ins,
				    (uint8_t)(flags | (last ? 0 : c->cfg.chain_more_flag)),
				    (uint8_t)i, d, 4 + l, last && resp ? UKEY_LE_ANY : 0,
				    0, last ? resp : NULL, last ? rcap : 0,
				    last ? rlen : NULL, NULL);
			ukey_memzero(d, sizeof(d));
			if (rv == UKEY_E_BUFFER_TOO_SMALL)
				rv = UKEY_E_MALFORMED;
			if (rv)
				break;
		}
		if (rv != UKEY_E_SW_REF_NOT_FOUND || attempt)
			break;
		c->app_open = 0;
		k->cid_valid = 0;
	}
	return rv;
}

ukey_rv gm_import_cert(gm_ctx *c, gm_cont *k, int role, const uint8_t *der,
		       size_t len)
{
	if (len > c->cfg.max_cert_len)
		return UKEY_E_ARGS;
	return chained(c, k, c->cfg.ins_import_cert, slot_of(c, role), der, len,
		       c->cfg.max_cert_chunk, NULL, 0, NULL);
}

ukey_rv gm_rsa_sign(gm_ctx *c, gm_cont *k, const uint8_t *in, size_t inlen,
		    uint8_t *out, size_t *outlen)
{
	uint8_t r[600];
	size_t n = 0;
	ukey_rv rv;

	size_t mlen = inlen;

	if (!inlen || inlen > 512)
		return UKEY_E_ARGS;
	if (!c->cfg.rsa_sign_raw) {
		/* The card pads (PKCS#1 v1.5 type 1) itself: send only what
		 * the host's block carries after 00 01 FF..FF 00. Other
		 * encodings (PSS, X.509 raw) cannot be made by such a card. */
		size_t i = 2;

		if (inlen < 11 || in[0] != 0x00 || in[1] != 0x01)
			return UKEY_E_SW_FUNC_NOT_SUPPORTED;
		while (i < inlen && in[i] == 0xFF)
			i++;
		if (i < 10 || i >= inlen || in[i] != 0x00)
			return UKEY_E_SW_FUNC_NOT_SUPPORTED;
		in += i + 1;
		inlen -= i + 1;
		if (!inlen)
			return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	}
	rv = chained(c, k, c->cfg.ins_rsa_sign_data, 0, in, inlen,
		     c->cfg.max_sign_chunk, r, sizeof(r), &n);
	if (rv)
		return rv;
	if (n != mlen)
		return UKEY_E_MALFORMED;
	if (*outlen < n)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(out, r, n);
	*outlen = n;
	return UKEY_OK;
}

ukey_rv gm_create_container(gm_ctx *c, gm_cont *k)
{
	uint8_t r[4];
	size_t n = 0;
	ukey_rv rv;

	k->cid_valid = 0;
	rv = handle_cmd(c, NULL, c->cfg.ins_create_container, 0, 0,
			(const uint8_t *)k->name, k->name_len, 0, 0, r,
			sizeof(r), &n);
	if (rv)
		return rv;
	if (n != 2)
		return UKEY_E_MALFORMED;
	memcpy(k->cid, r, 2);
	k->cid_valid = 1;
	return UKEY_OK;
}

ukey_rv gm_delete_container(gm_ctx *c, const gm_cont *k)
{
	return handle_cmd(c, NULL, c->cfg.ins_delete_container, 0, 0,
			  (const uint8_t *)k->name, k->name_len, 0, 0, NULL, 0,
			  NULL);
}

ukey_rv gm_gen_rsa(gm_ctx *c, gm_cont *k, unsigned bits)
{
	uint8_t b[4] = { (uint8_t)(bits >> 24), (uint8_t)(bits >> 16),
			 (uint8_t)(bits >> 8), (uint8_t)bits };
	uint8_t r[1100];
	size_t n = 0;
	ukey_rv rv;

	rv = handle_cmd(c, k, c->cfg.ins_gen_rsa_key_pair, 0, 0, b, 4,
			UKEY_LE_ANY, 0, r, sizeof(r), &n);
	if (rv)
		return rv;
	k->type = GM_CT_RSA;
	k->bits[GM_ROLE_SIGN] = bits;
	if (n != c->cfg.pubkey_blob_len ||
	    check_rsa_blob(k, GM_ROLE_SIGN, r, n) != UKEY_OK)
		return UKEY_E_MALFORMED;
	free(k->pub[GM_ROLE_SIGN]);
	k->pub[GM_ROLE_SIGN] = malloc(n);
	if (!k->pub[GM_ROLE_SIGN])
		return UKEY_E_NOMEM;
	memcpy(k->pub[GM_ROLE_SIGN], r, n);
	k->pub_len[GM_ROLE_SIGN] = n;
	k->info_valid = 1;
	return UKEY_OK;
}

/* ---------------------------------------------------------------- PINs */

ukey_rv gm_pin_info(gm_ctx *c, uint8_t pin_type, unsigned *max,
		    unsigned *left, unsigned *deflt)
{
	uint8_t r[8];
	size_t n = 0;
	ukey_rv rv;

	rv = handle_cmd(c, NULL, c->cfg.ins_get_pin_info, 0, pin_type, NULL, 0,
			0, 0, r, sizeof(r), &n);
	if (rv)
		return rv;
	/* MaxRetry(1) Remaining(1) DefaultPIN(1) */
	if (n != 3 || r[0] == 0 || r[0] > 15 || r[1] > r[0] || r[2] > 1)
		return UKEY_E_MALFORMED;
	*max = r[0];
	*left = r[1];
	*deflt = r[2];
	return UKEY_OK;
}

void gm_pin_key(const gm_cfg *cfg, const uint8_t *pin, size_t len,
		uint8_t key[16])
{
	uint8_t md[EVP_MAX_MD_SIZE], buf[64];
	unsigned mdlen = 0;
	size_t n = len;

	if (n > sizeof(buf))
		n = sizeof(buf);
	memset(buf, 0, sizeof(buf));
	memcpy(buf, pin, n);
	/* gm3000: the PIN NUL-padded to at least 16 bytes */
	if (cfg->pincrypt == GM_PINCRYPT_GM3000 && n < 16)
		n = 16;
	if (EVP_Digest(buf, n, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen < 16)
		memset(md, 0, sizeof(md)); /* cannot happen; the card refuses */
	memcpy(key, md, 16);
	ukey_memzero(md, sizeof(md));
	ukey_memzero(buf, sizeof(buf));
}

ukey_rv gm_pin_cryptogram(const gm_cfg *cfg, const uint8_t key[16],
			  const uint8_t *chal, size_t chal_len,
			  uint8_t out[16])
{
	uint8_t blk[16];
	ukey_rv rv;

	if (chal_len != 8)
		return UKEY_E_ARGS;
	memset(blk, 0, sizeof(blk));
	if (cfg->pincrypt == GM_PINCRYPT_GM3000) {
		blk[0] = 8; /* uint16 little-endian length of the challenge */
		blk[1] = 0;
		memcpy(blk + 2, chal, 8);
		blk[10] = 0x80;
	} else {
		memcpy(blk, chal, 8);
		blk[8] = 0x80;
	}
	rv = ukey_sm4_ecb(key, 1, blk, 16, out);
	ukey_memzero(blk, sizeof(blk));
	return rv;
}

/* len(1) || PIN || 00..., SM4-ECB under key (pin_block_len bytes). */
ukey_rv gm_new_pin_block(const gm_cfg *cfg, const uint8_t key[16],
			 const uint8_t *pin, size_t len, uint8_t *out)
{
	uint8_t blk[64];
	ukey_rv rv;

	if (!len || len + 1 > cfg->pin_block_len || len > 255)
		return UKEY_E_ARGS;
	memset(blk, 0, sizeof(blk));
	blk[0] = (uint8_t)len;
	memcpy(blk + 1, pin, len);
	rv = ukey_sm4_ecb(key, 1, blk, cfg->pin_block_len, out);
	ukey_memzero(blk, sizeof(blk));
	return rv;
}

/* A PIN command: fresh challenge, then AppID || cryptogram || extra.
 * The challenge is good for the very next command only. */
static ukey_rv pin_cmd(gm_ctx *c, uint8_t ins, uint8_t p2,
		       const uint8_t key[16], const uint8_t *extra,
		       size_t extra_len, int *tries_left)
{
	uint8_t chal[8], pl[16 + 64];
	ukey_rv rv;

	if (tries_left)
		*tries_left = -1;
	if (extra_len > 64)
		return UKEY_E_ARGS;
	rv = gm_ensure_app(c);
	if (rv)
		return rv;
	for (int attempt = 0; attempt < 2; attempt++) {
		uint16_t sw = 0;
		uint8_t d[2 + sizeof(pl)];

		rv = gm_gen_random(c, chal, sizeof(chal));
		if (!rv)
			rv = gm_pin_cryptogram(&c->cfg, key, chal, sizeof(chal), pl);
		if (rv)
			break;
		if (extra_len)
			memcpy(pl + 16, extra, extra_len);
		memcpy(d, c->appid, 2);
		memcpy(d + 2, pl, 16 + extra_len);
		rv = gm_cmd(c, c->cfg.cla, ins, 0, p2, d, 2 + 16 + extra_len, 0,
			    1, NULL, 0, NULL, &sw);
		ukey_memzero(d, sizeof(d));
		if (rv == UKEY_E_SW_WRONG_PIN && tries_left)
			*tries_left = ukey_sw_tries_left(sw);
		if (rv != UKEY_E_SW_REF_NOT_FOUND || attempt)
			break;
		rv = gm_open_app(c);
		if (rv)
			break;
	}
	ukey_memzero(pl, sizeof(pl));
	ukey_memzero(chal, sizeof(chal));
	return rv;
}

ukey_rv gm_verify(gm_ctx *c, uint8_t pin_type, const uint8_t key[16],
		  int *tries_left)
{
	return pin_cmd(c, c->cfg.ins_verify_pin, pin_type, key, NULL, 0,
		       tries_left);
}

ukey_rv gm_change(gm_ctx *c, uint8_t pin_type, const uint8_t oldkey[16],
		  const uint8_t *newpin, size_t newlen, int *tries_left)
{
	uint8_t blk[64];
	ukey_rv rv = gm_new_pin_block(&c->cfg, oldkey, newpin, newlen, blk);

	if (!rv)
		rv = pin_cmd(c, c->cfg.ins_change_pin, pin_type, oldkey, blk,
			     c->cfg.pin_block_len, tries_left);
	ukey_memzero(blk, sizeof(blk));
	return rv;
}

ukey_rv gm_unblock(gm_ctx *c, const uint8_t adminkey[16],
		   const uint8_t *newpin, size_t newlen, int *tries_left)
{
	uint8_t blk[64];
	ukey_rv rv = gm_new_pin_block(&c->cfg, adminkey, newpin, newlen, blk);

	if (!rv)
		rv = pin_cmd(c, c->cfg.ins_unblock_pin, 0, adminkey, blk,
			     c->cfg.pin_block_len, tries_left);
	ukey_memzero(blk, sizeof(blk));
	return rv;
}

ukey_rv gm_clear_state(gm_ctx *c)
{
	if (!c->app_open)
		return UKEY_OK; /* nothing verified in an application we never opened */
	return handle_cmd(c, NULL, c->cfg.ins_clear_secure_state, 0, 0, NULL, 0,
			  0, 0, NULL, 0, NULL);
}

/* ------------------------------------------------------- applications */

ukey_rv gm_delete_app(gm_ctx *c, const char *name)
{
	size_t l = strlen(name);

	if (!l || l > c->cfg.max_app_name)
		return UKEY_E_ARGS;
	c->app_open = 0;
	return gm_cmd(c, c->cfg.cla, c->cfg.ins_delete_app, 0, 0,
		      (const uint8_t *)name, l, 0, 0, NULL, 0, NULL, NULL);
}

/* NameLen(1) Name AdminRetry(1) UserRetry(1) CreateFileRights(4)
 * admin PIN block, user PIN block (under the device key). Needs DevAuth. */
ukey_rv gm_create_app(gm_ctx *c, const char *name, const uint8_t *so_pin,
		      size_t so_len, const uint8_t *user_pin, size_t user_len)
{
	uint8_t d[255];
	size_t l = strlen(name), n = 0;
	ukey_rv rv;

	if (!l || l > c->cfg.max_app_name ||
	    1 + l + 6 + 2 * c->cfg.pin_block_len > sizeof(d))
		return UKEY_E_ARGS;
	d[n++] = (uint8_t)l;
	memcpy(d + n, name, l);
	n += l;
	d[n++] = (uint8_t)c->cfg.pin_retries;
	d[n++] = (uint8_t)c->cfg.pin_retries;
	/* CreateFileRights: admin or user (11) */
	d[n++] = 0;
	d[n++] = 0;
	d[n++] = 0;
	d[n++] = 0x11;
	rv = gm_new_pin_block(&c->cfg, c->cfg.dev_auth_key, so_pin, so_len, d + n);
	n += c->cfg.pin_block_len;
	if (!rv)
		rv = gm_new_pin_block(&c->cfg, c->cfg.dev_auth_key, user_pin,
				      user_len, d + n);
	n += c->cfg.pin_block_len;
	if (!rv)
		rv = gm_cmd(c, c->cfg.cla, c->cfg.ins_create_app, 0, 0, d, n, 0,
			    1, NULL, 0, NULL, NULL);
	ukey_memzero(d, sizeof(d));
	return rv;
}

ukey_rv gm_set_label(gm_ctx *c, const char *label)
{
	size_t l = strlen(label);

	if (!l)
		return UKEY_OK;
	if (l > 32)
		l = 32;
	return gm_cmd(c, c->cfg.cla, c->cfg.ins_set_label, 0, 0,
		      (const uint8_t *)label, l, 0, 0, NULL, 0, NULL, NULL);
}
