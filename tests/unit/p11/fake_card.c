/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fake reader stack + fake driver for the p11/ unit tests (see header). */
#define OPENSSL_API_COMPAT 0x10101000L

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "fake_card.h"
#include "p11_token.h"

const uint8_t fake_atr_known[4] = { 0x3B, 0x02, 0x14, 0x50 };
const uint8_t fake_atr_unknown[4] = { 0x3B, 0x02, 0x99, 0x99 };

fake_reader fake_readers[FAKE_MAX_READERS];
size_t fake_nreaders;
int fake_open_fails;
atomic_int fake_wait_calls;

static EVP_PKEY *key0;
static uint8_t *cert0;
static size_t cert0_len;
static int dummy_ctx;

/* ------------------------------------------------------------- backend */

static ukey_rv f_open(ukey_pcsc **out)
{
	if (fake_open_fails)
		return UKEY_E_TRANSPORT;
	*out = (ukey_pcsc *)&dummy_ctx;
	return UKEY_OK;
}
static void f_cancel(ukey_pcsc *c) { (void)c; }
static void f_close(ukey_pcsc *c) { (void)c; }

static ukey_rv f_list(ukey_pcsc *c, char ***names, size_t *count)
{
	(void)c;
	size_t n = 0;
	char **v = calloc(FAKE_MAX_READERS + 1, sizeof(*v));
	if (!v)
		return UKEY_E_NOMEM;
	for (size_t i = 0; i < fake_nreaders; i++)
		if (fake_readers[i].listed)
			v[n++] = strdup(fake_readers[i].name);
	*names = v;
	*count = n;
	return UKEY_OK;
}

static void f_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static fake_reader *by_name(const char *name)
{
	for (size_t i = 0; i < fake_nreaders; i++)
		if (fake_readers[i].listed && strcmp(fake_readers[i].name, name) == 0)
			return &fake_readers[i];
	return NULL;
}

static ukey_rv f_state(ukey_pcsc *c, const char *reader, ukey_reader_state *st)
{
	(void)c;
	fake_reader *r = by_name(reader);
	if (!r)
		return UKEY_E_NO_READER;
	memset(st, 0, sizeof(*st));
	st->present = r->present;
	st->mute = r->mute;
	st->event_count = r->event_count;
	if (r->present) {
		memcpy(st->atr, r->atr, r->atr_len);
		st->atr_len = r->atr_len;
	}
	return UKEY_OK;
}

static ukey_rv f_wait(ukey_pcsc *c, const char *const *readers, size_t n,
		      long timeout_ms)
{
	(void)c;
	(void)readers;
	(void)n;
	fake_wait_calls++;
	struct timespec ts = { 0, (timeout_ms > 10 ? 10 : timeout_ms) * 1000000L };
	nanosleep(&ts, NULL);
	return UKEY_E_TIMEOUT;
}

/* A connection remembers the card it was made to (its event count). */
typedef struct {
	fake_reader *r;
	unsigned long ev;
} fake_conn;

static ukey_rv f_connect(ukey_pcsc *c, const char *reader, ukey_pcsc_card **out)
{
	(void)c;
	fake_reader *r = by_name(reader);
	if (!r)
		return UKEY_E_NO_READER;
	if (!r->present)
		return UKEY_E_NO_CARD;
	fake_conn *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return UKEY_E_NOMEM;
	fc->r = r;
	fc->ev = r->event_count;
	r->connected++;
	*out = (ukey_pcsc_card *)fc;
	return UKEY_OK;
}

static void f_disconnect(ukey_pcsc_card *card, int reset)
{
	fake_conn *fc = (fake_conn *)card;
	fc->r->connected--;
	if (reset) {
		fc->r->logged_in = 0;
		fc->r->resets++;
	}
	free(fc);
}

static ukey_rv f_atr(ukey_pcsc_card *card, uint8_t *atr, size_t cap, size_t *len)
{
	fake_conn *fc = (fake_conn *)card;
	if (fc->r->atr_len > cap)
		return UKEY_E_BUFFER_TOO_SMALL;
	memcpy(atr, fc->r->atr, fc->r->atr_len);
	*len = fc->r->atr_len;
	return UKEY_OK;
}

static ukey_rv f_begin(ukey_pcsc_card *card)
{
	fake_conn *fc = (fake_conn *)card;
	if (!fc->r->present || fc->ev != fc->r->event_count)
		return UKEY_E_NO_CARD;
	if (fc->r->reset_pending) {
		fc->r->reset_pending = 0;
		fc->r->logged_in = 0;
		return UKEY_E_CARD_RESET;
	}
	fc->r->in_txn++;
	fc->r->begins++;
	return UKEY_OK;
}

static void f_end(ukey_pcsc_card *card)
{
	fake_conn *fc = (fake_conn *)card;
	fc->r->in_txn--;
}

static ukey_rv f_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
		      uint8_t *rsp, size_t cap, size_t *rlen)
{
	fake_conn *fc = ctx;
	(void)cmd;
	(void)cmdlen;
	/* What PC/SC gives when the card leaves during the exchange. */
	if (fc && fc->r && fc->r->empty_answer) {
		*rlen = 0;
		return UKEY_OK;
	}
	/* Less than a status word: the same for the module. */
	if (fc && fc->r && fc->r->short_answer && cap >= 1) {
		rsp[0] = 0x90;
		*rlen = 1;
		return UKEY_OK;
	}
	return UKEY_E_TRANSPORT; /* the fake driver sends APDUs only for this */
}

int fake_no_logout;
int fake_pin_counter_hidden;
int fake_no_so_pin;
int fake_list_class;
int fake_reselect;
int fake_sha256_state;
int fake_no_sign_raw;
static ukey_driver fake_driver_variant;
static ukey_rv d_list_class(ukey_card *card, ukey_obj_class cls,
			    ukey_objlist *out);
static ukey_rv d_reselect(ukey_card *card);
static ukey_rv d_sign_sha256_state(ukey_card *card, const ukey_object *key,
				   const uint8_t state[32], uint64_t full_blocks,
				   const uint8_t *tail, size_t tail_len,
				   uint8_t *out, size_t *outlen);

static const ukey_driver *f_driver_find(const char *name)
{
	if (strcmp(name, "fake") != 0)
		return NULL;
	if (!fake_no_logout && !fake_list_class && !fake_reselect &&
	    !fake_sha256_state && !fake_no_sign_raw)
		return &fake_driver;
	fake_driver_variant = fake_driver;
	if (fake_sha256_state)
		fake_driver_variant.sign_sha256_state = d_sign_sha256_state;
	if (fake_no_sign_raw)
		fake_driver_variant.sign_raw = NULL;
	if (fake_no_logout)
		fake_driver_variant.logout = NULL;
	if (fake_list_class)
		fake_driver_variant.list_class = d_list_class;
	if (fake_reselect)
		fake_driver_variant.reselect = d_reselect;
	return &fake_driver_variant;
}

static ukey_rv f_profiles_load(ukey_profile_set *out)
{
	out->v = calloc(1, sizeof(ukey_profile));
	if (!out->v)
		return UKEY_E_NOMEM;
	out->n = 1;
	ukey_profile *p = &out->v[0];
	snprintf(p->name, sizeof(p->name), "Fake token");
	snprintf(p->driver, sizeof(p->driver), "fake");
	snprintf(p->manufacturer, sizeof(p->manufacturer), "Fake Manufacturer");
	snprintf(p->model, sizeof(p->model), "FK-1");
	memcpy(p->atrs[0].atr, fake_atr_known, sizeof(fake_atr_known));
	memset(p->atrs[0].mask, 0xff, sizeof(fake_atr_known));
	p->atrs[0].len = sizeof(fake_atr_known);
	p->n_atrs = 1;
	p->pin_min = 4;
	p->pin_max = 16;
	snprintf(p->kv[0].key, sizeof(p->kv[0].key), "rsa_bits");
	snprintf(p->kv[0].value, sizeof(p->kv[0].value), "1024, 2048");
	p->n_kv = 1;
	return UKEY_OK;
}

static void f_profiles_free(ukey_profile_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

const p11_backend fake_backend = {
	.open = f_open, .cancel = f_cancel, .close = f_close,
	.list_readers = f_list, .free_names = f_free_names,
	.reader_state = f_state, .wait_change = f_wait,
	.connect = f_connect, .disconnect = f_disconnect, .atr = f_atr,
	.begin = f_begin, .end = f_end, .xfer = f_xfer,
	.driver_find = f_driver_find,
	.profiles_load = f_profiles_load, .profiles_free = f_profiles_free,
};

/* -------------------------------------------------------------- driver */

/* The module's card is part of its token, which holds the connection. */
static fake_reader *card_of(ukey_card *card)
{
	p11_token *t = (p11_token *)(void *)((char *)card -
					     offsetof(p11_token, card));
	fake_conn *fc = (fake_conn *)t->conn;
	return fc->r;
}

static ukey_rv d_bind(ukey_card *card)
{
	fake_reader *r = card_of(card);
	r->binds++;
	card->drv_data = r;
	snprintf(card->label, sizeof(card->label), "%s", r->label);
	snprintf(card->serial, sizeof(card->serial), "0000000000000001");
	card->token_initialized = 1;
	card->has_rng = 1;
	return UKEY_OK;
}

static void d_unbind(ukey_card *card)
{
	if (card->drv_data)
		((fake_reader *)card->drv_data)->unbinds++;
	card->drv_data = NULL;
}

/* What the driver keeps across our own reset must still be there: the
 * state bind made (drv_data) on the reader now connected again. */
static ukey_rv d_reselect(ukey_card *card)
{
	fake_reader *r = card_of(card);
	r->reselects++;
	if (card->drv_data != r)
		return UKEY_E_ARGS;
	if (r->reselect_fails)
		return UKEY_E_SW_FILE_NOT_FOUND;
	return UKEY_OK;
}

static int big_n_e(EVP_PKEY *pk, ukey_object *o)
{
	BIGNUM *n = NULL, *e = NULL;
	if (!EVP_PKEY_get_bn_param(pk, "n", &n) || !EVP_PKEY_get_bn_param(pk, "e", &e))
		return -1;
	o->modulus_len = (size_t)BN_num_bytes(n);
	o->modulus = malloc(o->modulus_len);
	o->pub_exp_len = (size_t)BN_num_bytes(e);
	o->pub_exp = malloc(o->pub_exp_len);
	BN_bn2bin(n, o->modulus);
	BN_bn2bin(e, o->pub_exp);
	o->key_bits = (unsigned)BN_num_bits(n);
	BN_free(n);
	BN_free(e);
	return 0;
}

/* Objects a broken or hostile layout could produce. */
static ukey_rv hostile_list(ukey_objlist *out)
{
	static const uint8_t junk[] = "not a certificate";
	ukey_object *o = ukey_objlist_add(out);
	o->cls = UKEY_OBJ_CERT;
	o->id_len = 1000;                      /* beyond UKEY_ID_MAX */
	memset(o->label, 'L', sizeof(o->label)); /* not terminated */
	o->value = malloc(sizeof(junk));
	memcpy(o->value, junk, sizeof(junk));
	o->value_len = sizeof(junk);
	o->drv_ref_len = 999;
	o = ukey_objlist_add(out);
	o->cls = UKEY_OBJ_PRIVKEY;              /* no size, no modulus */
	o->usage = UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT;
	o->id[0] = 9;
	o->id_len = 1;
	o = ukey_objlist_add(out);
	o->cls = UKEY_OBJ_PUBKEY;               /* empty modulus */
	o->modulus = malloc(1);
	o->modulus_len = 0;
	o->pub_exp = malloc(1);
	o->pub_exp_len = 0;
	memset(o->application, 'A', sizeof(o->application));
	o = ukey_objlist_add(out);
	o->cls = (ukey_obj_class)77;            /* unknown class */
	o = ukey_objlist_add(out);
	o->cls = UKEY_OBJ_DATA;                 /* lazily read, then missing */
	o->value_len = 50;
	return UKEY_OK;
}

/* A driver that sends a command, gets no answer and reports it as a code
 * of its own ("file not found"), as a layout reader may. */
static ukey_rv send_lost(ukey_card *card)
{
	static const uint8_t cmd[] = { 0x00, 0xB0, 0x00, 0x00, 0x00 };
	uint8_t rsp[8];
	size_t rl = 0;
	ukey_rv r = card->chan.xfer(card->chan.xfer_ctx, cmd, sizeof(cmd), rsp,
				    sizeof(rsp), &rl);
	return r != UKEY_OK || rl < 2 ? UKEY_E_SW_FILE_NOT_FOUND : UKEY_OK;
}

static ukey_rv list_all(fake_reader *r, ukey_objlist *out);

static ukey_rv d_list(ukey_card *card, ukey_objlist *out)
{
	fake_reader *r = card_of(card);
	if (r->removed_midway)
		return UKEY_E_NO_CARD;
	if (r->empty_answer || r->short_answer)
		return send_lost(card);
	r->lists++;
	return list_all(r, out);
}

/* One class only: the full list filtered (counted apart). */
static ukey_rv d_list_class(ukey_card *card, ukey_obj_class cls,
			    ukey_objlist *out)
{
	fake_reader *r = card_of(card);
	if (r->removed_midway)
		return UKEY_E_NO_CARD;
	if (r->empty_answer || r->short_answer)
		return send_lost(card);
	if (cls < UKEY_OBJ_CERT || cls > UKEY_OBJ_DATA)
		return UKEY_E_ARGS;
	r->class_lists[cls]++;
	ukey_objlist all = { 0 };
	ukey_rv rv = list_all(r, &all);
	for (size_t i = 0; rv == UKEY_OK && i < all.n; i++) {
		if (all.v[i].cls != cls)
			continue;
		ukey_object *o = ukey_objlist_add(out);
		if (!o) {
			rv = UKEY_E_NOMEM;
			break;
		}
		*o = all.v[i];
		memset(&all.v[i], 0, sizeof(all.v[i]));
	}
	ukey_objlist_clear(&all);
	return rv;
}

static ukey_rv list_all(fake_reader *r, ukey_objlist *out)
{
	if (r->hostile)
		return hostile_list(out);
	for (size_t i = 0; i < r->nkeys; i++) {
		fake_key *k = &r->keys[i];
		if (k->deleted)
			continue;
		for (int pub = 0; pub < 2 - r->hide_pub; pub++) {
			ukey_object *o = ukey_objlist_add(out);
			if (!o)
				return UKEY_E_NOMEM;
			o->cls = pub ? UKEY_OBJ_PUBKEY : UKEY_OBJ_PRIVKEY;
			memcpy(o->id, k->id, k->id_len);
			o->id_len = k->id_len;
			snprintf(o->label, sizeof(o->label), "%s", k->label);
			o->private_obj = !pub;
			o->modifiable = 1;
			o->native = k->native;
			o->usage = pub ? UKEY_USAGE_VERIFY | UKEY_USAGE_ENCRYPT
				       : UKEY_USAGE_SIGN | UKEY_USAGE_DECRYPT;
			/* private keys come without modulus: the module must
			 * take it from the public key */
			if (pub)
				big_n_e(k->pkey, o);
			o->drv_ref[0] = (uint8_t)(pub ? 0x80 | i : i);
			o->drv_ref_len = 1;
		}
	}
	if (r->cert) {
		ukey_object *o = ukey_objlist_add(out);
		o->cls = UKEY_OBJ_CERT;
		memcpy(o->id, r->keys[0].id, r->keys[0].id_len);
		o->id_len = r->keys[0].id_len;
		snprintf(o->label, sizeof(o->label), "Fake Cert");
		o->value_len = r->cert_len; /* value read lazily */
		o->drv_ref[0] = 0x40;
		o->drv_ref_len = 1;
	}
	for (int i = 0; i < 4; i++) {
		if (!r->wobj[i].used)
			continue;
		ukey_object *o = ukey_objlist_add(out);
		o->cls = r->wobj[i].cert ? UKEY_OBJ_CERT : UKEY_OBJ_DATA;
		o->private_obj = r->wobj[i].private_obj;
		o->modifiable = 1;
		snprintf(o->label, sizeof(o->label), "%s", r->wobj[i].label);
		snprintf(o->application, sizeof(o->application), "%s", r->wobj[i].app);
		memcpy(o->id, r->wobj[i].id, r->wobj[i].id_len);
		o->id_len = r->wobj[i].id_len;
		o->value = malloc(r->wobj[i].len ? r->wobj[i].len : 1);
		memcpy(o->value, r->wobj[i].value, r->wobj[i].len);
		o->value_len = r->wobj[i].len;
		o->drv_ref[0] = (uint8_t)(0x60 + i);
		o->drv_ref_len = 1;
	}
	for (int priv = 0; priv < 2; priv++) {
		ukey_object *o = ukey_objlist_add(out);
		o->cls = UKEY_OBJ_DATA;
		o->private_obj = priv;
		snprintf(o->label, sizeof(o->label), priv ? "secret" : "public");
		snprintf(o->application, sizeof(o->application), "fake-app");
		o->value = malloc(16);
		memcpy(o->value, priv ? r->data_priv : r->data_pub, 16);
		o->value_len = 16;
		o->drv_ref[0] = (uint8_t)(0x50 + priv);
		o->drv_ref_len = 1;
	}
	return UKEY_OK;
}

static ukey_rv d_read_value(ukey_card *card, ukey_object *obj)
{
	fake_reader *r = card_of(card);
	r->reads++;
	if (obj->cls != UKEY_OBJ_CERT || !r->cert)
		return UKEY_E_SW_FILE_NOT_FOUND;
	obj->value = malloc(r->cert_len);
	memcpy(obj->value, r->cert, r->cert_len);
	obj->value_len = r->cert_len;
	return UKEY_OK;
}

static ukey_rv d_pin_info(ukey_card *card, ukey_pin_role role, ukey_pin_info *pi)
{
	fake_reader *r = card_of(card);
	memset(pi, 0, sizeof(*pi));
	pi->present = 1;
	pi->initialized = 1;
	pi->min_len = 4;
	pi->max_len = 16;
	pi->max_tries = role == UKEY_PIN_USER ? r->max_tries : 3;
	pi->tries_left = role == UKEY_PIN_USER ? r->tries : 3;
	pi->blocked = role == UKEY_PIN_USER && r->tries == 0;
	if (fake_pin_counter_hidden) {
		/* like FTCOS: the counter shows only in a wrong VERIFY's SW */
		pi->max_tries = -1;
		pi->tries_left = -1;
		pi->blocked = 0;
	}
	if (role == UKEY_PIN_SO && fake_no_so_pin) {
		pi->present = 0;
		pi->initialized = 0;
	}
	return UKEY_OK;
}

static ukey_rv d_verify(ukey_card *card, ukey_pin_role role, const uint8_t *pin,
			size_t len, int *tries)
{
	fake_reader *r = card_of(card);
	if (role == UKEY_PIN_SO) {
		if (len != 8 || memcmp(pin, "87654321", 8) != 0)
			return UKEY_E_SW_WRONG_PIN;
		r->so_logged_in = 1;
		return UKEY_OK;
	}
	if (r->tries == 0)
		return UKEY_E_SW_PIN_BLOCKED;
	if (len != strlen(r->pin) || memcmp(pin, r->pin, len) != 0) {
		r->tries--;
		if (tries)
			*tries = r->tries;
		return r->tries ? UKEY_E_SW_WRONG_PIN : UKEY_E_SW_PIN_BLOCKED;
	}
	r->tries = r->max_tries;
	r->logged_in = 1;
	return UKEY_OK;
}

static ukey_rv d_change(ukey_card *card, ukey_pin_role role, const uint8_t *o,
			size_t ol, const uint8_t *n, size_t nl)
{
	int tries;
	ukey_rv rv = d_verify(card, role, o, ol, &tries);
	if (rv != UKEY_OK)
		return rv;
	fake_reader *r = card_of(card);
	memcpy(r->pin, n, nl);
	r->pin[nl] = '\0';
	return UKEY_OK;
}

static ukey_rv d_logout(ukey_card *card)
{
	card_of(card)->logged_in = 0;
	card_of(card)->so_logged_in = 0;
	return UKEY_OK;
}

static fake_key *key_of(fake_reader *r, const ukey_object *o)
{
	size_t i = o->drv_ref[0] & 0x7f;
	if (o->drv_ref_len != 1 || i >= r->nkeys || r->keys[i].deleted)
		return NULL;
	return &r->keys[i];
}

static ukey_rv raw_priv(ukey_card *card, const ukey_object *key,
			const uint8_t *in, size_t inlen, uint8_t *out,
			size_t *outlen)
{
	fake_reader *r = card_of(card);
	if (r->removed_midway)
		return UKEY_E_NO_CARD;
	if (!r->logged_in)
		return UKEY_E_SW_SECURITY;
	fake_key *k = key_of(r, key);
	if (!k)
		return UKEY_E_SW_REF_NOT_FOUND;
	RSA *rsa = (RSA *)EVP_PKEY_get0_RSA(k->pkey);
	if ((size_t)RSA_size(rsa) != inlen)
		return UKEY_E_SW_WRONG_LENGTH;
	int l = RSA_private_decrypt((int)inlen, in, out, rsa, RSA_NO_PADDING);
	if (l < 0)
		return UKEY_E_SW_WRONG_DATA;
	*outlen = (size_t)l;
	if (r->strip_zeros) {
		size_t z = 0;
		while (z + 1 < *outlen && out[z] == 0)
			z++;
		memmove(out, out + z, *outlen - z);
		*outlen -= z;
	}
	r->signs++;
	return UKEY_OK;
}

/* What the ePass2003 does with PSO HASH + PSO COMPUTE DIGITAL SIGNATURE:
 * finish SHA-256 from the given state, then RSA PKCS#1 v1.5 over the
 * DigestInfo. The hash is finished by OpenSSL's own SHA256_CTX (h and the
 * bit count Nl/Nh are public fields of sha.h), not by the module's
 * p11_sha256.c: a wrong midstate from the module gives a signature that
 * does not verify. */
static ukey_rv d_sign_sha256_state(ukey_card *card, const ukey_object *key,
				   const uint8_t state[32], uint64_t full_blocks,
				   const uint8_t *tail, size_t tail_len,
				   uint8_t *out, size_t *outlen)
{
	fake_reader *r = card_of(card);
	if (r->removed_midway)
		return UKEY_E_NO_CARD;
	if (tail_len >= 64 || (!tail && tail_len) || !state || !out || !outlen)
		return UKEY_E_ARGS;
	r->state_blocks = full_blocks;
	r->state_tail_len = tail_len;
	if (tail_len)
		memcpy(r->state_tail, tail, tail_len);
	r->state_outcap = *outlen;
	if (r->state_refuse || r->state_ins_unknown) {
		r->state_refusals++;
		return r->state_refuse ? UKEY_E_SW_FUNC_NOT_SUPPORTED
				       : UKEY_E_SW_INS_NOT_SUPPORTED;
	}
	if (!r->logged_in)
		return UKEY_E_SW_SECURITY;
	fake_key *k = key_of(r, key);
	if (!k)
		return UKEY_E_SW_REF_NOT_FOUND;
	SHA256_CTX c;
	uint8_t md[32];
	SHA256_Init(&c);
	for (int i = 0; i < 8; i++)
		c.h[i] = (SHA_LONG)state[4 * i] << 24 | (SHA_LONG)state[4 * i + 1] << 16 |
			 (SHA_LONG)state[4 * i + 2] << 8 | state[4 * i + 3];
	uint64_t bits = full_blocks * 512;
	c.Nl = (SHA_LONG)(bits & 0xffffffffu);
	c.Nh = (SHA_LONG)(bits >> 32);
	SHA256_Update(&c, tail, tail_len);
	SHA256_Final(md, &c);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);
	size_t sl = *outlen;
	int ok = pc && EVP_PKEY_sign_init(pc) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		 EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		 EVP_PKEY_sign(pc, out, &sl, md, sizeof(md)) == 1;
	EVP_PKEY_CTX_free(pc);
	if (!ok)
		return UKEY_E_SW_WRONG_LENGTH;
	*outlen = sl;
	if (r->strip_zeros) {
		size_t z = 0;
		while (z + 1 < *outlen && out[z] == 0)
			z++;
		memmove(out, out + z, *outlen - z);
		*outlen -= z;
	}
	r->state_signs++;
	return UKEY_OK;
}

static ukey_rv d_generate(ukey_card *card, const ukey_keygen_params *p,
			  ukey_object *pub, ukey_object *priv)
{
	fake_reader *r = card_of(card);
	if (r->nkeys >= FAKE_MAX_KEYS)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	if (p->bits != 1024 && p->bits != 2048)
		return UKEY_E_ARGS;
	fake_key *k = &r->keys[r->nkeys];
	memset(k, 0, sizeof(*k));
	k->pkey = EVP_RSA_gen(p->bits);
	if (!k->pkey)
		return UKEY_E_CRYPTO;
	if (p->id_len) {
		memcpy(k->id, p->id, p->id_len < 8 ? p->id_len : 8);
		k->id_len = p->id_len < 8 ? p->id_len : 8;
	} else {
		k->id[0] = (uint8_t)(0xA0 + r->nkeys);
		k->id_len = 1;
	}
	snprintf(k->label, sizeof(k->label), "%s", p->label);
	k->native = 1;
	/* the driver contract: pub carries modulus/exponent */
	big_n_e(k->pkey, pub);
	pub->key_bits = p->bits;
	priv->key_bits = p->bits;
	pub->drv_ref[0] = (uint8_t)(0x80 | r->nkeys);
	pub->drv_ref_len = 1;
	priv->drv_ref[0] = (uint8_t)r->nkeys;
	priv->drv_ref_len = 1;
	r->nkeys++;
	return UKEY_OK;
}

static ukey_rv d_delete(ukey_card *card, const ukey_object *obj)
{
	fake_reader *r = card_of(card);
	if (obj->cls == UKEY_OBJ_PRIVKEY) {
		fake_key *k = key_of(r, obj);
		if (!k)
			return UKEY_E_SW_FILE_NOT_FOUND;
		k->deleted = 1;
		r->deletes++;
		return UKEY_OK;
	}
	return UKEY_E_SW_FUNC_NOT_SUPPORTED;
}

static ukey_rv d_update(ukey_card *card, const ukey_object *obj)
{
	fake_reader *r = card_of(card);
	if (obj->cls != UKEY_OBJ_PRIVKEY && obj->cls != UKEY_OBJ_PUBKEY)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	fake_key *k = key_of(r, obj);
	if (!k)
		return UKEY_E_SW_FILE_NOT_FOUND;
	snprintf(k->label, sizeof(k->label), "%s", obj->label);
	return UKEY_OK;
}

static ukey_rv d_write(ukey_card *card, ukey_object *obj)
{
	fake_reader *r = card_of(card);
	if (obj->cls != UKEY_OBJ_CERT && obj->cls != UKEY_OBJ_DATA)
		return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	for (int i = 0; i < 4; i++) {
		if (r->wobj[i].used)
			continue;
		r->wobj[i].used = 1;
		r->wobj[i].cert = obj->cls == UKEY_OBJ_CERT;
		r->wobj[i].private_obj = obj->private_obj;
		snprintf(r->wobj[i].label, sizeof(r->wobj[i].label), "%s", obj->label);
		snprintf(r->wobj[i].app, sizeof(r->wobj[i].app), "%s", obj->application);
		memcpy(r->wobj[i].id, obj->id, obj->id_len);
		r->wobj[i].id_len = obj->id_len;
		r->wobj[i].value = malloc(obj->value_len ? obj->value_len : 1);
		if (obj->value_len)
			memcpy(r->wobj[i].value, obj->value, obj->value_len);
		r->wobj[i].len = obj->value_len;
		obj->drv_ref[0] = (uint8_t)(0x60 + i);
		obj->drv_ref_len = 1;
		return UKEY_OK;
	}
	return UKEY_E_SW_NOT_ENOUGH_SPACE;
}

static int bn_eq(EVP_PKEY *pk, const char *name, const uint8_t *v, size_t len)
{
	BIGNUM *a = NULL, *b = BN_bin2bn(v, (int)len, NULL);
	int eq = EVP_PKEY_get_bn_param(pk, name, &a) && b && BN_cmp(a, b) == 0;
	BN_free(a);
	BN_free(b);
	return eq;
}

/* Import accepts only key0's material, and checks every component. */
static ukey_rv d_import(ukey_card *card, const ukey_keygen_params *p,
			const ukey_rsa_material *m, ukey_object *priv)
{
	fake_reader *r = card_of(card);
	EVP_PKEY *k0 = fake_key0();
	if (!bn_eq(k0, "n", m->n, m->n_len) || !bn_eq(k0, "e", m->e, m->e_len) ||
	    !bn_eq(k0, "d", m->d, m->d_len) ||
	    !bn_eq(k0, "rsa-factor1", m->p, m->p_len) ||
	    !bn_eq(k0, "rsa-factor2", m->q, m->q_len) ||
	    !bn_eq(k0, "rsa-exponent1", m->dp, m->dp_len) ||
	    !bn_eq(k0, "rsa-exponent2", m->dq, m->dq_len) ||
	    !bn_eq(k0, "rsa-coefficient1", m->qinv, m->qinv_len))
		return UKEY_E_SW_WRONG_DATA;
	if (r->nkeys >= FAKE_MAX_KEYS || p->bits != 1024)
		return UKEY_E_SW_NOT_ENOUGH_SPACE;
	fake_key *k = &r->keys[r->nkeys];
	memset(k, 0, sizeof(*k));
	EVP_PKEY_up_ref(k0);
	k->pkey = k0;
	memcpy(k->id, p->id, p->id_len < 8 ? p->id_len : 8);
	k->id_len = p->id_len < 8 ? p->id_len : 8;
	snprintf(k->label, sizeof(k->label), "%s", p->label);
	priv->drv_ref[0] = (uint8_t)r->nkeys;
	priv->drv_ref_len = 1;
	r->nkeys++;
	return UKEY_OK;
}

static ukey_rv d_init_user_pin(ukey_card *card, const uint8_t *pin, size_t len)
{
	fake_reader *r = card_of(card);
	if (!r->so_logged_in)
		return UKEY_E_SW_SECURITY;
	memcpy(r->pin, pin, len);
	r->pin[len] = '\0';
	r->tries = r->max_tries;
	return UKEY_OK;
}

static ukey_rv d_init_token(ukey_card *card, const uint8_t *so, size_t so_len,
			    const char *label)
{
	fake_reader *r = card_of(card);
	if (so_len != 8 || memcmp(so, "87654321", 8) != 0)
		return UKEY_E_SW_WRONG_PIN;
	snprintf(r->label, sizeof(r->label), "%s", label);
	return UKEY_OK;
}

static ukey_rv d_random(ukey_card *card, uint8_t *buf, size_t len)
{
	(void)card;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	return UKEY_OK;
}

const ukey_driver fake_driver = {
	.name = "fake",
	.bind = d_bind, .unbind = d_unbind,
	.list_objects = d_list, .read_value = d_read_value,
	.pin_info = d_pin_info, .verify_pin = d_verify, .change_pin = d_change,
	.logout = d_logout,
	.sign_raw = raw_priv, .decipher_raw = raw_priv,
	.generate_rsa = d_generate,
	.update_object = d_update, .delete_object = d_delete,
	.get_random = d_random,
	.write_object = d_write,
	.import_rsa = d_import,
	.init_user_pin = d_init_user_pin,
	.init_token = d_init_token,
};

/* --------------------------------------------------------------- setup */

static void make_key0(void)
{
	if (key0)
		return;
	key0 = EVP_RSA_gen(1024);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 0x1234);
	X509_NAME *nm = X509_NAME_new();
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
				   (const unsigned char *)"fake token user", -1, -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_NAME_free(nm);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
	X509_set_pubkey(x, key0);
	X509_sign(x, key0, EVP_sha256());
	unsigned char *der = NULL;
	int l = i2d_X509(x, &der);
	cert0 = malloc((size_t)l);
	memcpy(cert0, der, (size_t)l);
	cert0_len = (size_t)l;
	OPENSSL_free(der);
	X509_free(x);
}

EVP_PKEY *fake_key0(void)
{
	return key0;
}

void fake_insert(size_t i, const uint8_t *atr, size_t len)
{
	fake_reader *r = &fake_readers[i];
	r->present = 1;
	memcpy(r->atr, atr, len);
	r->atr_len = len;
	r->event_count++;
	r->logged_in = 0;
}

void fake_remove(size_t i)
{
	fake_readers[i].present = 0;
	fake_readers[i].event_count++;
	fake_readers[i].logged_in = 0;
}

void fake_setup(void)
{
	make_key0();
	fake_teardown();
	fake_nreaders = 3;
	for (size_t i = 0; i < fake_nreaders; i++) {
		fake_reader *r = &fake_readers[i];
		snprintf(r->name, sizeof(r->name), "Fake Reader %zu", i);
		r->listed = 1;
		snprintf(r->label, sizeof(r->label), "Fake Token %zu", i);
		snprintf(r->pin, sizeof(r->pin), "1234");
		r->tries = r->max_tries = 3;
		memset(r->data_pub, 0x11, 16);
		memset(r->data_priv, 0x22, 16);
	}
	/* reader 0: personalised token; 1: unknown card; 2: empty */
	fake_reader *r = &fake_readers[0];
	fake_insert(0, fake_atr_known, sizeof(fake_atr_known));
	EVP_PKEY_up_ref(key0);
	r->keys[0].pkey = key0;
	r->keys[0].id[0] = 0x01;
	r->keys[0].id_len = 1;
	snprintf(r->keys[0].label, sizeof(r->keys[0].label), "Fake Key");
	r->nkeys = 1;
	r->cert = cert0;
	r->cert_len = cert0_len;
	fake_insert(1, fake_atr_unknown, sizeof(fake_atr_unknown));
}

void fake_teardown(void)
{
	for (size_t i = 0; i < FAKE_MAX_READERS; i++) {
		for (size_t k = 0; k < fake_readers[i].nkeys; k++)
			EVP_PKEY_free(fake_readers[i].keys[k].pkey);
		for (int k = 0; k < 4; k++)
			free(fake_readers[i].wobj[k].value);
		memset(&fake_readers[i], 0, sizeof(fake_readers[i]));
	}
	fake_nreaders = 0;
	fake_open_fails = 0;
	fake_wait_calls = 0;
	fake_no_logout = 0;
	fake_reselect = 0;
	fake_sha256_state = 0;
	fake_no_sign_raw = 0;
	fake_pin_counter_hidden = 0;
	fake_no_so_pin = 0;
}
