/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GM/T 0017 virtual OS: file commands (Create, Delete, Enum, GetFileInfo,
 * Read, Write) with SKF access rights. */
#include <stdlib.h>
#include <string.h>

#include "vt_os_gmt0017.h"

static gm_file *gm_file_by_name(gm_app *a, const uint8_t *name, size_t len)
{
	for (int i = 0; i < GM_MAX_FILES; i++) {
		gm_file *f = &a->files[i];
		if (f->used && strlen(f->name) == len && !memcmp(f->name, name, len))
			return f;
	}
	return NULL;
}

/* Shared front: P1=P2=0, lc >= min, an open AppID. */
static gm_app *gm_file_front(gm_state *st, const gm_cmd *c, size_t min,
			     unsigned *sw)
{
	if (c->p1 || c->p2) {
		*sw = GM_SW_WRONG_P1P2;
		return NULL;
	}
	if (c->lc < min) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	return gm_app_by_id(st, c, sw);
}

/* Looks up the file whose name is data[off..lc). */
static gm_file *gm_file_named(gm_app *a, const gm_cmd *c, size_t off,
			      unsigned *sw)
{
	if (c->lc <= off || c->lc - off > GM_FILE_NAME_MAX) {
		*sw = GM_SW_WRONG_LEN;
		return NULL;
	}
	gm_file *f = gm_file_by_name(a, c->data + off, c->lc - off);
	if (!f)
		*sw = GM_SW_NOT_FOUND;
	return f;
}

/* data: AppID(2) Size(4) ReadRights(4) WriteRights(4) Name */
size_t gm_cmd_create_file(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	gm_app *a = gm_file_front(st, c, 2 + 12 + 1, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	const uint8_t *name = c->data + 14;
	size_t nl = c->lc - 14;
	if (nl > GM_FILE_NAME_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	uint32_t size = gm_be32(c->data + 2), rd = gm_be32(c->data + 6),
		 wr = gm_be32(c->data + 10);
	if (!gm_name_ok(name, nl, GM_FILE_NAME_MAX) || !gm_rights_ok(rd) ||
	    !gm_rights_ok(wr) || size > GM_FILE_SIZE_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	if (!gm_right_granted(a, a->create_rights))
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	if (gm_file_by_name(a, name, nl))
		return gm_rsp(rsp, 0, GM_SW_EXISTS);
	gm_file *f = NULL;
	for (int i = 0; i < GM_MAX_FILES && !f; i++)
		if (!a->files[i].used)
			f = &a->files[i];
	if (!f || gm_used_space(st) + size > GM_TOTAL_SPACE)
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	f->data = calloc(1, size ? size : 1);
	if (!f->data)
		return gm_rsp(rsp, 0, GM_SW_NO_SPACE);
	f->used = 1;
	memset(f->name, 0, sizeof(f->name));
	memcpy(f->name, name, nl);
	f->size = size;
	f->rd = rd;
	f->wr = wr;
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

/* data: AppID(2) Name — needs the application's CreateFileRights. */
size_t gm_cmd_delete_file(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			  int *dirty)
{
	unsigned sw;
	gm_app *a = gm_file_front(st, c, 3, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_file *f = gm_file_named(a, c, 2, &sw);
	if (!f)
		return gm_rsp(rsp, 0, sw);
	if (!gm_right_granted(a, a->create_rights))
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	gm_file_clear(f);
	*dirty = 1;
	return gm_rsp(rsp, 0, GM_SW_OK);
}

size_t gm_cmd_enum_files(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_file_front(st, c, 2, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	if (c->lc != 2)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	size_t n = 0;
	for (int i = 0; i < GM_MAX_FILES; i++)
		if (a->files[i].used)
			n = gm_put_name(rsp, n, a->files[i].name);
	rsp[n++] = 0;
	return gm_rsp(rsp, n, GM_SW_OK);
}

/* data: AppID(2) Name; response Size(4) ReadRights(4) WriteRights(4) */
size_t gm_cmd_file_info(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_file_front(st, c, 3, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_file *f = gm_file_named(a, c, 2, &sw);
	if (!f)
		return gm_rsp(rsp, 0, sw);
	gm_put32(rsp, f->size);
	gm_put32(rsp + 4, f->rd);
	gm_put32(rsp + 8, f->wr);
	return gm_rsp(rsp, 12, GM_SW_OK);
}

/* data: AppID(2) Offset(4) Length(2) Name; response min(Length, size -
 * Offset) bytes (> 256 comes back through 61xx). */
size_t gm_cmd_read_file(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			int *dirty)
{
	unsigned sw;
	(void)dirty;
	gm_app *a = gm_file_front(st, c, 2 + 6 + 1, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	gm_file *f = gm_file_named(a, c, 8, &sw);
	if (!f)
		return gm_rsp(rsp, 0, sw);
	uint32_t off = gm_be32(c->data + 2);
	size_t want = gm_be16(c->data + 6);
	if (want < 1 || want > GM_READ_MAX)
		return gm_rsp(rsp, 0, GM_SW_WRONG_DATA);
	if (!gm_right_granted(a, f->rd))
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	if (off > f->size)
		return gm_rsp(rsp, 0, GM_SW_BAD_OFFSET);
	size_t n = f->size - off < want ? f->size - off : want;
	if (n)
		memcpy(rsp, f->data + off, n);
	return gm_rsp(rsp, n, GM_SW_OK);
}

/* data: AppID(2) Offset(4) NameLen(1) Name Data */
size_t gm_cmd_write_file(gm_state *st, const gm_cmd *c, uint8_t *rsp,
			 int *dirty)
{
	unsigned sw;
	gm_app *a = gm_file_front(st, c, 2 + 4 + 1 + 1, &sw);
	if (!a)
		return gm_rsp(rsp, 0, sw);
	size_t nl = c->data[6];
	if (nl < 1 || nl > GM_FILE_NAME_MAX || 7 + nl > c->lc)
		return gm_rsp(rsp, 0, GM_SW_WRONG_LEN);
	gm_file *f = gm_file_by_name(a, c->data + 7, nl);
	if (!f)
		return gm_rsp(rsp, 0, GM_SW_NOT_FOUND);
	if (!gm_right_granted(a, f->wr))
		return gm_rsp(rsp, 0, GM_SW_SECURITY);
	uint32_t off = gm_be32(c->data + 2);
	size_t n = c->lc - 7 - nl;
	if (off > f->size || n > f->size - off)
		return gm_rsp(rsp, 0, GM_SW_BAD_OFFSET);
	if (n) {
		memcpy(f->data + off, c->data + 7 + nl, n);
		*dirty = 1;
	}
	return gm_rsp(rsp, 0, GM_SW_OK);
}
