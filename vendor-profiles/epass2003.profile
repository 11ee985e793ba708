# SPDX-License-Identifier: LGPL-2.1-or-later
# Feitian ePass2003 (OpenSC's "epass2003" driver). T=1.
# ATR family as OpenSC's card-epass2003.c matches it: bytes 0-11
# (3B 9F 95 81 31 FE 9F 00 66 46 53 05) and 15-18 (71 DF 00 00); bytes 12-14
# (chip/firmware version) and 19-22 (historical tail, checksum) vary: the
# 2012 token (OpenSC issue 2572, 01 00 11 .. 03 90 00 80), the 2022 token
# as OpenSC leaves it (23 00 25 .. 03 90 00 96) and as Feitian's tools leave
# it (23 00 25 .. 00 00 00 05), the FIPS firmware (10 11 31 .. 03 90 00 A0).
# The FTCOS PK-01C (byte 8 = 65 "eFS") does not match (66 "fFS"), and this
# ATR does not match the PK-01C profile (its mask keeps byte 8).
# One profile for all models: the secure messaging (3DES, AES, FIPS) is
# what GET DATA 00 CA 01 86 says (sm = auto), as OpenSC decides it too.
name         = Feitian ePass2003
atr          = 3B 9F 95 81 31 FE 9F 00 66 46 53 05 01 00 11 71 DF 00 00 03 90 00 80
atr_mask     = FF FF FF FF FF FF FF FF FF FF FF FF 00 00 00 FF FF FF FF 00 00 00 00
driver       = epass2003
layout       = pkcs15, entersafe-espk
manufacturer = Feitian Technologies
model        = ePass2003
# RSA-2048 under SM: a 256-byte PSO DECIPHER block grows to 0x115 bytes
# wrapped (87 82 01 11 01 ‖ 272 ‖ 8E 08 MAC), its answer likewise: extended
# lengths, no chaining (as OpenSC drives the card).
extended_apdu = yes
chaining     = no
max_lc       = 1024
max_get_response = 64
pin_min      = 4
pin_max      = 16

# --- epass2003 driver settings (drivers/epass2003/epass2003_sm.c) ---
# secure messaging: auto (GET DATA 86), or force des | aes | fips | plain
sm           = auto
# SM init keys K_enc / K_mac (OpenSC's defaults, 01 .. 10)
sm_key_enc   = 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10
sm_key_mac   = 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10
# READ / UPDATE BINARY chunks (OpenSC's max_recv_size / max_send_size)
max_read     = 216
max_update   = 232
# GET CHALLENGE before a PIN check (the first 8 bytes are used)
challenge_len = 8
# OpenSC's FID hook: 29xx, 30xx..34xx stored as xx * 0x20
fid_hook     = yes
# PIN key ids (EXTERNAL AUTHENTICATE 00 82 01 8k): user, SO (PUK)
user_pin_kid = 1
so_pin_kid   = 2
# MSE algorithm references: raw RSA (PSO DECIPHER), RSA SHA-256 PKCS#1
mse_alg_raw  = 0x84
mse_alg_sha256 = 0x82
# PIN tries when the MAXPIN file (3F00 5015 9F00) is absent
pin_max_tries = 6
pin_maxtries_path = 3F 00 50 15 9F 00
# Layouts whose keys sign CKM_SHA256_RSA_PKCS with the hash finished on the
# card (MSE B6, PSO HASH with the host's SHA-256 midstate, PSO CDS; the
# vendor's sequence); the others sign raw as OpenSC does (MSE B8 + PSO
# DECIPHER of the host-padded block: one APDU fewer). "all" or "none" too.
hash_on_card = entersafe-espk
# RSA sizes the card OS generates and uses (OpenSC: 1024, 2048)
rsa_bits     = 1024, 2048
