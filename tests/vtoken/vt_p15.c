/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PKCS#15 DER pieces of the Feitian personalisations (see vt_p15.h). */
#include <string.h>
#include <time.h>

#include "vt_der.h"
#include "vt_p15.h"

const uint8_t vt_p15_aid[12] = { 0xA0, 0x00, 0x00, 0x00, 0x63, 0x50,
				 0x4B, 0x43, 0x53, 0x2D, 0x31, 0x35 };
const uint8_t vt_p15_app_path[4] = { 0x3F, 0x00, 0x50, 0x15 };

/* Wrap e in a SEQUENCE onto o when rc is 0; e is freed either way. */
static int finish(vt_buf *o, vt_buf *e, int rc)
{
	if (rc) {
		vt_buf_free(e);
		return -1;
	}
	return vt_der_wrap(o, 0x30, e);
}

void vt_p15_files_free(vt_p15_files *f)
{
	vt_buf_free(&f->odf);
	vt_buf_free(&f->token_info);
	vt_buf_free(&f->aodf);
	vt_buf_free(&f->prkdf);
	vt_buf_free(&f->pukdf);
	vt_buf_free(&f->cdf);
}

int vt_p15_dir_record(vt_buf *out, const char *label)
{
	vt_buf app = { 0 };
	int rc = vt_der_tlv(&app, 0x4F, vt_p15_aid, sizeof vt_p15_aid) ||
		 vt_der_tlv(&app, 0x50, label, strlen(label)) ||
		 vt_der_tlv(&app, 0x51, vt_p15_app_path, sizeof vt_p15_app_path);
	if (rc) {
		vt_buf_free(&app);
		return -1;
	}
	return vt_der_wrap(out, 0x61, &app);
}

/* ODF entry: tag { Path 3F00/5015/fid }. */
static int odf_entry(vt_buf *o, uint8_t tag, uint16_t fid)
{
	uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, (uint8_t)(fid >> 8), (uint8_t)fid };
	vt_buf in = { 0 };
	if (vt_der_path(&in, path, 6)) {
		vt_buf_free(&in);
		return -1;
	}
	return vt_der_wrap(o, tag, &in);
}

int vt_p15_odf(vt_buf *o, int with_key)
{
	return odf_entry(o, 0xA8, 0x4401) ||
	       (with_key && (odf_entry(o, 0xA0, 0x4402) || odf_entry(o, 0xA1, 0x4403) ||
			     odf_entry(o, 0xA4, 0x4404))) ? -1 : 0;
}

int vt_p15_token_info(vt_buf *o, const uint8_t serial[8],
		      const char *manufacturer, const char *label,
		      uint8_t unused, uint8_t flags)
{
	vt_buf s = { 0 }, lu = { 0 };
	char when[16];
	time_t now = time(NULL);
	struct tm tmv;
	if (!gmtime_r(&now, &tmv) ||
	    strftime(when, sizeof when, "%Y%m%d%H%M%SZ", &tmv) != 15)
		return -1;
	int rc = vt_der_int(&s, 0) || vt_der_tlv(&s, 0x04, serial, 8) ||
		 vt_der_utf8(&s, manufacturer) ||
		 vt_der_tlv(&s, 0x80, label, strlen(label)) ||
		 vt_der_bits(&s, unused, &flags, 1) || vt_der_tlv(&lu, 0x18, when, 15) ||
		 vt_der_wrap(&s, 0xA5, &lu);
	vt_buf_free(&lu);
	return finish(o, &s, rc);
}

/* CommonObjectAttributes (see vt_p15.h's object layout). */
static int common_obj(vt_buf *o, const char *label, uint8_t flags, int auth_id)
{
	vt_buf in = { 0 };
	uint8_t a = (uint8_t)auth_id;
	int rc = vt_der_utf8(&in, label) || vt_der_bits(&in, 6, &flags, 1) ||
		 (auth_id > 0 && vt_der_tlv(&in, 0x04, &a, 1));
	return finish(o, &in, rc);
}

/* A PKCS#15 object: SEQUENCE { CommonObjectAttributes (label, flags,
 * auth_id), SEQUENCE { class attributes cls }, [1] { SEQUENCE { type
 * attributes type } } }, unless rc (a failure building cls or type) is
 * set. cls and type are freed. */
static int object(vt_buf *o, const char *label, uint8_t flags, int auth_id,
		  vt_buf *cls, vt_buf *type, int rc)
{
	vt_buf e = { 0 }, seq = { 0 };
	rc = rc || common_obj(&e, label, flags, auth_id) ||
	     vt_der_wrap(&e, 0x30, cls) || vt_der_wrap(&seq, 0x30, type) ||
	     vt_der_wrap(&e, 0xA1, &seq);
	vt_buf_free(cls);
	vt_buf_free(type);
	vt_buf_free(&seq);
	return finish(o, &e, rc);
}

int vt_p15_aodf_pin(vt_buf *o, const char *label, uint8_t id, uint8_t ref,
		    int puk)
{
	vt_buf ca = { 0 }, pin = { 0 };
	/* PinFlags: local, initialized, needs-padding (+ unblockingPin, bit 6) */
	uint8_t flags_pin = 0x4C, flags_puk = 0x4E, pad = 0;
	int rc = vt_der_tlv(&ca, 0x04, &id, 1) ||          /* authId */
		 (puk ? vt_der_bits(&pin, 1, &flags_puk, 1)
		      : vt_der_bits(&pin, 2, &flags_pin, 1)) ||
		 vt_der_tlv(&pin, 0x0A, "\x01", 1) ||   /* ascii-numeric */
		 vt_der_int(&pin, 4) || vt_der_int(&pin, 16) || vt_der_int(&pin, 16) ||
		 vt_der_tlv(&pin, 0x80, &ref, 1) ||     /* pinReference */
		 vt_der_tlv(&pin, 0x04, &pad, 1) ||     /* padChar */
		 vt_der_path(&pin, vt_p15_app_path, sizeof vt_p15_app_path);
	return object(o, label, 0xC0, 0, &ca, &pin, rc);
}

int vt_p15_key_entry(vt_buf *o, int priv, unsigned bits, int auth_id,
		     unsigned key_ref, const uint8_t *path, size_t pathlen)
{
	vt_buf cls = { 0 }, key = { 0 };
	uint8_t id = 1, usage_priv = 0x74, usage_pub = 0x8B, access = 0xB8;
	int rc = vt_der_tlv(&cls, 0x04, &id, 1) ||
		 (priv ? vt_der_bits(&cls, 2, &usage_priv, 1) ||
			 vt_der_bits(&cls, 3, &access, 1)
		       : vt_der_bits(&cls, 0, &usage_pub, 1) ||
			 vt_der_tlv(&cls, 0x01, "\x00", 1)) ||  /* native FALSE */
		 vt_der_int(&cls, key_ref) ||
		 vt_der_path(&key, path, pathlen) || vt_der_int(&key, bits);
	return object(o, priv ? "Private Key" : "Public Key", priv ? 0xC0 : 0x40,
		      priv ? auth_id : 0, &cls, &key, rc);
}

int vt_p15_cert_entry(vt_buf *o)
{
	static const uint8_t path[6] = { 0x3F, 0x00, 0x50, 0x15, 0x31, 0x00 };
	vt_buf cls = { 0 }, cert = { 0 };
	uint8_t id = 1;
	int rc = vt_der_tlv(&cls, 0x04, &id, 1) || vt_der_path(&cert, path, sizeof path);
	return object(o, "Certificate", 0x40, 0, &cls, &cert, rc);
}
