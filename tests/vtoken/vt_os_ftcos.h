/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* FTCOS ("entersafe") card OS emulation — internal interfaces between the
 * vt_os_ftcos*.c files. See /work/shared/reference/ftcos-command-set.md. */
#ifndef VT_OS_FTCOS_H
#define VT_OS_FTCOS_H

#include <stddef.h>
#include <stdint.h>

#include "vtoken.h"

#define FT_MAX_FILES 512
#define FT_MAX_KEYS 128
#define FT_MEM_LIMIT (256u * 1024u)  /* EF bytes a card holds */
#define FT_NONE 0xFFFFu

/* access-condition bytes (see ac_ok) */
#define FT_AC_FREE 0x10
#define FT_AC_NEVER 0xC0

/* key usages */
#define FT_USAGE_PIN 0x0B
#define FT_USAGE_RSA_PRIV 0x22
#define FT_USAGE_RSA_PUB 0x2A

typedef struct {
	uint8_t used;
	uint8_t is_df;
	uint16_t fid;
	uint16_t parent;          /* index; FT_NONE for the MF */
	/* DF */
	uint8_t name[16];         /* FCI tag 84 */
	uint8_t init_key[16];
	uint8_t df_acs[3];        /* create, append, lock */
	uint8_t file_count, flag;
	uint16_t key_file_size;
	/* EF */
	uint16_t size;
	uint8_t attr[2], ef_name, ac[10], sm[2];
	uint8_t *data;
} ft_file;

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QINV, RSA_NCOMP };

typedef struct {
	uint8_t *v;   /* big-endian magnitude, malloc'd */
	size_t len;
} ft_bn;

typedef struct {
	uint8_t used;
	uint16_t df;              /* DF index the record lives in */
	uint8_t usage, kid;
	uint8_t hdr[9];           /* len(2) usage use_ac change_ac update_ac algo ec ver */
	uint8_t written;          /* a value was set (WRITE KEY / generate / import) */
	uint8_t ec;               /* PIN error counter: high nibble max, low nibble left */
	uint8_t sym[32];          /* PIN / symmetric key value */
	uint8_t sym_len;
	ft_bn rsa[RSA_NCOMP];
} ft_key;

typedef struct {
	/* persistent */
	uint8_t serial[8];
	uint8_t transport_key[8];
	ft_file files[FT_MAX_FILES];
	ft_key keys[FT_MAX_KEYS];
	/* volatile */
	uint16_t cur_df, cur_ef;
	uint8_t chal[8];
	int chal_valid;
	uint16_t verified;        /* bit k: PIN kid k verified */
	int env_set, env_op;      /* env_op: 1 = key management (P1 01), 2 = PSO (41) */
	uint8_t env_kid, env_usage;
	uint8_t prefix[64];
	size_t prefix_len;
} ft_card;

#define FT_USAGE(k) ((k)->hdr[2])
#define FT_USE_AC(k) ((k)->hdr[3])
#define FT_CHANGE_AC(k) ((k)->hdr[4])
#define FT_UPDATE_AC(k) ((k)->hdr[5])

/* vt_os_ftcos_fs.c */
size_t ft_select(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 long le, uint8_t *rsp);
size_t ft_read_binary(ft_card *c, const uint8_t *cmd, long le, uint8_t *rsp);
size_t ft_update_binary(ft_card *c, const uint8_t *cmd, size_t lc,
			const uint8_t *data, uint8_t *rsp, int *dirty);
size_t ft_create(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty);
size_t ft_erase(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		uint8_t *rsp, int *dirty);
int ft_find_child(const ft_card *c, uint16_t df, uint16_t fid);
int ft_new_file(ft_card *c, uint16_t parent, uint16_t fid, int is_df);
size_t ft_mem_used(const ft_card *c);
int ft_ac_ok(const ft_card *c, uint8_t ac);
void ft_file_free(ft_file *f);

/* vt_os_ftcos_sec.c */
size_t ft_get_challenge(ft_card *c, long le, uint8_t *rsp);
/* Check the 4-byte MAC at the end of data (CLA 84). 0 ok, else the SW. */
uint16_t ft_check_mac(ft_card *c, const uint8_t *cmd, size_t lc,
		      const uint8_t *data, const uint8_t *key, size_t keylen);
/* The MAC an FTCOS host computes (used by the replay test too). */
int ft_mac(const uint8_t *key, size_t keylen, const uint8_t iv[8],
	   const uint8_t *hdr4, size_t lc_total, const uint8_t *data,
	   size_t datalen, uint8_t mac4[4]);
int ft_3des_ecb(const uint8_t key[16], int enc, const uint8_t *in, size_t len,
		uint8_t *out);
size_t ft_install_key(ft_card *c, const uint8_t *cmd, size_t lc,
		      const uint8_t *data, uint8_t *rsp, int *dirty);
size_t ft_write_key(ft_card *c, const uint8_t *cmd, size_t lc,
		    const uint8_t *data, uint8_t *rsp, int *dirty);
size_t ft_verify(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty);
size_t ft_change(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
		 uint8_t *rsp, int *dirty);
ft_key *ft_find_key(ft_card *c, uint16_t df, uint8_t usage, uint8_t kid);
/* Search the current DF and its ancestors. */
ft_key *ft_lookup_key(ft_card *c, uint8_t usage, uint8_t kid);
ft_key *ft_add_key(ft_card *c, uint16_t df, uint8_t usage, uint8_t kid);
void ft_key_clear(ft_key *k);
int ft_bn_set(ft_bn *b, const uint8_t *v, size_t len, int little_endian);

/* vt_os_ftcos_rsa.c */
size_t ft_mse(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
	      uint8_t *rsp);
size_t ft_generate_or_import(ft_card *c, const uint8_t *cmd, size_t lc,
			     const uint8_t *data, uint8_t *rsp, int *dirty);
size_t ft_read_pubkey(ft_card *c, const uint8_t *cmd, uint8_t *rsp);
size_t ft_pso(ft_card *c, const uint8_t *cmd, size_t lc, const uint8_t *data,
	      uint8_t *rsp);
/* Fill priv/pub records of kid from a fresh key of `bits` bits. 0 ok. */
int ft_rsa_generate(ft_key *priv, ft_key *pub, unsigned bits);
/* Big-endian modulus of kid (from either record); NULL if unknown. */
const ft_bn *ft_rsa_modulus(ft_card *c, uint8_t kid);

/* vt_os_ftcos_perso.c */
int ft_perso(ft_card *c, const vt_init_params *p);
/* building blocks shared with the espk layout (-1 / NULL on failure) */
int ft_p_add_df(ft_card *c, int parent, uint16_t fid, const uint8_t name[16],
		uint8_t cnt, uint8_t flag, uint16_t kfs);
int ft_p_add_ef(ft_card *c, int parent, uint16_t fid, size_t size,
		const uint8_t ac[10], uint16_t attr, const uint8_t *content,
		size_t clen);
ft_key *ft_p_add_key(ft_card *c, int df, uint8_t kid, const uint8_t hdr[9]);
int ft_p_set_pin(ft_key *k, const char *pin);
int ft_p_make_cert(const vt_init_params *p, const ft_key *priv, uint8_t **der,
		   size_t *dlen);

/* vt_os_ftcos_espk.c */
int ft_espk_perso(ft_card *c, const vt_init_params *p);
void ft_describe(ft_card *c, FILE *out);

/* vt_os_ftcos.c: the card model. The transport key is burnt into the chip
 * at manufacture, so it lives in the state image (never derived from the
 * reader or from --atr once the image exists). ePass3000 (its ATR under the
 * reference's mask) uses 01..08, every other FTCOS model the default key. */
int ft_atr_is_epass3000(const uint8_t *atr, size_t len);
/* Give a blank or freshly created card the transport key of the model the
 * ATR names. */
void ft_set_model_from_atr(ft_card *c, const uint8_t *atr, size_t len);
/* 1 if the card's transport key is the one of the model the ATR names. */
int ft_model_matches_atr(const ft_card *c, const uint8_t *atr, size_t len);

/* default keys from the reference */
extern const uint8_t ft_default_transport_key[8];
extern const uint8_t ft_epass3000_transport_key[8];
extern const uint8_t ft_default_init_key[16];
extern const uint8_t ft_default_maint_key[16];

#endif /* VT_OS_FTCOS_H */
