/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ukey-vtoken check --state FILE [--list] — an independent well-formedness
 * check of the ENTERSAFE-ESPK DF (3F00/2003) of a virtual FTCOS or
 * ePass2003 token's state image, by the layout's rules as the vendor
 * personalisations of vt_os_ftcos_espk.c / vt_os_epass2003_espk.c write
 * them. Shares no code with drivers/ (tests/vtoken links nothing of it):
 * the test of a writer, not a second copy of it.
 *
 * Rules checked:
 *  - index 6F01 exists, its size is a multiple of 30 (the record size);
 *    each record is a directory entry (FID FFFF, no file name), all zero
 *    (free), or a file record: printable NUL-padded names, a directory
 *    named by an earlier directory entry, FID and name unique, the file
 *    exists in the DF as a transparent EF, used <= allocated <= its size;
 *  - every attribute-stream file (cert*, pubk*, prvk*, and on FTCOS
 *    tokeninfo and containermap) parses exactly to its used size (zero
 *    padding allowed after the last attribute);
 *  - certificates: class 1 and a CKA_VALUE that is one whole X.509
 *    certificate; CKA_SUBJECT, when present, is its subject;
 *  - keys: class 2 / 3, one key-handle width on the token (1: FTCOS kid,
 *    4: ePass2003 A0xx / 80xx); no two private (public) key objects with
 *    one handle; a private key's handle names an existing key (FTCOS: an
 *    RSA key record of that kid in the DF; ePass2003: a private key file
 *    of that FID); each private key object has a public key object with
 *    the same CKA_ID and modulus, and that modulus is the card key's;
 *  - containermap: FTCOS, groups label / ID / key id each naming a private
 *    key object with that ID; ePass2003, a 32-byte header with the count,
 *    then that many 24-byte records (private handle of an existing private
 *    key object, public handle of a public key object or key file), zeros
 *    after them; cmapfile: whole 86-byte records, one per container.
 * --list prints each index record and each listed file (hex), so that a
 * test can compare two images record by record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "vt_os_epass2003.h"
#include "vt_os_ftcos.h"
#include "vtoken.h"

int vt_check_espk_main(int argc, char **argv);

#define MAXF 128
#define KH 0x80000100u

typedef struct {
	uint16_t fid;
	const uint8_t *data;
	size_t size;
} ck_ef;

typedef struct {
	int epass;                 /* 0 FTCOS, 1 ePass2003 */
	ck_ef ef[MAXF];
	size_t n_ef;
	/* FTCOS key records of the DF */
	ft_card *ft;
	uint16_t ft_df;
	vte_card *ep;
	uint16_t ep_df;
	int errors;
} ck_view;

typedef struct {
	uint16_t fid;
	char name[14], dir[11];
	size_t used, alloc;
	long cls;
	uint32_t h;
	uint32_t hw;
	const uint8_t *id, *mod;
	uint32_t idlen, modlen;
} ck_obj;

#include <stdarg.h>

__attribute__((format(printf, 2, 3)))
static void bad(ck_view *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "espk check: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	v->errors++;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static const ck_ef *ef_of(const ck_view *v, uint16_t fid)
{
	for (size_t i = 0; i < v->n_ef; i++)
		if (v->ef[i].fid == fid)
			return &v->ef[i];
	return NULL;
}

/* Walk an attribute stream: 1 well-formed to len (zeros after), 0 not. */
static int stream_ok(const uint8_t *b, size_t len)
{
	size_t p = 0;

	while (p + 8 <= len) {
		uint32_t t = rd32(b + p), l = rd32(b + p + 4);

		if (t == 0 && l == 0)
			break;
		if (l > len - p - 8)
			return 0;
		p += 8 + (size_t)l;
	}
	for (; p < len; p++)
		if (b[p])
			return 0;
	return 1;
}

static const uint8_t *attr(const uint8_t *b, size_t len, uint32_t type,
			   uint32_t *l_out)
{
	size_t p = 0;

	while (p + 8 <= len) {
		uint32_t t = rd32(b + p), l = rd32(b + p + 4);

		if ((t == 0 && l == 0) || l > len - p - 8)
			return NULL;
		if (t == type) {
			*l_out = l;
			return b + p + 8;
		}
		p += 8 + (size_t)l;
	}
	return NULL;
}

static void strip(const uint8_t **p, uint32_t *l)
{
	while (*l > 1 && (*p)[0] == 0) {
		(*p)++;
		(*l)--;
	}
}

static int same_int(const uint8_t *a, uint32_t al, const uint8_t *b, uint32_t bl)
{
	strip(&a, &al);
	strip(&b, &bl);
	return al == bl && !memcmp(a, b, al);
}

static int name_ok(const uint8_t *p, size_t n, int need)
{
	size_t i = 0;

	while (i < n && p[i]) {
		if (p[i] < 0x20 || p[i] > 0x7E)
			return 0;
		i++;
	}
	if (need && !i)
		return 0;
	for (; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int load_view(const char *state, ck_view *v, void **st, const vt_os **os)
{
	uint8_t *img = NULL;
	size_t len = 0;
	char name[33];

	memset(v, 0, sizeof(*v));
	if (vt_state_read(state, &img, &len)) {
		fprintf(stderr, "espk check: cannot read %s\n", state);
		return -1;
	}
	if (len < 7 || img[6] > 32 || (size_t)img[6] + 7 > len) {
		free(img);
		fprintf(stderr, "espk check: %s is not a vtoken image\n", state);
		return -1;
	}
	memcpy(name, img + 7, img[6]);
	name[img[6]] = 0;
	*os = vt_os_find(name);
	if (!*os || (*os != &vt_os_ftcos && *os != &vt_os_epass2003)) {
		free(img);
		fprintf(stderr, "espk check: '%s' tokens have no ESPK layout\n", name);
		return -1;
	}
	*st = vt_image_unwrap(*os, img, len);
	free(img);
	if (!*st)
		return -1;
	if (*os == &vt_os_ftcos) {
		ft_card *c = *st;
		int df = -1;

		v->ft = c;
		for (int i = 0; i < FT_MAX_FILES && df < 0; i++)
			if (c->files[i].used && c->files[i].is_df && c->files[i].fid == 0x2003 &&
			    c->files[i].parent < FT_MAX_FILES &&
			    c->files[c->files[i].parent].fid == 0x3F00)
				df = i;
		if (df < 0)
			return 1;
		v->ft_df = (uint16_t)df;
		for (int i = 0; i < FT_MAX_FILES && v->n_ef < MAXF; i++) {
			const ft_file *f = &c->files[i];

			if (f->used && !f->is_df && f->parent == df) {
				v->ef[v->n_ef].fid = f->fid;
				v->ef[v->n_ef].data = f->data;
				v->ef[v->n_ef++].size = f->data ? f->size : 0;
			}
		}
	} else {
		vte_card *c = *st;
		int df = -1;

		v->epass = 1;
		v->ep = c;
		for (int i = 0; i < VTE_MAX_FILES && df < 0; i++)
			if (c->files[i].used && c->files[i].type == VTE_FT_DF &&
			    c->files[i].fid == 0x2003)
				df = i;
		if (df < 0)
			return 1;
		v->ep_df = (uint16_t)df;
		for (int i = 0; i < VTE_MAX_FILES && v->n_ef < MAXF; i++) {
			const vte_file *f = &c->files[i];

			if (f->used && f->type == VTE_FT_EF && f->parent == df) {
				v->ef[v->n_ef].fid = f->fid;
				v->ef[v->n_ef].data = f->data;
				v->ef[v->n_ef++].size = f->data ? f->size : 0;
			}
		}
	}
	return 0;
}

/* The card key's modulus for a private handle; NULL: no such key. */
static const uint8_t *card_key(const ck_view *v, uint32_t h, uint32_t hw,
			       size_t *nlen, int *exists)
{
	*exists = 0;
	*nlen = 0;
	if (!v->epass) {
		if (hw != 1)
			return NULL;
		for (int i = 0; i < FT_MAX_KEYS; i++) {
			const ft_key *k = &v->ft->keys[i];

			if (k->used && k->df == v->ft_df && k->kid == h &&
			    k->usage == FT_USAGE_RSA_PRIV)
				*exists = 1;
			if (k->used && k->df == v->ft_df && k->kid == h &&
			    k->usage == FT_USAGE_RSA_PUB && k->rsa[RSA_N].len) {
				*nlen = k->rsa[RSA_N].len;
				return k->rsa[RSA_N].v;
			}
		}
		return NULL;
	}
	if (hw != 4)
		return NULL;
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		const vte_file *f = &v->ep->files[i];

		if (f->used && f->parent == v->ep_df && f->fid == h &&
		    f->type == VTE_FT_RSA_PRIV) {
			*exists = 1;
			*nlen = f->n.len;
			return f->n.len ? f->n.v : NULL;
		}
	}
	return NULL;
}

static int keyfile_exists(const ck_view *v, uint32_t h, uint8_t type)
{
	for (int i = 0; i < VTE_MAX_FILES; i++) {
		const vte_file *f = &v->ep->files[i];

		if (f->used && f->parent == v->ep_df && f->fid == h && f->type == type)
			return 1;
	}
	return 0;
}

static void hex(FILE *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%02X", p[i]);
}

static void check(ck_view *v, int list)
{
	const ck_ef *ix = ef_of(v, 0x6F01);
	ck_obj o[MAXF];
	size_t no = 0, nrec, containers = 0;
	char dirs[MAXF][11];
	size_t nd = 0;
	uint32_t hw = 0;

	if (!ix) {
		bad(v, "no index EF 6F01");
		return;
	}
	if (ix->size % 30)
		bad(v, "index size %u is not a multiple of 30", (unsigned)ix->size);
	nrec = ix->size / 30;
	for (size_t r = 0; r < nrec; r++) {
		const uint8_t *rec = ix->data + 30 * r;
		uint16_t fid = (uint16_t)(rec[0] | rec[1] << 8);
		int zero = 1;

		for (int i = 0; i < 30; i++)
			zero &= rec[i] == 0;
		if (list && !zero) {
			char nm[14];

			memcpy(nm, rec + 12, 13);
			nm[13] = 0;
			for (int i = 0; nm[i]; i++)
				if (nm[i] <= 0x20 || nm[i] > 0x7E)
					nm[i] = '?';
			printf("rec %02u %s ", (unsigned)r, nm[0] ? nm : "-");
			hex(stdout, rec, 30);
			printf("\n");
		}
		if (zero)
			continue;
		if (fid == 0x0000) {
			bad(v, "record %u: FID 0000 but not a free (all-zero) record", (unsigned)r);
			continue;
		}
		if (!name_ok(rec + 2, 10, fid == 0xFFFF) || !name_ok(rec + 12, 13, fid != 0xFFFF)) {
			bad(v, "record %u: directory or file name not printable / NUL-padded",
			    (unsigned)r);
			continue;
		}
		if (fid == 0xFFFF) {
			if (rec[12])
				bad(v, "directory entry %u has a file name", (unsigned)r);
			if (nd < MAXF) {
				memcpy(dirs[nd], rec + 2, 10);
				dirs[nd++][10] = 0;
			}
			continue;
		}
		if (no >= MAXF)
			break;
		ck_obj *x = &o[no];
		memset(x, 0, sizeof(*x));
		x->fid = fid;
		memcpy(x->dir, rec + 2, 10);
		memcpy(x->name, rec + 12, 13);
		x->used = (size_t)(rec[26] | rec[27] << 8);
		x->alloc = (size_t)(rec[28] | rec[29] << 8);
		int dir_known = 0;
		for (size_t d = 0; d < nd; d++)
			dir_known |= !strcmp(dirs[d], x->dir);
		if (!dir_known)
			bad(v, "%s: its directory has no earlier directory entry", x->name);
		for (size_t k = 0; k < no; k++) {
			if (o[k].fid == fid)
				bad(v, "%s: FID %04X listed twice", x->name, fid);
			if (!strcmp(o[k].name, x->name))
				bad(v, "%s: name listed twice", x->name);
		}
		if (fid == 0x6F01 || fid == 0x3F00 || fid == 0x2003)
			bad(v, "%s: reserved FID %04X", x->name, fid);
		const ck_ef *e = ef_of(v, fid);
		if (!e) {
			bad(v, "%s: file %04X does not exist", x->name, fid);
			no++;
			continue;
		}
		if (x->used > x->alloc || x->alloc > e->size)
			bad(v, "%s: used > allocated or allocated > file size (%u)", x->name,
			    (unsigned)e->size);
		if (list) {
			printf("file %04X %s ", fid, x->name);
			hex(stdout, e->data, x->used <= e->size ? x->used : e->size);
			printf("\n");
		}
		int kind = !strncmp(x->name, "cert", 4) ? 1 : !strncmp(x->name, "pubk", 4) ? 2 :
			   !strncmp(x->name, "prvk", 4) ? 3 : 0;
		int is_stream = kind || (!v->epass && (!strcmp(x->name, "tokeninfo") ||
						       !strcmp(x->name, "containermap")));
		size_t used = x->used <= e->size ? x->used : e->size;
		if (is_stream && !stream_ok(e->data, used))
			bad(v, "%s: attribute stream does not parse to its end", x->name);
		if (!kind || !stream_ok(e->data, used)) {
			no++;
			continue;
		}
		uint32_t l = 0;
		const uint8_t *p = attr(e->data, used, 0x000, &l);
		x->cls = p && l == 4 ? (long)rd32(p) : -1;
		if (x->cls != kind)
			bad(v, "%s: CKA_CLASS does not match the file kind %u", x->name, (unsigned)kind);
		x->id = attr(e->data, used, 0x102, &x->idlen);
		if (!x->id)
			bad(v, "%s: no CKA_ID", x->name);
		if (kind == 1) {
			const uint8_t *c = attr(e->data, used, 0x011, &l);
			const unsigned char *cp = c;
			X509 *cert = c ? d2i_X509(NULL, &cp, (long)l) : NULL;

			if (!cert || cp != c + l) {
				bad(v, "%s: CKA_VALUE is not one X.509 certificate", x->name);
			} else {
				uint32_t sl = 0;
				const uint8_t *s = attr(e->data, used, 0x101, &sl);
				unsigned char *der = NULL;
				int dl = i2d_X509_NAME(X509_get_subject_name(cert), &der);

				if (s && (dl <= 0 || (uint32_t)dl != sl || memcmp(der, s, sl)))
					bad(v, "%s: CKA_SUBJECT is not the certificate's subject", x->name);
				OPENSSL_free(der);
			}
			X509_free(cert);
		} else {
			const uint8_t *hp = attr(e->data, used, KH, &l);

			x->mod = attr(e->data, used, 0x120, &x->modlen);
			if (!x->mod)
				bad(v, "%s: no CKA_MODULUS", x->name);
			if (hp) {
				if (l != 1 && l != 4) {
					bad(v, "%s: key handle of %u bytes", x->name, l);
				} else {
					x->hw = l;
					x->h = l == 1 ? hp[0] : rd32(hp);
					if (hw && hw != l)
						bad(v, "%s: key handle width differs from the token's", x->name);
					hw = l;
				}
			} else if (kind == 3) {
				bad(v, "%s: private key without a key handle", x->name);
			}
		}
		no++;
	}
	/* keys: handles unique, pairs, card keys */
	for (size_t i = 0; i < no; i++) {
		if (o[i].cls != 2 && o[i].cls != 3)
			continue;
		for (size_t k = i + 1; k < no; k++)
			if (o[k].cls == o[i].cls && o[i].hw && o[k].hw && o[k].h == o[i].h)
				bad(v, "%s: key handle %04X also used by another object", o[k].name, o[k].h);
		if (o[i].cls != 3 || !o[i].hw)
			continue;
		int exists = 0, paired = 0;
		size_t nl = 0;
		const uint8_t *n = card_key(v, o[i].h, o[i].hw, &nl, &exists);

		if (!exists)
			bad(v, "%s: key handle %04X names no key on the card", o[i].name, o[i].h);
		if (n && o[i].mod && !same_int(n, (uint32_t)nl, o[i].mod, o[i].modlen))
			bad(v, "%s: CKA_MODULUS is not the card key's", o[i].name);
		for (size_t k = 0; k < no; k++)
			if (o[k].cls == 2 && o[k].id && o[i].id && o[k].idlen == o[i].idlen &&
			    !memcmp(o[k].id, o[i].id, o[i].idlen) && o[k].mod && o[i].mod &&
			    same_int(o[k].mod, o[k].modlen, o[i].mod, o[i].modlen))
				paired = 1;
		if (!paired)
			bad(v, "%s: no public key object with its CKA_ID and modulus", o[i].name);
	}
	/* containermap and cmapfile */
	for (size_t i = 0; i < no; i++) {
		const ck_ef *e = ef_of(v, o[i].fid);

		if (!e || strcmp(o[i].name, "containermap"))
			continue;
		size_t used = o[i].used <= e->size ? o[i].used : e->size;
		const uint8_t *b = e->data;

		if (!v->epass) {
			size_t p = 0;
			const uint8_t *id = NULL;
			uint32_t idl = 0;

			while (p + 8 <= used) {
				uint32_t t = rd32(b + p), l = rd32(b + p + 4);

				if ((t == 0 && l == 0) || l > used - p - 8)
					break;
				if (t == 0x102) {
					id = b + p + 8;
					idl = l;
				} else if (t == KH) {
					uint32_t h = l == 1 ? b[p + 8] : l == 4 ? rd32(b + p + 8) : 0xFFFFFFFF;
					int ok = 0;

					for (size_t k = 0; k < no; k++)
						if (o[k].cls == 3 && o[k].h == h && id && o[k].id &&
						    o[k].idlen == idl && !memcmp(o[k].id, id, idl))
							ok = 1;
					if (!ok)
						bad(v, "container %u names no private key object (ID, key id)",
						    (unsigned)containers);
					containers++;
					id = NULL;
				}
				p += 8 + (size_t)l;
			}
		} else {
			if (used < 32) {
				bad(v, "containermap shorter than its header");
				continue;
			}
			size_t cnt = b[0], end = 32 + 24 * cnt;

			if (end > used) {
				bad(v, "containermap count %u beyond its used size", (unsigned)cnt);
				continue;
			}
			for (size_t c = 0; c < cnt; c++) {
				const uint8_t *r = b + 32 + 24 * c;
				uint32_t hp = rd32(r), hu = rd32(r + 4);
				int ok = 0, okp = keyfile_exists(v, hu, VTE_FT_RSA_PUB);

				for (size_t k = 0; k < no; k++) {
					ok |= o[k].cls == 3 && o[k].h == hp;
					okp |= o[k].cls == 2 && o[k].h == hu;
				}
				for (int z = 8; z < 24; z++)
					ok &= r[z] == 0;
				if (!ok || !okp)
					bad(v, "container %u: handles name no key objects", (unsigned)c);
			}
			for (size_t z = end; z < used; z++)
				if (b[z]) {
					bad(v, "containermap: data after its %u records", (unsigned)cnt);
					break;
				}
			containers = cnt;
		}
	}
	for (size_t i = 0; i < no; i++) {
		if (strcmp(o[i].name, "cmapfile"))
			continue;
		if (o[i].used % 86)
			bad(v, "cmapfile: %u bytes, not whole 86-byte records", (unsigned)o[i].used);
		else if (o[i].used / 86 != containers)
			bad(v, "cmapfile: %u records for the containermap's containers",
			    (unsigned)(o[i].used / 86));
	}
	if (list) {
		/* FTCOS: RSA key records of the DF no private key object uses
		 * (where a new key pair can go without installing a record) */
		char spare[16] = "-";

		if (!v->epass) {
			unsigned n = 0;

			for (int i = 0; i < FT_MAX_KEYS; i++) {
				const ft_key *k = &v->ft->keys[i];
				int used = 0;

				if (!k->used || k->df != v->ft_df || k->usage != FT_USAGE_RSA_PRIV)
					continue;
				for (size_t j = 0; j < no; j++)
					used |= o[j].cls == 3 && o[j].hw == 1 && o[j].h == k->kid;
				n += !used;
			}
			snprintf(spare, sizeof(spare), "%u", n);
		}
		printf("form %s, %u index records, %u containers, %s spare key records\n",
		       v->epass ? "epass2003" : "ftcos", (unsigned)nrec, (unsigned)containers,
		       spare);
	}
}

int vt_check_espk_main(int argc, char **argv)
{
	const char *state = NULL;
	int list = 0, rc;
	void *st = NULL;
	const vt_os *os = NULL;
	ck_view *v;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--state") && i + 1 < argc)
			state = argv[++i];
		else if (!strcmp(argv[i], "--list"))
			list = 1;
		else
			state = NULL, i = argc;
	}
	if (!state) {
		fprintf(stderr, "usage: ukey-vtoken check --state FILE [--list]\n");
		return 2;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return 1;
	rc = load_view(state, v, &st, &os);
	if (rc == 1) {
		fprintf(stderr, "espk check: no ESPK DF 3F00/2003 on the token\n");
		v->errors++;
	} else if (rc == 0) {
		check(v, list);
	}
	if (st)
		os->destroy(st);
	rc = rc < 0 ? 1 : v->errors ? 1 : 0;
	if (!rc)
		fprintf(stderr, "espk check: OK\n");
	free(v);
	return rc;
}
