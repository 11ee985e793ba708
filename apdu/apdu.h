/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey apdu/ — ISO 7816-4 APDUs over a byte transport (PC/SC in production,
 * anything with a transmit callback in tests).
 *
 * This layer knows no driver and no card OS: it encodes commands, parses
 * responses strictly, runs the transport-level loops (61xx GET RESPONSE,
 * 6Cxx re-send, command chaining), maps status words, traces with secrets
 * redacted, and offers the DES/3DES MAC primitives secure messaging needs.
 */
#ifndef UKEY_APDU_H
#define UKEY_APDU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

/* Every function of apdu/ returns one of these (0 = success). */
typedef enum {
	UKEY_OK = 0,
	UKEY_E_ARGS,            /* caller passed something invalid */
	UKEY_E_NOMEM,
	UKEY_E_BUFFER_TOO_SMALL,
	UKEY_E_MALFORMED,       /* card/reader data failed a length or format check */
	UKEY_E_TRANSPORT,       /* reader/transport failure (I/O, protocol) */
	UKEY_E_NO_CARD,         /* no card in the reader / card removed */
	UKEY_E_CARD_RESET,      /* card was reset by someone: reconnected, login state lost */
	UKEY_E_NO_READER,       /* reader gone */
	UKEY_E_TIMEOUT,
	UKEY_E_SHARING,         /* reader used exclusively by another process */
	UKEY_E_TOO_MANY_61,     /* GET RESPONSE loop exceeded its configured maximum */
	UKEY_E_CRYPTO,          /* OpenSSL failure in SM helpers */
	/* status-word classes (see ukey_sw_to_err) */
	UKEY_E_SW_WRONG_PIN,        /* 63Cx / 63 00 */
	UKEY_E_SW_PIN_BLOCKED,      /* 6983 */
	UKEY_E_SW_SECURITY,         /* 6982: security status not satisfied */
	UKEY_E_SW_COND_NOT_SAT,     /* 6985 */
	UKEY_E_SW_FILE_NOT_FOUND,   /* 6A82 */
	UKEY_E_SW_NOT_ENOUGH_SPACE, /* 6A84 */
	UKEY_E_SW_WRONG_LENGTH,     /* 6700 */
	UKEY_E_SW_WRONG_DATA,       /* 6A80 */
	UKEY_E_SW_WRONG_P1P2,       /* 6A86, 6B00 */
	UKEY_E_SW_INS_NOT_SUPPORTED,/* 6D00 */
	UKEY_E_SW_CLA_NOT_SUPPORTED,/* 6E00 */
	UKEY_E_SW_FILE_EXISTS,      /* 6A89 */
	UKEY_E_SW_REF_NOT_FOUND,    /* 6A88 */
	UKEY_E_SW_FUNC_NOT_SUPPORTED,/* 6A81 */
	UKEY_E_SW_MEMORY,           /* 6581 */
	UKEY_E_SW_SM,               /* 6987, 6988: secure messaging / MAC wrong */
	UKEY_E_SW_OTHER             /* anything else that is not 9000 */
} ukey_rv;

/* Human-readable, one line, never NULL. */
const char *ukey_strerror(ukey_rv rv);
/* 1 when rv says the link to the card failed (no memory, transport, card
 * or reader gone, reset, timeout, sharing), 0 for success, a refusal of
 * the card or a malformed answer. */
int ukey_rv_link_error(ukey_rv rv);

/* ------------------------------------------------------------ status words */

#define UKEY_SW_OK 0x9000u

/* Map a status word to an error (9000 and 61xx => UKEY_OK). */
ukey_rv ukey_sw_to_err(uint16_t sw);
/* One-line text for a status word, e.g. "wrong PIN, 2 tries left". Writes into
 * buf (always NUL-terminated) and returns buf. */
const char *ukey_sw_text(uint16_t sw, char *buf, size_t bufsz);
/* Tries left encoded in 63Cx (0..15); -1 if sw is not 63Cx. */
int ukey_sw_tries_left(uint16_t sw);

/* ----------------------------------------------------------- command APDUs */

/* Le value meaning "as much as the card has" (00 short, 0000 extended). */
#define UKEY_LE_ANY ((size_t)-1)

/* Flags on a command. */
#define UKEY_APDU_SENSITIVE 0x01u /* data carries a PIN/key: traces redact it */
#define UKEY_APDU_NO_CHAIN  0x02u /* never chain this command even if allowed */

typedef struct {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* command data (may be NULL when lc == 0) */
	size_t lc;           /* 0 => no data field */
	size_t le;           /* 0 => no Le field (case 1/3); UKEY_LE_ANY; else 1..65536 */
	unsigned flags;
} ukey_apdu;

/* Maximum encoded size: 4 header + 3 Lc + 65535 data + 3 Le (extended). */
#define UKEY_APDU_MAX_ENCODED (4 + 3 + 65535 + 3)
/* Maximum response we ever accept (data + SW). */
#define UKEY_RAPDU_MAX (65536 + 2)

/* Encode `a` into out. extended: 0 = short only (fails with UKEY_E_ARGS if it
 * does not fit), 1 = use extended length when Lc > 255 or Le > 256. */
ukey_rv ukey_apdu_encode(const ukey_apdu *a, int extended, uint8_t *out,
			 size_t outsz, size_t *outlen);

/* Decode a raw command APDU (used by traces and by tests). Strict: the
 * lengths must account for every byte. The returned data points into raw. */
ukey_rv ukey_apdu_decode(const uint8_t *raw, size_t rawlen, ukey_apdu *a);

/* Split a response APDU into data and SW. Needs at least 2 bytes. */
ukey_rv ukey_rapdu_split(const uint8_t *raw, size_t rawlen, size_t *datalen,
			 uint16_t *sw);

/* ---------------------------------------------------------------- transport */

/* A byte transport: send one command APDU, receive one response APDU. Must
 * return UKEY_OK and set *rsplen (>= 0) or an error. No loops here. */
typedef ukey_rv (*ukey_xfer_fn)(void *ctx, const uint8_t *cmd, size_t cmdlen,
				uint8_t *rsp, size_t rspcap, size_t *rsplen);

/* Per-channel options, usually filled from a vendor profile. */
typedef struct {
	int extended_ok;          /* card accepts extended-length APDUs */
	int chaining_ok;          /* card accepts command chaining (CLA |= 0x10) */
	size_t max_lc;            /* largest Lc per command (chunk size when chaining); 0 => 255 */
	unsigned max_get_response;/* max GET RESPONSE per logical command; 0 => 64 */
	uint8_t get_response_cla; /* CLA for GET RESPONSE; 0 => 0x00 */
} ukey_chan_opts;

struct ukey_trace;

typedef struct ukey_chan {
	ukey_xfer_fn xfer;
	void *xfer_ctx;
	ukey_chan_opts opts;
	struct ukey_trace *trace;  /* NULL => no tracing */
	unsigned long apdu_count;  /* raw APDUs sent (every 61xx/6Cxx/chain step counts) */
} ukey_chan;

/* Initialise a channel (opts may be NULL for defaults). */
void ukey_chan_init(ukey_chan *ch, ukey_xfer_fn xfer, void *xfer_ctx,
		    const ukey_chan_opts *opts);

/* One logical exchange: encodes `a` (short unless extended_ok), chains it
 * when Lc > max_lc and chaining is allowed (else UKEY_E_ARGS), follows 61xx
 * with GET RESPONSE (concatenating data) and 6Cxx by re-sending with Le=xx.
 * On success *rlen is the response data length and *sw the final status
 * word (which may be an error SW: the caller decides; use ukey_sw_to_err).
 * A response that does not fit rbuf => UKEY_E_BUFFER_TOO_SMALL. */
ukey_rv ukey_transmit(ukey_chan *ch, const ukey_apdu *a, uint8_t *rbuf,
		      size_t rcap, size_t *rlen, uint16_t *sw);

/* Convenience: ukey_transmit then map SW (9000 => UKEY_OK, else error). */
ukey_rv ukey_transmit_ok(ukey_chan *ch, const ukey_apdu *a, uint8_t *rbuf,
			 size_t rcap, size_t *rlen, uint16_t *sw);

/* ----------------------------------------------------------------- tracing */

/* Tracing is configured from the environment: UKEY_DEBUG contains "apdu"
 * (comma-separated list) and optionally UKEY_DEBUG_FILE names a file to
 * append to (default stderr). Returns NULL when tracing is off. */
struct ukey_trace *ukey_trace_from_env(void);
/* Explicit: trace to an open FILE* (not closed by ukey_trace_free). */
struct ukey_trace *ukey_trace_new_fp(void *fp /* FILE* */);
void ukey_trace_free(struct ukey_trace *t);
/* Free-form line in the trace (e.g. "SELECT 3F00", "reader reset"). */
void ukey_trace_note(struct ukey_trace *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Log one raw exchange; redacts VERIFY (20), CHANGE REFERENCE DATA (24),
 * RESET RETRY COUNTER (2C), WRITE KEY (F4), and any command flagged
 * UKEY_APDU_SENSITIVE. usec = round-trip time. */
void ukey_trace_exchange(struct ukey_trace *t, const uint8_t *cmd,
			 size_t cmdlen, int sensitive, const uint8_t *rsp,
			 size_t rsplen, long usec);

/* ----------------------------------------------------------------- BER-TLV */

typedef struct {
	unsigned tag;          /* up to 3 tag bytes, as read (e.g. 0x6F, 0x5F2D) */
	const uint8_t *value;
	size_t len;
	int constructed;
} ukey_tlv;

/* Read one BER-TLV from *p (advancing *p and reducing *left). Strict:
 * lengths beyond the buffer, > 4 length bytes, indefinite length => error. */
ukey_rv ukey_tlv_next(const uint8_t **p, size_t *left, ukey_tlv *out);
/* Find first TLV with `tag` at the top level of buf. UKEY_E_SW_REF_NOT_FOUND
 * is NOT used here: returns UKEY_E_MALFORMED on bad data, and 1 (not found)
 * when the data is well-formed but lacks the tag. */
int ukey_tlv_find(const uint8_t *buf, size_t len, unsigned tag, ukey_tlv *out);

/* --------------------------------------------------------- secure messaging */

/* DES/3DES primitives on OpenSSL, in a private OSSL_LIB_CTX with the legacy
 * provider loaded (never in the application's default context). */
/* Single-DES or 2/3-key 3DES CBC MAC (ISO 9797-1 alg. 1, no padding added:
 * len must be a multiple of 8). keylen 8, 16 or 24. */
ukey_rv ukey_sm_cbc_mac(const uint8_t *key, size_t keylen, const uint8_t iv[8],
			const uint8_t *data, size_t len, uint8_t mac[8]);
/* ISO 9797-1 MAC algorithm 3 ("retail MAC"): single-DES CBC with K1 over all
 * blocks, last block finished with 3DES (K1,K2,K1). key = 16 bytes. len must
 * be a multiple of 8. */
ukey_rv ukey_sm_retail_mac(const uint8_t key[16], const uint8_t iv[8],
			   const uint8_t *data, size_t len, uint8_t mac[8]);
/* 2-key (16 bytes) or 3-key (24) 3DES ECB, encrypt (enc=1) or decrypt (0);
 * len must be a multiple of 8; in-place allowed. */
ukey_rv ukey_sm_3des_ecb(const uint8_t *key, size_t keylen, int enc,
			 const uint8_t *in, size_t len, uint8_t *out);
/* ISO 9797-1 padding method 2: append 80 then 00 up to a multiple of 8
 * (always at least one byte). Returns padded length or 0 if outsz too small. */
size_t ukey_sm_pad80(const uint8_t *in, size_t len, uint8_t *out, size_t outsz);
/* SM4 (GB/T 32907, 128-bit key and block) in the same private context
 * (OpenSSL 3's default provider), no padding: len must be a non-zero
 * multiple of 16; in-place allowed. enc = 1 encrypt, 0 decrypt. */
ukey_rv ukey_sm4_ecb(const uint8_t key[16], int enc, const uint8_t *in,
		     size_t len, uint8_t *out);
ukey_rv ukey_sm4_cbc(const uint8_t key[16], const uint8_t iv[16], int enc,
		     const uint8_t *in, size_t len, uint8_t *out);
/* Release the private library context (called from C_Finalize paths). */
void ukey_sm_cleanup(void);

/* Overwrite a secret in a way the compiler cannot drop. */
void ukey_memzero(void *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* UKEY_APDU_H */
