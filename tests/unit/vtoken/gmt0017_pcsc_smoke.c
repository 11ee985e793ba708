/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * End-to-end check of the virtual Watchdata token behind a real pcscd +
 * vpcd (run by tests/harness/pcsc-run): personalises the card over the
 * wire (DevAuth, CreateApplication, VerifyPIN, CreateContainer,
 * GenRSAKeyPair), signs and verifies with OpenSSL, moves a certificate
 * larger than one APDU both ways, then resets the card and checks that
 * keys persist while handles and login do not. Handles T=0 61xx itself.
 * Exit 0 = pass; else one line on stderr saying what failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <openssl/rand.h>

#include "gm_tcrypto.h"

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static uint8_t rsp[8192];
static size_t rlen;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("gmt0017 pcsc smoke: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_FAILURE);
}

/* One logical command: follows 61xx with GET RESPONSE. Returns the SW. */
static unsigned xfer(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
		     const uint8_t *data, size_t lc, int le)
{
	uint8_t cmd[261], buf[258];
	size_t n = 0;
	cmd[n++] = cla; cmd[n++] = ins; cmd[n++] = p1; cmd[n++] = p2;
	if (lc) {
		cmd[n++] = (uint8_t)lc;
		memcpy(cmd + n, data, lc);
		n += lc;
	}
	if (le >= 0)
		cmd[n++] = (uint8_t)le;
	rlen = 0;
	for (int round = 0; round < 64; round++) {
		DWORD got = sizeof(buf);
		LONG rv = SCardTransmit(card, SCARD_PCI_T0, cmd, (DWORD)n, NULL,
					buf, &got);
		if (rv != SCARD_S_SUCCESS)
			fail("SCardTransmit: %s", pcsc_stringify_error(rv));
		if (got < 2 || got - 2 > 256 || rlen + got - 2 > sizeof(rsp))
			fail("bad response length %lu", (unsigned long)got);
		memcpy(rsp + rlen, buf, got - 2);
		rlen += got - 2;
		unsigned sw = (unsigned)buf[got - 2] << 8 | buf[got - 1];
		if ((sw >> 8) != 0x61)
			return sw;
		const uint8_t gr[5] = {0x00, 0xC0, 0x00, 0x00, (uint8_t)sw};
		memcpy(cmd, gr, 5);
		n = 5;
	}
	fail("endless 61xx");
}

static void expect(unsigned sw, unsigned want, const char *what)
{
	if (sw != want)
		fail("%s: SW %04X, expected %04X", what, sw, want);
}

static void challenge(uint8_t chal[8])
{
	expect(xfer(0x80, 0x50, 0, 0, NULL, 0, 8), 0x9000, "GenRandom");
	if (rlen != 8)
		fail("GenRandom returned %zu bytes", rlen);
	memcpy(chal, rsp, 8);
}

static size_t ids(uint8_t *d, uint16_t app, int cid)
{
	d[0] = (uint8_t)(app >> 8); d[1] = (uint8_t)app;
	if (cid < 0)
		return 2;
	d[2] = (uint8_t)(cid >> 8); d[3] = (uint8_t)cid;
	return 4;
}

static unsigned verify_pin(uint16_t app, int type, const char *pin)
{
	uint8_t chal[8], key[16], d[18];
	challenge(chal);
	tc_pin_key(pin, key);
	ids(d, app, -1);
	if (tc_cryptogram(key, chal, 1, d + 2))
		fail("SM4");
	return xfer(0x80, 0x18, 0, (uint8_t)type, d, 18, -1);
}

static uint16_t open_app(const char *name)
{
	expect(xfer(0x80, 0x26, 0, 0, (const uint8_t *)name, strlen(name), -1),
	       0x9000, "OpenApplication");
	if (rlen != 10)
		fail("OpenApplication returned %zu bytes", rlen);
	return (uint16_t)(rsp[8] << 8 | rsp[9]);
}

static uint16_t open_cont(uint16_t app, const char *name, uint8_t ins)
{
	uint8_t d[80];
	size_t n = ids(d, app, -1);
	memcpy(d + n, name, strlen(name));
	expect(xfer(0x80, ins, 0, 0, d, n + strlen(name), -1), 0x9000,
	       ins == 0x40 ? "CreateContainer" : "OpenContainer");
	if (rlen != 2)
		fail("container answer of %zu bytes", rlen);
	return (uint16_t)(rsp[0] << 8 | rsp[1]);
}

/* Chained upload in chunks of 200 (P1 |= 80 while more, P2 = number). */
static unsigned chained(uint8_t ins, uint8_t flags, uint16_t app, uint16_t cid,
			const uint8_t *data, size_t len)
{
	uint8_t d[255];
	size_t off = 0;
	unsigned sw, seq = 0;
	do {
		size_t part = len - off < 200 ? len - off : 200;
		int more = off + part < len;
		size_t n = ids(d, app, cid);
		memcpy(d + n, data + off, part);
		sw = xfer(0x80, ins, (uint8_t)(flags | (more ? 0x80 : 0)),
			  (uint8_t)seq++, d, n + part, -1);
		off += part;
		if (more && sw != 0x9000)
			return sw;
	} while (off < len);
	return sw;
}

static void connect_card(const char *reader)
{
	DWORD proto;
	LONG rv = SCardConnect(ctx, reader, SCARD_SHARE_EXCLUSIVE,
			       SCARD_PROTOCOL_T0, &card, &proto);
	if (rv != SCARD_S_SUCCESS)
		fail("SCardConnect(%s): %s", reader, pcsc_stringify_error(rv));
	if (proto != SCARD_PROTOCOL_T0)
		fail("protocol is not T=0");
}

int main(void)
{
	static const uint8_t devkey[16] = {'1', '2', '3', '4', '5', '6', '7', '8',
					   '1', '2', '3', '4', '5', '6', '7', '8'};
	char readers[4096];
	DWORD rl = sizeof(readers);
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS ||
	    SCardListReaders(ctx, NULL, readers, &rl) != SCARD_S_SUCCESS)
		fail("no PC/SC readers");
	const char *reader = getenv("UKEY_READER_0");
	connect_card(reader && *reader ? reader : readers);

	/* GetDevInfo: 288 bytes through 61 20 */
	expect(xfer(0x80, 0x04, 0, 0, NULL, 0, 0), 0x9000, "GetDevInfo");
	if (rlen != 288 || memcmp(rsp + 4, "Watchdata", 9))
		fail("GetDevInfo: %zu bytes", rlen);

	/* DevAuth with the default device key */
	uint8_t chal[8], crypt[16], d[255];
	challenge(chal);
	tc_cryptogram(devkey, chal, 0, crypt);
	expect(xfer(0x80, 0x10, 0, 0, crypt, 16, -1), 0x9000, "DevAuth");

	/* a clean application (the state file may be from an earlier run) */
	unsigned sw = xfer(0x80, 0x24, 0, 0, (const uint8_t *)"SMOKE", 5, -1);
	if (sw != 0x9000 && sw != 0x6A82)
		fail("DeleteApplication: SW %04X", sw);
	size_t n = 0;
	d[n++] = 5; memcpy(d + n, "SMOKE", 5); n += 5;
	d[n++] = 10; d[n++] = 10;
	d[n++] = 0; d[n++] = 0; d[n++] = 0; d[n++] = 0x10;
	tc_pin_block(devkey, "12345678", d + n); n += 48;
	tc_pin_block(devkey, "123456", d + n); n += 48;
	expect(xfer(0x80, 0x20, 0, 0, d, n, -1), 0x9000, "CreateApplication");

	uint16_t app = open_app("SMOKE");
	expect(verify_pin(app, 1, "654321"), 0x63C9, "VerifyPIN (wrong)");
	expect(verify_pin(app, 1, "123456"), 0x9000, "VerifyPIN");
	uint16_t cid = open_cont(app, "C1", 0x40);

	/* GenRSAKeyPair 2048: 268-byte blob through 61 0C */
	n = ids(d, app, cid);
	d[n++] = 0; d[n++] = 0; d[n++] = 0x08; d[n++] = 0x00;
	expect(xfer(0x80, 0x54, 0, 0, d, n, -1), 0x9000, "GenRSAKeyPair");
	if (rlen != 268)
		fail("public key blob of %zu bytes", rlen);
	uint8_t blob[268];
	memcpy(blob, rsp, 268);
	EVP_PKEY *pub = tc_blob_to_pkey(blob);
	if (!pub)
		fail("malformed public key blob");

	/* sign over two APDUs, verify with OpenSSL */
	const char *msg = "signed through pcscd";
	uint8_t block[256];
	tc_pkcs1_block((const uint8_t *)msg, strlen(msg), block, 256);
	expect(chained(0x58, 0, app, cid, block, 256), 0x9000, "RSASignData");
	if (rlen != 256 || !tc_verify_sig(pub, (const uint8_t *)msg, strlen(msg), rsp, rlen))
		fail("signature does not verify");

	/* a 1500-byte certificate in, and out through 61xx */
	uint8_t cert[1500];
	if (RAND_bytes(cert, sizeof(cert)) != 1)
		fail("RAND_bytes");
	expect(chained(0x4C, 1, app, cid, cert, sizeof(cert)), 0x9000, "ImportCertificate");
	ids(d, app, cid);
	expect(xfer(0x80, 0x4E, 1, 0, d, 4, -1), 0x9000, "ExportCertificate");
	if (rlen != sizeof(cert) || memcmp(rsp, cert, sizeof(cert)))
		fail("certificate changed on the way (%zu bytes)", rlen);

	/* reset: handles and login go, keys and certificates stay */
	DWORD proto;
	LONG rv = SCardReconnect(card, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0,
				 SCARD_RESET_CARD, &proto);
	if (rv != SCARD_S_SUCCESS)
		fail("SCardReconnect: %s", pcsc_stringify_error(rv));
	ids(d, app, -1);
	expect(xfer(0x80, 0x14, 0, 1, d, 2, -1), 0x6A88, "GetPINInfo after reset");
	app = open_app("SMOKE");
	expect(xfer(0x80, 0x14, 0, 1, (ids(d, app, -1), d), 2, -1), 0x9000, "GetPINInfo");
	if (rlen != 3 || rsp[0] != 10 || rsp[1] != 10)
		fail("GetPINInfo: counter not restored by the good PIN");
	cid = open_cont(app, "C1", 0x42);
	ids(d, app, cid);
	expect(xfer(0x80, 0x88, 1, 0, d, 4, -1), 0x9000, "ExportPublicKey");
	if (rlen != 268 || memcmp(rsp, blob, 268))
		fail("public key changed across the reset");
	expect(chained(0x58, 0, app, cid, block, 256), 0x6982, "RSASignData without PIN");
	expect(verify_pin(app, 1, "123456"), 0x9000, "VerifyPIN after reset");
	expect(chained(0x58, 0, app, cid, block, 256), 0x9000, "RSASignData after reset");
	if (!tc_verify_sig(pub, (const uint8_t *)msg, strlen(msg), rsp, rlen))
		fail("signature after reset does not verify");

	EVP_PKEY_free(pub);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	printf("gmt0017 pcsc smoke: ok\n");
	return EXIT_SUCCESS;
}
