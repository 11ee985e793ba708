/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The slot pool: one slot per PC/SC reader. A reader keeps its slot ID for
 * the module's life (matched by name), new readers appear on the next
 * C_GetSlotList(pSlotList = NULL). Nothing here talks to a card: presence
 * comes from the reader state only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcsc.h"

#include "p11_backend.h"
#include "p11_lock.h"
#include "p11_log.h"
#include "p11_module.h"
#include "p11_session.h"
#include "p11_slot.h"
#include "p11_token.h"

static p11_slot *slot_new(const char *reader)
{
	if (p11_g.nslots >= P11_MAX_SLOTS)
		return NULL;
	p11_slot *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (p11_mutex_new(&s->lock) != CKR_OK) {
		free(s);
		return NULL;
	}
	s->id = p11_g.nslots;
	snprintf(s->reader, sizeof(s->reader), "%s", reader);
	s->next_obj_handle = 1;
	/* C_WaitForSlotEvent reports changes from this state on. */
	ukey_reader_state st;
	s->wait_seen_present = p11_slot_token_present(s, &st);
	s->wait_seen = st.event_count;
	p11_g.slots[p11_g.nslots++] = s;
	return s;
}

int p11_slot_token_present(p11_slot *s, ukey_reader_state *st)
{
	ukey_reader_state tmp;
	if (!st)
		st = &tmp;
	memset(st, 0, sizeof(*st));
	if (!p11_g.pcsc)
		return 0;
	if (p11_be->reader_state(p11_g.pcsc, s->reader, st) != UKEY_OK)
		return 0;
	return st->present && !st->mute;
}

void p11_slots_refresh(void)
{
	char **names = NULL;
	size_t n = 0;

	for (size_t i = 0; i < p11_g.nslots; i++)
		p11_g.slots[i]->listed = 0;
	if (!p11_g.pcsc && p11_be->open(&p11_g.pcsc) != UKEY_OK) {
		p11_g.pcsc = NULL;
		return;
	}
	if (p11_be->list_readers(p11_g.pcsc, &names, &n) != UKEY_OK)
		return;
	for (size_t k = 0; k < n; k++) {
		if (!names[k] || strlen(names[k]) >= P11_READER_MAX)
			continue; /* hostile or absurd reader name */
		p11_slot *s = NULL;
		for (size_t i = 0; i < p11_g.nslots; i++)
			if (strcmp(p11_g.slots[i]->reader, names[k]) == 0)
				s = p11_g.slots[i];
		if (!s)
			s = slot_new(names[k]);
		if (!s)
			continue;
		s->listed = 1;
		s->present_cached = p11_slot_token_present(s, NULL);
	}
	p11_be->free_names(names, n);
}

p11_slot *p11_slot_get(CK_SLOT_ID id)
{
	p11_slot *s = NULL;
	p11_mutex_lock(p11_g.lock);
	if (id < p11_g.nslots)
		s = p11_g.slots[id];
	p11_mutex_unlock(p11_g.lock);
	return s;
}

void p11_slots_free(void)
{
	for (size_t i = 0; i < p11_g.nslots; i++) {
		p11_slot *s = p11_g.slots[i];
		p11_token_drop(s, 0);
		p11_slot_free_sessions(s);
		p11_mutex_free(s->lock);
		free(s);
		p11_g.slots[i] = NULL;
	}
	p11_g.nslots = 0;
}

static CK_RV get_slot_list(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
			   CK_ULONG_PTR pulCount)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	p11_mutex_lock(p11_g.lock);
	/* Only the length query refreshes, so that the list an application
	 * sized its buffer for is the list it then gets. */
	if (pSlotList == NULL)
		p11_slots_refresh();
	CK_ULONG n = 0;
	for (size_t i = 0; i < p11_g.nslots; i++) {
		p11_slot *s = p11_g.slots[i];
		if (!s->listed || (tokenPresent && !s->present_cached))
			continue;
		if (pSlotList && n < *pulCount)
			pSlotList[n] = s->id;
		n++;
	}
	if (pSlotList && n > *pulCount)
		rv = CKR_BUFFER_TOO_SMALL;
	*pulCount = n;
	p11_mutex_unlock(p11_g.lock);
	return rv;
}

CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
		    CK_ULONG_PTR pulCount)
{
	CK_RV rv = get_slot_list(tokenPresent, pSlotList, pulCount);
	if (p11_log_enabled())
		p11_log("C_GetSlotList(tokenPresent=%u) count=%lu",
			(unsigned)tokenPresent,
			pulCount ? (unsigned long)*pulCount : 0UL);
	return p11_log_rv("C_GetSlotList", rv);
}

CK_RV p11_slot_lock(CK_SLOT_ID id, int args_ok, p11_slot **out)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	if (!args_ok)
		return CKR_ARGUMENTS_BAD;
	p11_slot *s = p11_slot_get(id);
	if (!s)
		return CKR_SLOT_ID_INVALID;
	p11_mutex_lock(s->lock);
	*out = s;
	return CKR_OK;
}

static CK_RV get_slot_info(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	p11_slot *s;
	CK_RV rv = p11_slot_lock(slotID, pInfo != NULL, &s);
	if (rv != CKR_OK)
		return rv;
	ukey_reader_state st;
	int present = p11_slot_token_present(s, &st);
	/* A card that went away (or was swapped) since it was bound: drop
	 * the token now, its sessions see CKR_DEVICE_REMOVED. */
	if (s->token)
		(void)p11_token_check_present(s);
	memset(pInfo, 0, sizeof(*pInfo));
	p11_pad(pInfo->slotDescription, sizeof(pInfo->slotDescription),
		s->reader);
	p11_pad(pInfo->manufacturerID, sizeof(pInfo->manufacturerID),
		"ukey project");
	pInfo->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT |
		       (present ? CKF_TOKEN_PRESENT : 0);
	pInfo->hardwareVersion.major = 0;
	pInfo->firmwareVersion.major = 0;
	p11_mutex_unlock(s->lock);
	return CKR_OK;
}

CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	return p11_log_rv("C_GetSlotInfo", get_slot_info(slotID, pInfo));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* One pass over the slots (global lock held): report the first whose
 * card state changed since the last report. */
static int find_event(CK_SLOT_ID *out)
{
	p11_slots_refresh();
	for (size_t i = 0; i < p11_g.nslots; i++) {
		p11_slot *s = p11_g.slots[i];
		ukey_reader_state st = { .present = 0 };
		int present = s->listed && p11_slot_token_present(s, &st);
		unsigned long ev = present || s->listed ? st.event_count
							: s->wait_seen;
		if (present != s->wait_seen_present || ev != s->wait_seen) {
			s->wait_seen_present = present;
			s->wait_seen = ev;
			*out = s->id;
			return 1;
		}
	}
	return 0;
}

static CK_RV wait_for_slot_event(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
				 CK_VOID_PTR pReserved)
{
	CK_RV rv = p11_check_init();
	if (rv != CKR_OK)
		return rv;
	if (pSlot == NULL || pReserved != NULL)
		return CKR_ARGUMENTS_BAD;

	p11_mutex_lock(p11_g.lock);
	p11_wait_threads++;
	for (;;) {
		if (p11_g.finalizing) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
		if (find_event(pSlot)) {
			rv = CKR_OK;
			break;
		}
		if (flags & CKF_DONT_BLOCK) {
			rv = CKR_NO_EVENT;
			break;
		}
		/* apdu/pcsc waits on a context of its own, so the blocked
		 * wait does not stall the other threads. */
		const char *names[P11_MAX_SLOTS];
		size_t n = 0;
		for (size_t i = 0; i < p11_g.nslots; i++)
			if (p11_g.slots[i]->listed)
				names[n++] = p11_g.slots[i]->reader;
		ukey_pcsc *wctx = p11_g.pcsc;
		p11_mutex_unlock(p11_g.lock);
		/* Reader names stay valid: slots live until C_Finalize, which
		 * waits for us. A bounded wait also notices new readers on
		 * stacks without PnP notification. */
		ukey_rv r = wctx ? p11_be->wait_change(wctx, names, n, 1000)
				 : UKEY_E_TRANSPORT;
		if (r != UKEY_OK && r != UKEY_E_TIMEOUT)
			sleep_ms(wctx ? 50 : 500); /* cancelled or no pcscd */
		p11_mutex_lock(p11_g.lock);
	}
	p11_wait_threads--;
	p11_mutex_unlock(p11_g.lock);
	return rv;
}

CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
			 CK_VOID_PTR pReserved)
{
	return p11_log_rv("C_WaitForSlotEvent",
			  wait_for_slot_event(flags, pSlot, pReserved));
}
