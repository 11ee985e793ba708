/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Session private keys (CKA_TOKEN false) as scratch key records on the
 * card: private keys never exist in host memory, so C_GenerateKeyPair
 * with a session private key generates on the card as usual, under a
 * label that marks the record as this process's scratch key:
 *
 *     "ukey-scratch BOOT PIDNS PID"
 *
 * (BOOT: the first 8 hex digits of the kernel's boot_id, PIDNS: the inode
 * of our PID namespace). The module hides such records from the token's
 * object list and presents them as session objects of the session that
 * made them (with the template's label); they are deleted when that
 * session ends. A process that died before (or a session closed while the
 * card was away) leaves its records behind: the next listing of the
 * token's keys reclaims every scratch record whose owner cannot be alive
 * — another boot (a reboot, or another machine: the token left that
 * reader, so its sessions ended), or this boot and PID namespace with the
 * process gone (or this process, without a live session holding it).
 * Records of another PID namespace of this boot may belong to a live
 * process in a container: they stay hidden and untouched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"

#include "p11_log.h"
#include "p11_object.h"
#include "p11_scratch.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

#define SCRATCH_PREFIX "ukey-scratch "

static void boot_id(char out[9])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	char buf[64] = "";
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	size_t n = 0;
	for (size_t i = 0; buf[i] && n < 8; i++)
		if ((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'))
			out[n++] = buf[i];
	while (n < 8)
		out[n++] = '0';
	out[8] = '\0';
}

static unsigned long pid_ns(void)
{
	struct stat st;
	if (stat("/proc/self/ns/pid", &st) != 0)
		return 0;
	return (unsigned long)st.st_ino;
}

void p11_scratch_label(char *out, size_t cap)
{
	char b[9];
	boot_id(b);
	snprintf(out, cap, SCRATCH_PREFIX "%s %lu %ld", b, pid_ns(),
		 (long)getpid());
}

int p11_scratch_is(const char *label)
{
	return strncmp(label, SCRATCH_PREFIX, sizeof(SCRATCH_PREFIX) - 1) == 0;
}

/* A live session of this process holds the record (by driver reference). */
static int held(const p11_slot *s, const ukey_object *o)
{
	for (const p11_session *se = s->sessions; se; se = se->next)
		for (size_t i = 0; !se->removed && i < se->nsobjs; i++) {
			const ukey_object *x = &se->sobjs[i].o;
			if (se->sobjs[i].scratch && x->cls == o->cls &&
			    x->drv_ref_len == o->drv_ref_len &&
			    memcmp(x->drv_ref, o->drv_ref, o->drv_ref_len) == 0)
				return 1;
		}
	return 0;
}

int p11_scratch_reclaimable(const p11_slot *s, const ukey_object *o)
{
	char b[9], ob[16];
	unsigned long ns = 0;
	long pid = 0;
	if (!p11_scratch_is(o->label))
		return 0;
	if (sscanf(o->label + sizeof(SCRATCH_PREFIX) - 1, "%15s %lu %ld", ob,
		   &ns, &pid) != 3)
		return 0; /* not one of ours: leave it */
	boot_id(b);
	if (strcmp(ob, b) != 0)
		return 1;
	if (ns != pid_ns())
		return 0;
	if (pid == (long)getpid())
		return !held(s, o);
	return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

/* Delete the scratch records of a list (inside a transaction the caller
 * holds); errors are ignored: what stays is reclaimed next time. */
static void delete_all(p11_slot *s, const ukey_objlist *l)
{
	const ukey_driver *d = s->token->card.drv;
	for (size_t i = 0; d->delete_object && i < l->n && s->token; i++) {
		ukey_rv r = d->delete_object(&s->token->card, &l->v[i]);
		p11_log("scratch key record %zu: %s", i, ukey_strerror(r));
	}
}

void p11_scratch_reclaim(p11_slot *s)
{
	p11_token *t = s->token;
	if (!t || !t->reclaim.n)
		return;
	ukey_objlist l = t->reclaim;
	memset(&t->reclaim, 0, sizeof(t->reclaim));
	/* The records were never token objects (adopt_objects hid them):
	 * the cached list stays valid. */
	if (p11_token_begin(s) == CKR_OK) {
		delete_all(s, &l);
		p11_token_end(s);
	}
	ukey_objlist_clear(&l);
}

void p11_scratch_end_session(p11_slot *s, p11_session *se)
{
	ukey_objlist l = { 0 };
	for (size_t i = 0; i < se->nsobjs; i++) {
		if (!se->sobjs[i].scratch)
			continue;
		ukey_object *o = ukey_objlist_add(&l);
		if (!o || ukey_object_copy(o, &se->sobjs[i].o) != 0)
			break;
		se->sobjs[i].scratch = 0;
	}
	if (l.n && s->token && !se->removed && p11_token_begin(s) == CKR_OK) {
		/* private key first: the public record is harmless alone */
		for (size_t pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < l.n && s->token; i++) {
				ukey_object *o = &l.v[i];
				if ((o->cls == UKEY_OBJ_PRIVKEY) != (pass == 0))
					continue;
				ukey_rv r = s->token->card.drv->delete_object
					? s->token->card.drv->delete_object(&s->token->card, o)
					: UKEY_E_SW_FUNC_NOT_SUPPORTED;
				p11_log("session end: scratch key record: %s",
					ukey_strerror(r));
			}
		p11_token_end(s);
	}
	ukey_objlist_clear(&l);
}
