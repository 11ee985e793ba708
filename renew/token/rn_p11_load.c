/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rn_p11_load.c — dlopen of a PKCS#11 module, C_GetFunctionList,
 * C_Initialize(CKF_OS_LOCKING_OK) and the way back (C_Finalize, dlclose).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "rn_token_int.h"

/* The functions librenew calls; a module missing one is refused at load. */
static int list_complete(const CK_FUNCTION_LIST *f)
{
	return f->C_Initialize && f->C_Finalize && f->C_GetSlotList && f->C_GetSlotInfo &&
	       f->C_GetTokenInfo && f->C_OpenSession && f->C_CloseSession && f->C_Login &&
	       f->C_Logout && f->C_FindObjectsInit && f->C_FindObjects &&
	       f->C_FindObjectsFinal && f->C_GetAttributeValue && f->C_SignInit && f->C_Sign &&
	       f->C_CreateObject && f->C_DestroyObject && f->C_GenerateKeyPair;
}

enum rn_tok_rc rn_module_load(const char *path, rn_trace_fn trace, void *trace_arg,
			      struct rn_module **out, char *err, size_t errlen)
{
	struct rn_module *m;
	CK_C_GetFunctionList gfl;
	CK_C_INITIALIZE_ARGS ia;
	void *sym;
	CK_RV rv;

	*out = NULL;
	if (!path || !*path) {
		rn_seterr(err, errlen, "no PKCS#11 module path");
		return RN_TOK_MODULE;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rn_seterr(err, errlen, "out of memory");
		return RN_TOK_ERROR;
	}
	m->trace = trace;
	m->trace_arg = trace_arg;

	dlerror();
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!m->dl) {
		const char *e = dlerror();

		rn_seterr(err, errlen, "dlopen: %s", e ? e : path);
		rn_trace(m, "dlopen(%s) failed: %s", path, e ? e : "?");
		free(m);
		return RN_TOK_MODULE;
	}
	dlerror();
	sym = dlsym(m->dl, "C_GetFunctionList");
	if (!sym) {
		const char *e = dlerror();

		rn_seterr(err, errlen, "dlsym: %s", e ? e : "C_GetFunctionList not found");
		rn_trace(m, "dlsym(C_GetFunctionList) failed: %s", e ? e : "?");
		goto fail;
	}
	/* POSIX guarantees that a dlsym() result converts to a function pointer. */
	memcpy(&gfl, &sym, sizeof(gfl));
	rv = gfl(&m->f);
	rn_trace(m, "C_GetFunctionList() = %s", rn_ckr_name(rv));
	if (rv != CKR_OK || !m->f) {
		rn_seterr(err, errlen, "C_GetFunctionList: %s%s", rn_ckr_name(rv),
			  rv == CKR_OK ? " (no list)" : "");
		goto fail;
	}
	if (m->f->version.major < 2 || !list_complete(m->f)) {
		rn_seterr(err, errlen, "C_GetFunctionList: function list v%u.%u incomplete",
			  m->f->version.major, m->f->version.minor);
		goto fail;
	}
	memset(&ia, 0, sizeof(ia));
	ia.flags = CKF_OS_LOCKING_OK;
	rv = m->f->C_Initialize(&ia);
	rn_trace(m, "C_Initialize(CKF_OS_LOCKING_OK) = %s", rn_ckr_name(rv));
	if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		/* Someone else in this process uses the module: share it, and
		 * leave C_Finalize to them. */
		m->finalize = 0;
	} else if (rv != CKR_OK) {
		rn_seterr(err, errlen, "C_Initialize: %s", rn_ckr_name(rv));
		goto fail;
	} else {
		m->finalize = 1;
	}
	*out = m;
	return RN_TOK_OK;
fail:
	dlclose(m->dl);
	free(m);
	return RN_TOK_MODULE;
}

void rn_module_unload(struct rn_module *m)
{
	if (!m)
		return;
	if (m->finalize) {
		CK_RV rv = m->f->C_Finalize(NULL);

		rn_trace(m, "C_Finalize() = %s", rn_ckr_name(rv));
	}
	dlclose(m->dl);
	free(m);
}
