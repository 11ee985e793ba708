/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Status-word classification and error texts. */
#include <stdio.h>

#include "apdu.h"

int ukey_rv_link_error(ukey_rv rv)
{
	switch (rv) {
	case UKEY_E_NOMEM:
	case UKEY_E_TRANSPORT:
	case UKEY_E_NO_CARD:
	case UKEY_E_CARD_RESET:
	case UKEY_E_NO_READER:
	case UKEY_E_TIMEOUT:
	case UKEY_E_SHARING:
		return 1;
	default:
		return 0;
	}
}

const char *ukey_strerror(ukey_rv rv)
{
	switch (rv) {
	case UKEY_OK: return "success";
	case UKEY_E_ARGS: return "invalid arguments";
	case UKEY_E_NOMEM: return "out of memory";
	case UKEY_E_BUFFER_TOO_SMALL: return "buffer too small";
	case UKEY_E_MALFORMED: return "malformed data from card or reader";
	case UKEY_E_TRANSPORT: return "reader or transport failure";
	case UKEY_E_NO_CARD: return "no card in the reader";
	case UKEY_E_CARD_RESET: return "card was reset (login state lost)";
	case UKEY_E_NO_READER: return "reader not available";
	case UKEY_E_TIMEOUT: return "timeout";
	case UKEY_E_SHARING: return "reader in exclusive use by another process";
	case UKEY_E_TOO_MANY_61: return "too many GET RESPONSE rounds (61xx)";
	case UKEY_E_CRYPTO: return "cryptographic library failure";
	case UKEY_E_SW_WRONG_PIN: return "wrong PIN";
	case UKEY_E_SW_PIN_BLOCKED: return "PIN blocked";
	case UKEY_E_SW_SECURITY: return "security status not satisfied";
	case UKEY_E_SW_COND_NOT_SAT: return "conditions of use not satisfied";
	case UKEY_E_SW_FILE_NOT_FOUND: return "file or application not found";
	case UKEY_E_SW_NOT_ENOUGH_SPACE: return "not enough memory space in the file";
	case UKEY_E_SW_WRONG_LENGTH: return "wrong length";
	case UKEY_E_SW_WRONG_DATA: return "incorrect parameters in the data field";
	case UKEY_E_SW_WRONG_P1P2: return "incorrect parameters P1-P2";
	case UKEY_E_SW_INS_NOT_SUPPORTED: return "instruction not supported";
	case UKEY_E_SW_CLA_NOT_SUPPORTED: return "class not supported";
	case UKEY_E_SW_FILE_EXISTS: return "file already exists";
	case UKEY_E_SW_REF_NOT_FOUND: return "referenced data not found";
	case UKEY_E_SW_FUNC_NOT_SUPPORTED: return "function not supported";
	case UKEY_E_SW_MEMORY: return "memory failure";
	case UKEY_E_SW_SM: return "secure messaging error";
	case UKEY_E_SW_OTHER: return "card returned an error status";
	}
	return "unknown error";
}

ukey_rv ukey_sw_to_err(uint16_t sw)
{
	if (sw == UKEY_SW_OK || (sw & 0xFF00u) == 0x6100u)
		return UKEY_OK;
	if ((sw & 0xFFF0u) == 0x63C0u || sw == 0x6300u)
		return UKEY_E_SW_WRONG_PIN;
	switch (sw) {
	case 0x6983: return UKEY_E_SW_PIN_BLOCKED;
	case 0x6982: return UKEY_E_SW_SECURITY;
	case 0x6985: return UKEY_E_SW_COND_NOT_SAT;
	case 0x6A82: return UKEY_E_SW_FILE_NOT_FOUND;
	case 0x6A84: return UKEY_E_SW_NOT_ENOUGH_SPACE;
	case 0x6700: return UKEY_E_SW_WRONG_LENGTH;
	case 0x6A80: return UKEY_E_SW_WRONG_DATA;
	case 0x6A86:
	case 0x6B00: return UKEY_E_SW_WRONG_P1P2;
	case 0x6D00: return UKEY_E_SW_INS_NOT_SUPPORTED;
	case 0x6E00: return UKEY_E_SW_CLA_NOT_SUPPORTED;
	case 0x6A89: return UKEY_E_SW_FILE_EXISTS;
	case 0x6A88: return UKEY_E_SW_REF_NOT_FOUND;
	case 0x6A81: return UKEY_E_SW_FUNC_NOT_SUPPORTED;
	case 0x6581: return UKEY_E_SW_MEMORY;
	case 0x6987:
	case 0x6988: return UKEY_E_SW_SM;
	default: return UKEY_E_SW_OTHER;
	}
}

int ukey_sw_tries_left(uint16_t sw)
{
	if ((sw & 0xFFF0u) == 0x63C0u)
		return (int)(sw & 0x0Fu);
	return -1;
}

/* Texts for status words that are not simply their error class. */
static const char *sw_specific_text(uint16_t sw)
{
	switch (sw) {
	case 0x9000: return "success";
	case 0x6300: return "verification failed (wrong PIN)";
	case 0x6281: return "part of returned data may be corrupted";
	case 0x6282: return "end of file reached before reading Le bytes";
	case 0x6283: return "selected file invalidated";
	case 0x6581: return "memory failure";
	case 0x6700: return "wrong length";
	case 0x6881: return "logical channel not supported";
	case 0x6882: return "secure messaging not supported";
	case 0x6981: return "command incompatible with file structure";
	case 0x6982: return "security status not satisfied";
	case 0x6983: return "authentication method blocked (PIN locked)";
	case 0x6984: return "referenced data invalidated";
	case 0x6985: return "conditions of use not satisfied";
	case 0x6986: return "command not allowed (no current EF)";
	case 0x6987: return "expected secure messaging data objects missing";
	case 0x6988: return "incorrect secure messaging data objects (MAC wrong)";
	case 0x6A80: return "incorrect parameters in the data field";
	case 0x6A81: return "function not supported";
	case 0x6A82: return "file or application not found";
	case 0x6A83: return "record not found";
	case 0x6A84: return "not enough memory space in the file";
	case 0x6A86: return "incorrect parameters P1-P2";
	case 0x6A88: return "referenced data not found";
	case 0x6A89: return "file already exists";
	case 0x6A8A: return "DF name already exists";
	case 0x6B00: return "wrong parameters P1-P2 (offset outside the EF)";
	case 0x6D00: return "instruction not supported";
	case 0x6E00: return "class not supported";
	case 0x6F00: return "no precise diagnosis";
	default: return NULL;
	}
}

const char *ukey_sw_text(uint16_t sw, char *buf, size_t bufsz)
{
	if (buf == NULL || bufsz == 0)
		return "";
	const char *s = sw_specific_text(sw);
	unsigned x = sw & 0xFFu;
	if (s != NULL) {
		snprintf(buf, bufsz, "%04X: %s", (unsigned)sw, s);
	} else if ((sw & 0xFFF0u) == 0x63C0u) {
		unsigned n = sw & 0x0Fu;
		snprintf(buf, bufsz, "%04X: wrong PIN, %u %s left", (unsigned)sw,
			 n, n == 1 ? "try" : "tries");
	} else if ((sw & 0xFF00u) == 0x6100u) {
		snprintf(buf, bufsz, "%04X: %u more response bytes available",
			 (unsigned)sw, x ? x : 256u);
	} else if ((sw & 0xFF00u) == 0x6C00u) {
		snprintf(buf, bufsz, "%04X: wrong Le, exact length is %u",
			 (unsigned)sw, x ? x : 256u);
	} else {
		snprintf(buf, bufsz, "%04X: %s", (unsigned)sw,
			 ukey_strerror(ukey_sw_to_err(sw)));
	}
	return buf;
}
