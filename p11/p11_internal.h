/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey p11/ — internal interfaces of the PKCS#11 module.
 *
 * Structure (modelled on a slot pool → slot → token → objects split):
 *   p11_module.c   C_Initialize/C_Finalize/C_GetInfo/C_GetFunctionList
 *   p11_lock.c     mutexes: OS (pthreads) or the application's callbacks
 *   p11_backend.c  the PC/SC + driver registry entry points (test hook)
 *   p11_slot.c     slot pool: one slot per reader, stable IDs, slot events
 *   p11_token.c    lazy binding of a card to a driver, transactions, reset
 *   p11_objcache.c the object cache (per class, handles kept across re-reads)
 *   p11_session.c  sessions and their handles
 *   p11_login.c    C_Login/C_Logout/C_SetPIN/C_InitPIN/C_InitToken
 *   p11_attr.c     ukey_object → PKCS#11 attributes
 *   p11_object.c   object handles, find, create, destroy, set attributes
 *   p11_mech.c     mechanism table
 *   p11_rsa.c      host-side RSA padding/verification helpers (OpenSSL)
 *   p11_sign.c     sign / verify / encrypt / decrypt / digest
 *   p11_keygen.c   C_GenerateKeyPair
 *   p11_scratch.c  session private keys: scratch key records on the card
 *   p11_random.c   C_GenerateRandom / C_SeedRandom
 *   p11_stubs.c    everything we do not support
 *   p11_log.c      UKEY_DEBUG=p11 call tracing (never PINs)
 *
 * Locking: one global mutex (p11_g.lock) protects the module state and the
 * slot array; each slot has its own mutex (p11_slot.lock) protecting its
 * token, objects and sessions.
 * Order: the two are never nested today. The global lock is held only
 * briefly (slot lookup in p11_slot_get, p11_slots_refresh, the bookkeeping
 * of C_WaitForSlotEvent, C_Initialize/C_Finalize) and is released before a
 * slot lock is taken (p11_slot_lock, p11_session_acquire look the slot up,
 * then lock it). Nothing holding a slot lock takes the global lock. If a
 * nesting is ever needed: slot lock first, then the global lock — never a
 * slot lock while holding the global one.
 */
#ifndef UKEY_P11_INTERNAL_H
#define UKEY_P11_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <p11-kit/pkcs11.h>

#include "apdu.h"
#include "pcsc.h"
#include "driver.h"
#include "profile.h"

#define P11_MAX_SLOTS 32
#define P11_READER_MAX 256

/* ------------------------------------------------------------- backend */

/* Everything p11/ needs from apdu/ (PC/SC) and drivers/ (registry,
 * profiles), behind pointers so unit tests can inject a fake card. */
typedef struct p11_backend {
	ukey_rv (*open)(ukey_pcsc **out);
	void (*cancel)(ukey_pcsc *ctx);
	void (*close)(ukey_pcsc *ctx);
	ukey_rv (*list_readers)(ukey_pcsc *ctx, char ***names, size_t *count);
	void (*free_names)(char **names, size_t count);
	ukey_rv (*reader_state)(ukey_pcsc *ctx, const char *reader,
				ukey_reader_state *st);
	ukey_rv (*wait_change)(ukey_pcsc *ctx, const char *const *readers,
			       size_t n, long timeout_ms);
	ukey_rv (*connect)(ukey_pcsc *ctx, const char *reader,
			   ukey_pcsc_card **out);
	void (*disconnect)(ukey_pcsc_card *card, int reset);
	ukey_rv (*atr)(ukey_pcsc_card *card, uint8_t *atr, size_t cap,
		       size_t *len);
	ukey_rv (*begin)(ukey_pcsc_card *card);
	void (*end)(ukey_pcsc_card *card);
	ukey_xfer_fn xfer;
	const ukey_driver *(*driver_find)(const char *name);
	ukey_rv (*profiles_load)(ukey_profile_set *out);
	void (*profiles_free)(ukey_profile_set *set);
} p11_backend;

extern const p11_backend *p11_be;
/* Test hook: NULL restores the real backend. Only while not initialised. */
void p11_set_backend(const p11_backend *be);

/* --------------------------------------------------------------- locks */

typedef struct p11_mutex p11_mutex;
/* Configure from C_Initialize's arguments (NULL => OS locking). */
CK_RV p11_lock_setup(const CK_C_INITIALIZE_ARGS *args);
CK_RV p11_mutex_new(p11_mutex **out);
void p11_mutex_free(p11_mutex *m);
void p11_mutex_lock(p11_mutex *m);
void p11_mutex_unlock(p11_mutex *m);

/* ------------------------------------------------------------- objects */

/* A token object as the module presents it: the driver's object plus a
 * handle and values derived from a certificate's DER. */
typedef struct p11_obj {
	ukey_object o;
	CK_OBJECT_HANDLE handle;
	int derived;          /* cert fields below parsed */
	uint8_t *subject, *issuer, *serial, *spki;
	size_t subject_len, issuer_len, serial_len, spki_len;
	CK_DATE start, end;
	int has_dates;
	/* Session object (CKA_TOKEN false): the session that created it;
	 * CK_INVALID_HANDLE for token objects. Kept in host memory in its
	 * session's sobjs (data objects, certificates, public keys only). */
	CK_SESSION_HANDLE owner;
	/* A session key whose record is on the card (a scratch key record,
	 * p11_scratch.c): deleted from the card when its session ends. */
	int scratch;
} p11_obj;

void p11_obj_clear(p11_obj *po);

/* --------------------------------------------------------------- token */

typedef struct p11_token {
	ukey_pcsc_card *conn;
	ukey_card card;
	int bound;                  /* P11_BOUND, P11_UNBOUND, P11_REBIND_* */
	unsigned long event_count;  /* reader event count when bound */
	CK_USER_TYPE login;         /* (CK_USER_TYPE)-1 => nobody */
	ukey_pin_info pin_user, pin_so;
	int have_pin_user, have_pin_so;
	/* A wrong PIN was presented since the last successful verify
	 * (CKF_*_PIN_COUNT_LOW; kept across our own resets). */
	int pin_user_wrong, pin_so_wrong;

	p11_obj *objs;
	size_t nobjs;
	/* Classes whose cached objects are current (P11_CLS_BIT per
	 * ukey_obj_class). Objects of other classes may still be in objs
	 * (stale, kept for their handles) until their class is re-read. */
	unsigned cls_valid;
	/* The link to the card failed during the current transaction (no
	 * answer, reader or card gone): whatever code the driver made of it,
	 * the operation reports a removal. */
	int link_lost;
	/* Scratch key records of dead owners found by the last listing, to
	 * be deleted (p11_scratch_reclaim). */
	ukey_objlist reclaim;
} p11_token;

#define P11_CLS_BIT(c) (1u << (unsigned)(c))
#define P11_CLS_ALL (P11_CLS_BIT(UKEY_OBJ_CERT) | P11_CLS_BIT(UKEY_OBJ_PUBKEY) | \
		     P11_CLS_BIT(UKEY_OBJ_PRIVKEY) | P11_CLS_BIT(UKEY_OBJ_DATA))
#define P11_CLS_OTHER 1u /* a class value the module does not know */
/* P11_CLS_BIT of a class, P11_CLS_OTHER if it is not one we know. */
unsigned p11_cls_bit(int cls);
/* The object's class is current (not waiting for a re-read). */
int p11_obj_current(const p11_token *t, const p11_obj *po);

#define P11_NOBODY ((CK_USER_TYPE)-1)

/* Binding state of a token's driver. */
#define P11_UNBOUND 0         /* bind failed or not done */
#define P11_BOUND 1
#define P11_REBIND_FOREIGN 2  /* someone reset the card: rebind, re-list */
#define P11_REBIND_OWN 3      /* we reset it (logout): rebind, keep objects */
#define P11_RESELECT 4        /* we reset it, the driver has reselect: call
			       * that (keeps its state), bind only if it fails */

/* ---------------------------------------------------------------- ops */

typedef enum {
	P11_OP_NONE = 0,
	P11_OP_FIND,
	P11_OP_SIGN,
	P11_OP_VERIFY,
	P11_OP_ENCRYPT,
	P11_OP_DECRYPT,
	P11_OP_DIGEST
} p11_op_kind;

typedef struct p11_crypto_op {
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	void *mdctx;            /* EVP_MD_CTX* for hash-then-sign / digest */
	const void *md;         /* EVP_MD* hash of the mechanism (or NULL) */
	const void *mgf1_md;    /* PSS/OAEP */
	long salt_len;          /* PSS */
	uint8_t *label;         /* OAEP source data */
	size_t label_len;
	uint8_t *buf;           /* accumulated data of single-part mechs */
	size_t buf_len, buf_cap;
	int multipart;          /* Update called */
	uint8_t *result;        /* decrypt: result kept for a retry with a bigger buffer */
	size_t result_len;
	int have_result;
} p11_crypto_op;

/* -------------------------------------------------------------- session */

typedef struct p11_session {
	CK_SESSION_HANDLE handle;
	CK_FLAGS flags;
	int removed;            /* token went away: report DEVICE_REMOVED once */
	struct p11_session *next;

	/* find */
	int find_active;
	CK_OBJECT_HANDLE *found;
	size_t nfound, found_pos;

	p11_crypto_op sign, verify, enc, dec, dig;
	int sign_active, verify_active, enc_active, dec_active, dig_active;

	/* session objects created in this session (freed with it) */
	p11_obj *sobjs;
	size_t nsobjs;
} p11_session;

/* ----------------------------------------------------------------- slot */

typedef struct p11_slot {
	CK_SLOT_ID id;
	char reader[P11_READER_MAX];
	int listed;             /* reader is in the current reader list */
	int present_cached;     /* token present at the last list refresh */
	unsigned long wait_seen;/* event count last reported by WaitForSlotEvent */
	int wait_seen_present;
	p11_mutex *lock;        /* protects everything below */
	p11_token *token;       /* NULL => not bound */
	p11_session *sessions;
	unsigned long session_count, rw_session_count;
	unsigned long next_obj_handle;
	unsigned session_seq;
} p11_slot;

/* --------------------------------------------------------------- module */

typedef struct p11_module {
	int initialized;
	pid_t pid;
	p11_mutex *lock;        /* global */
	ukey_pcsc *pcsc;        /* NULL if PC/SC is unavailable */
	int finalizing;
	ukey_profile_set profiles;
	p11_slot *slots[P11_MAX_SLOTS];
	size_t nslots;
} p11_module;

extern p11_module p11_g;
extern int p11_wait_threads; /* threads in C_WaitForSlotEvent (global lock) */

/* Entry check for every C_* function except C_Initialize/GetFunctionList:
 * CKR_CRYPTOKI_NOT_INITIALIZED (also in a forked child). */
CK_RV p11_check_init(void);

/* ---------------------------------------------------------------- slots */

/* Refresh the reader list (global lock held by caller). */
void p11_slots_refresh(void);
/* Find a slot (any thread; takes the global lock briefly). */
p11_slot *p11_slot_get(CK_SLOT_ID id);
/* Front of the calls addressed by slot ID, checked in this order: library
 * initialized, the caller's pointer arguments given (args_ok), slot known.
 * On CKR_OK *out is the slot, locked. */
CK_RV p11_slot_lock(CK_SLOT_ID id, int args_ok, p11_slot **out);
void p11_slots_free(void);
/* Reader state of a slot, with profile recognition (no card I/O). */
int p11_slot_token_present(p11_slot *s, ukey_reader_state *st);

/* ---------------------------------------------------------------- token */

/* Make sure the slot's token is bound (slot lock held). Card I/O. */
CK_RV p11_token_ensure(p11_slot *s);
/* p11_token_ensure, once more when the card we knew is gone: a new card may
 * be in the reader already (slot lock held). */
CK_RV p11_token_ensure_current(p11_slot *s);
/* Bind + begin a transaction; handles reset (rebind) and removal. */
CK_RV p11_token_begin(p11_slot *s);
void p11_token_end(p11_slot *s);
/* The transport every token's channel uses (ctx: the p11_token): the
 * backend's xfer on the token's current connection, noting a lost link. */
ukey_rv p11_token_xfer(void *ctx, const uint8_t *cmd, size_t cmdlen,
		       uint8_t *rsp, size_t rspcap, size_t *rsplen);
/* Map a driver result; on UKEY_E_NO_CARD (or a lost link, whatever the
 * driver returned) drop the token, on reset forget the login. */
CK_RV p11_token_rv(p11_slot *s, ukey_rv rv);
/* Drop the token: sessions are marked removed (slot lock held). */
void p11_token_drop(p11_slot *s, int card_gone);
/* Check the reader state for removal/reinsertion (slot lock held). */
CK_RV p11_token_check_present(p11_slot *s);
/* Load the object cache (inside a transaction or not: begins its own). */
CK_RV p11_token_load_objects(p11_slot *s);
/* Load only the classes in mask (P11_CLS_BIT…): with a driver offering
 * list_class, each missing class is read by itself; otherwise (or when
 * nothing is cached yet and every class is wanted) the full list. May move
 * the objs array: look objects up again by handle afterwards. */
CK_RV p11_token_load_classes(p11_slot *s, unsigned mask);
void p11_token_invalidate_objects(p11_slot *s);
/* Reset the card (drops its security state, e.g. a verified PIN) and
 * reconnect; at the next transaction the driver re-selects (its reselect
 * operation, keeping what it read) or, without one, rebinds. */
CK_RV p11_token_reset_card(p11_slot *s);
CK_RV p11_ukey_to_ckr(ukey_rv rv);
/* Pad a NUL-terminated string into a fixed blank-padded field. */
void p11_pad(unsigned char *dst, size_t dstlen, const char *src);

/* -------------------------------------------------------------- session */

/* Look up a session and lock its slot. On success the slot lock is held:
 * release with p11_session_release. A removed token's session is freed
 * here and CKR_DEVICE_REMOVED returned once. */
CK_RV p11_session_acquire(CK_SESSION_HANDLE h, p11_slot **slot,
			  p11_session **sess);
void p11_session_release(p11_slot *s);
/* Release after an operation; frees a session whose removal rv reports. */
CK_RV p11_session_done(p11_slot *s, p11_session *se, CK_RV rv);
/* For the calls that can only refuse: the session handle's error if it has
 * one, else `answer`. */
CK_RV p11_session_answer(CK_SESSION_HANDLE h, CK_RV answer);
void p11_session_free(p11_session *se);
void p11_session_reset_ops(p11_session *se);
void p11_op_free(p11_crypto_op *op);
CK_STATE p11_session_state(const p11_slot *s, const p11_session *se);
int p11_session_is_rw(const p11_session *se);
/* Free every session of a slot (slot lock held). */
void p11_slot_free_sessions(p11_slot *s);

/* -------------------------------------------------------------- objects */

p11_obj *p11_obj_find(p11_slot *s, CK_OBJECT_HANDLE h);
/* Add a session object to se (takes o's buffers, o is zeroed); its handle. */
CK_RV p11_sobj_add(p11_slot *s, p11_session *se, ukey_object *o,
		   CK_OBJECT_HANDLE *out);
/* Number of session objects of all live sessions of the slot. */
size_t p11_sobj_count(const p11_slot *s);
/* Visible to this session (private objects need a user login). */
int p11_obj_visible(const p11_slot *s, const p11_obj *po);
/* Get one attribute: CKR_OK with val and len pointing to data valid until
 * the next call (tmp may be used as storage), or CKR_ATTRIBUTE_SENSITIVE /
 * CKR_ATTRIBUTE_TYPE_INVALID. May read the object value from the card. */
typedef struct {
	uint8_t small[64];
	uint8_t *heap;
} p11_attr_tmp;
CK_RV p11_attr_get(p11_slot *s, p11_obj *po, CK_ATTRIBUTE_TYPE type,
		   const void **val, size_t *len, p11_attr_tmp *tmp);
void p11_attr_tmp_free(p11_attr_tmp *t);
/* Read lazy values and derive certificate fields (slot lock held). */
CK_RV p11_obj_load_value(p11_slot *s, p11_obj *po);
/* Fill a key's missing modulus/exponent from its certificate (may read
 * the certificate from the card; re-find objects afterwards). */
CK_RV p11_key_from_cert(p11_slot *s, CK_OBJECT_HANDLE hkey);
/* Fill missing modulus/exponent of keys from related objects. */
void p11_objs_link(p11_token *t);
/* Classes (P11_CLS_BIT mask) an attribute of an object of class cls may
 * need besides cls itself (a key's subject comes from its certificate, a
 * certificate's category from the private keys, a key's modulus from its
 * public key or certificate). o may be NULL (any object of the class). */
unsigned p11_attr_deps(ukey_obj_class cls, const ukey_object *o,
		       CK_ATTRIBUTE_TYPE type);
/* Visible object by handle, its class loaded first (slot lock held). */
CK_RV p11_obj_lookup(p11_slot *s, CK_OBJECT_HANDLE h, p11_obj **out);

/* Template helpers */
const CK_ATTRIBUTE *p11_tmpl_find(const CK_ATTRIBUTE *t, CK_ULONG n,
				  CK_ATTRIBUTE_TYPE type);
/* CK_BBOOL attribute: -1 absent, 0/1, -2 malformed */
int p11_tmpl_bool(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type);
/* CK_ULONG attribute: 1 found, 0 absent, -1 malformed */
int p11_tmpl_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type,
		   CK_ULONG *out);
/* A CK_ULONG attribute the template must hold: CKR_OK (*out set),
 * CKR_TEMPLATE_INCOMPLETE when absent, CKR_ATTRIBUTE_VALUE_INVALID when
 * malformed. */
CK_RV p11_tmpl_ulong_need(const CK_ATTRIBUTE *t, CK_ULONG n,
			  CK_ATTRIBUTE_TYPE type, CK_ULONG *out);
CK_RV p11_tmpl_check(const CK_ATTRIBUTE *t, CK_ULONG n);
/* After a write: reload the cache and return the handle of the object with
 * this class and driver reference (0 if not found). */
CK_OBJECT_HANDLE p11_objs_reload_find(p11_slot *s, const ukey_object *o);

/* R/W session, not write-protected, user login for private objects. */
CK_RV p11_write_access(p11_slot *s, p11_session *se, int private_obj);
unsigned p11_usage_from_template(const CK_ATTRIBUTE *t, CK_ULONG n, int priv);

/* ------------------------------------------------- scratch key records */

/* The card label of this process's scratch key records. */
void p11_scratch_label(char *out, size_t cap);
/* The label marks a scratch key record (hidden from the token objects). */
int p11_scratch_is(const char *label);
/* A scratch record whose owner cannot be alive (slot lock held). */
int p11_scratch_reclaimable(const p11_slot *s, const ukey_object *o);
/* Delete t->reclaim's records (own transaction; errors ignored). */
void p11_scratch_reclaim(p11_slot *s);
/* Delete the session's scratch records from the card (slot lock held). */
void p11_scratch_end_session(p11_slot *s, p11_session *se);

/* ----------------------------------------------------------- mechanisms */

typedef struct {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
	int hw;         /* the card computes (private-key op or keygen) */
	int hash_nid;   /* NID of the hash for hash-then-sign, 0 none */
	int pss, oaep, raw, pkcs, digest;
} p11_mech_desc;
const p11_mech_desc *p11_mech_lookup(CK_MECHANISM_TYPE type);
/* The card OS can generate/import a key of this size (profile rsa_bits). */
int p11_mech_key_size_ok(const p11_slot *s, CK_ULONG bits);
/* The mechanisms an RSA key of the slot's token can be used with (private:
 * sign/decrypt on the card; public: verify/encrypt on the host), for
 * CKA_ALLOWED_MECHANISMS. Returns the count (out holds min(count, cap)). */
size_t p11_mech_for_key(const p11_slot *s, int priv, CK_MECHANISM_TYPE *out,
			size_t cap);

/* ------------------------------------------------------------ host RSA */

/* EVP_MD* for a CKM_SHA* hash or CKG_MGF1_* (NULL if unknown). */
const void *p11_md_for_ckm(CK_MECHANISM_TYPE hash);
const void *p11_md_for_mgf(CK_RSA_PKCS_MGF_TYPE mgf);
/* Encode an RSA signature input of k bytes. */
CK_RV p11_rsa_pkcs1_sign_encode(const uint8_t *in, size_t inlen, uint8_t *em,
				size_t k);
CK_RV p11_rsa_digestinfo(const void *md, const uint8_t *hash, size_t hlen,
			 uint8_t *out, size_t cap, size_t *outlen);
CK_RV p11_rsa_pss_encode(const uint8_t *n, size_t nlen, const uint8_t *mhash,
			 const void *md, const void *mgf1, long slen,
			 uint8_t *em);
CK_RV p11_rsa_pss_verify(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *mhash, const void *md,
			 const void *mgf1, long slen, const uint8_t *em);
/* Public raw op (m^e mod n), out is nlen bytes. */
CK_RV p11_rsa_public_raw(const uint8_t *n, size_t nlen, const uint8_t *e,
			 size_t elen, const uint8_t *in, size_t inlen,
			 uint8_t *out);
/* Encryption with padding: pad = RSA_PKCS1_PADDING/OAEP/NO_PADDING. */
CK_RV p11_rsa_encrypt(const uint8_t *n, size_t nlen, const uint8_t *e,
		      size_t elen, int pad, const void *md, const void *mgf1,
		      const uint8_t *label, size_t label_len,
		      const uint8_t *in, size_t inlen, uint8_t *out,
		      size_t *outlen);
/* Remove padding after a raw private decryption (constant-time in
 * OpenSSL). Returns CKR_ENCRYPTED_DATA_INVALID on bad padding. */
CK_RV p11_rsa_unpad(int pad, const void *md, const void *mgf1,
		    const uint8_t *label, size_t label_len, const uint8_t *em,
		    size_t k, uint8_t *out, size_t cap, size_t *outlen);
/* SPKI DER of an RSA public key (malloc'd). */
CK_RV p11_rsa_spki(const uint8_t *n, size_t nlen, const uint8_t *e,
		   size_t elen, uint8_t **der, size_t *derlen);

/* ----------------------------------------------------------------- log */

void p11_log_init(void);
int p11_log_enabled(void);
CK_RV p11_log_rv(const char *fn, CK_RV rv);
void p11_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *p11_rv_name(CK_RV rv);

/* Constant-time secret wipe */
void p11_wipe(void *p, size_t n);

#endif /* UKEY_P11_INTERNAL_H */
