/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building blocks of the vendor's ENTERSAFE-ESPK layout (Feitian's own
 * middleware; public facts from OpenSC issue 3834), shared by the FTCOS
 * (vt_os_ftcos_espk.c) and ePass2003 (vt_os_epass2003_espk.c)
 * personalisations:
 *   - the flat PKCS#11 attribute stream of the object files:
 *     u32 type LE || u32 length LE || value, CK_ULONG as u32 LE, CK_BBOOL
 *     one byte;
 *   - the 30-byte records of the index file 6F01;
 *   - the contents both card OSes share: the certificate / public key /
 *     private key objects of one container, the Windows
 *     CONTAINER_MAP_RECORD of 6F05 and the card id of 6F03.
 * Which FIDs, directories, access bytes and key handles a card uses, and
 * the files whose format differs (6F02 tokeninfo, 6F04 containermap), stay
 * in each card OS's file. Functions returning int: 0 ok, -1 ENOMEM. */
#ifndef VT_ESPK_H
#define VT_ESPK_H

#include "vtoken.h"

/* PKCS#11 attribute types (retyped from the standard: the virtual tokens
 * include no PKCS#11 header) and the vendor's key-handle attribute. */
#define VT_CKA_CLASS 0x00u
#define VT_CKA_TOKEN 0x01u
#define VT_CKA_PRIVATE 0x02u
#define VT_CKA_LABEL 0x03u
#define VT_CKA_VALUE 0x11u
#define VT_CKA_CERTIFICATE_TYPE 0x80u
#define VT_CKA_SERIAL_NUMBER 0x82u
#define VT_CKA_KEY_TYPE 0x100u
#define VT_CKA_SUBJECT 0x101u
#define VT_CKA_ID 0x102u
#define VT_CKA_SENSITIVE 0x103u
#define VT_CKA_DECRYPT 0x105u
#define VT_CKA_SIGN 0x108u
#define VT_CKA_VERIFY 0x10Au
#define VT_CKA_MODULUS 0x120u
#define VT_CKA_PUBLIC_EXPONENT 0x122u
/* the key file (ePass2003: its FID as u32) or key id (FTCOS: one byte)
 * an object stands for */
#define VT_CKA_VENDOR_KEY 0x80000100u

/* Size of one index record and of one CONTAINER_MAP_RECORD. */
#define VT_ESPK_INDEX_REC 30
#define VT_ESPK_CMAP_REC 86

/* --- attribute stream */
/* One attribute: type, length (both u32 LE), value. */
int vt_espk_attr(vt_buf *b, uint32_t type, const void *v, size_t len);
/* A CK_ULONG attribute: 4-byte value, u32 LE. */
int vt_espk_attr_ulong(vt_buf *b, uint32_t type, uint32_t v);
/* A CK_BBOOL attribute: one byte, 01 for any non-zero v. */
int vt_espk_attr_bool(vt_buf *b, uint32_t type, int v);

/* --- index (6F01) */
/* The index being built: its records and the directory of the last one. */
typedef struct {
	vt_buf rec;
	const char *lastdir;
} vt_espk_index;

/* Append the record of file fid (FID LE; directory name[10] and file
 * name[13], zero-padded, cut to size; read access byte; used and allocated
 * size, u16 LE each) to the index. When dir differs from the previous
 * record's directory (or this is the first record), a directory entry
 * (FID FFFF, dir, empty name, the same access byte, sizes 0) goes first. */
int vt_espk_index_add(vt_espk_index *ix, uint16_t fid, const char *dir,
		      const char *name, uint8_t read_ac, size_t used, size_t alloc);

/* --- contents */
/* One container: the key pair and its certificate as the three object
 * files describe them. */
typedef struct {
	const char *name;            /* container name: CKA_LABEL of all three */
	uint8_t id[20];              /* CKA_ID: SHA-1 of the modulus */
	const uint8_t *mod;          /* CKA_MODULUS as the layout stores it */
	size_t mod_len;
	const uint8_t *exp;          /* CKA_PUBLIC_EXPONENT */
	size_t exp_len;
	const uint8_t *cert;         /* CKA_VALUE: the certificate, DER */
	size_t cert_len;
	const uint8_t *subj;         /* CKA_SUBJECT: its subject Name, DER */
	size_t subj_len;
	const void *pub_key;         /* CKA_VENDOR_KEY value of the public */
	const void *priv_key;        /*   and of the private key object */
	size_t key_len;              /*   (both this long) */
} vt_espk_cont;

/* CKA_ID of a container: SHA-1 over the modulus n (big-endian, without
 * a leading 00). */
void vt_espk_key_id(uint8_t id[20], const uint8_t *n, size_t nlen);

/* The three object files of container k:
 *   cert: CLASS 1 (certificate), TOKEN, CERTIFICATE_TYPE 0 (X.509), LABEL,
 *         ID, SUBJECT, VALUE;
 *   pub:  CLASS 2 (public key), KEY_TYPE 0 (RSA), TOKEN, LABEL, ID,
 *         MODULUS, PUBLIC_EXPONENT, VERIFY, vendor key;
 *   priv: CLASS 3 (private key), KEY_TYPE 0, TOKEN, PRIVATE, SENSITIVE,
 *         LABEL, ID, MODULUS, PUBLIC_EXPONENT, SIGN, DECRYPT, vendor key
 *         (no secret in it: the key itself is in the card's key store). */
int vt_espk_objects(const vt_espk_cont *k, vt_buf *cert, vt_buf *pub,
		    vt_buf *priv);

/* CONTAINER_MAP_RECORD of 6F05: UTF-16LE name[40] (ASCII name, at most
 * 39 characters), flags 03 (valid | default), reserved 00, signature key
 * bits 0, key-exchange key bits (u16 LE). */
void vt_espk_cmap_record(uint8_t rec[VT_ESPK_CMAP_REC], const char *name,
			 unsigned bits);

/* 6F03 card id: the 8-byte serial followed by 8 zero bytes. */
void vt_espk_card_id(uint8_t id[16], const uint8_t serial[8]);

/* The serial as 16 upper-case hex digits, NUL-terminated. */
void vt_espk_serial_hex(char hex[17], const uint8_t serial[8]);

#endif
