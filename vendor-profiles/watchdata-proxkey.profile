# SPDX-License-Identifier: LGPL-2.1-or-later
# Watchdata ProxKey (historical bytes start "WD6A": 57 44 36 41), CCID,
# reader name "Watchdata USB Key [WDIND USB CCID Key]". T=0 only, short APDUs.
# ATR seen on a real ProxKey: 3B 6D 00 00 57 44 36 41 01 86 93 12 11 3C 19 70 AF;
# the last six bytes are masked (likely version/serial). ProxKey middleware:
# PIN 6-32, 10 retries, 20-byte serial.
# ASSUMPTION: no public APDU trace exists. The command set below is GM/T 0017
# (SKF over APDU) as documented in docs/watchdata-wire.md; the INS codes
# marked confirmed there come from public sources, the rest (layouts, chunk
# rules, default device key) are ukey's own rule. If a real token is traced
# and differs, the trace wins: change the values below.
name         = Watchdata ProxKey
atr          = 3B 6D 00 00 57 44 36 41 01 86 93 12 11 3C 19 70 AF
atr_mask     = FF FF FF FF FF FF FF FF FF FF FF 00 00 00 00 00 00
driver       = gmt0017
layout       = skf
manufacturer = Watchdata
model        = ProxKey
extended_apdu = no
chaining     = no
max_lc       = 255
max_get_response = 64
pin_min      = 6
pin_max      = 32

# --- gmt0017 driver settings (docs/watchdata-wire.md) ---
# CLA/INS/P1/P2 values and keys are hex bytes; sizes and counts are decimal.
cla          = 80
cla_secure   = 84
cla_iso      = 00
ins_set_label           = 02
ins_get_dev_info        = 04
ins_dev_auth            = 10
ins_change_dev_auth_key = 12
ins_get_pin_info        = 14
ins_change_pin          = 16
ins_verify_pin          = 18
ins_unblock_pin         = 1A
ins_clear_secure_state  = 1C
ins_create_app          = 20
ins_enum_app            = 22
ins_delete_app          = 24
ins_open_app            = 26
ins_close_app           = 28
ins_create_file         = 30
ins_delete_file         = 32
ins_enum_files          = 34
ins_get_file_info       = 36
ins_read_file           = 38
ins_write_file          = 3A
ins_create_container    = 40
ins_open_container      = 42
ins_close_container     = 44
ins_enum_container      = 46
ins_delete_container    = 48
ins_get_container_info  = 4A
ins_import_cert         = 4C
ins_export_cert         = 4E
ins_gen_random          = 50
ins_gen_rsa_key_pair    = 54
ins_import_rsa_key_pair = 56
ins_rsa_sign_data       = 58
ins_export_public_key   = 88
ins_get_challenge       = 84
ins_get_response        = C0
# P2 of GetPINInfo/VerifyPIN/ChangePIN; P1 slot of certificates and keys.
pin_type_admin = 00
pin_type_user  = 01
slot_sign      = 01
slot_enc       = 00
# Chained uploads (ImportCertificate, ImportRSAKeyPair, RSASignData):
# P1 |= chain_more_flag while more chunks follow, P2 = chunk number.
chain_more_flag  = 80
max_cert_chunk   = 251
max_import_chunk = 251
max_sign_chunk   = 251
max_cert_len     = 4096
max_key_der_len  = 4096
# Files: ReadFile length 1..max_read_file; WriteFile carries at most
# 255 - write_file_overhead - name length data bytes.
max_read_file       = 4096
write_file_overhead = 7
max_file_size       = 32768
max_file_name       = 32
max_app_name        = 32
max_container_name  = 64
max_label           = 32
max_apps            = 8
max_containers      = 8
max_files           = 16
# Security: challenge length, PIN key = SHA-1(PIN)[0..15], cryptograms
# SM4-ECB; new PINs travel in a 48-byte SM4-ECB block.
challenge_len       = 8
# VerifyPIN/ChangePIN/UnblockPIN cryptogram, one of the two candidates of
# the reference (shared/reference/watchdata-gmt0017.md):
#   challenge-pad80  key = SHA-1(PIN)[0..15], block = challenge || 80 00*7
#                    (docs/watchdata-wire.md, the virtual token's rule)
#   gm3000           key = SHA-1(PIN NUL-padded to >= 16 bytes)[0..15],
#                    block = LE16(8) || challenge || 80 00*5 (the published
#                    Longmai GM3000 layout)
pin_cryptogram      = challenge-pad80
pin_block_len       = 48
pin_retries         = 10
dev_auth_alg        = sm4-ecb
dev_auth_key        = 31 32 33 34 35 36 37 38 31 32 33 34 35 36 37 38
# Record and blob sizes.
devinfo_len         = 288
pubkey_blob_len     = 268
rsa_bits            = 1024, 2048
# raw: RSASignData is raw RSA on a host-formatted block (PKCS#1 v1.5 and
# PSS both work); pkcs1: the card pads itself, the driver sends the
# DigestInfo only and refuses PSS / raw X.509 blocks.
rsa_sign            = raw
rsa_decrypt         = no
# Objects created by ukey (and by `ukey-vtoken init`).
app_name            = UKEY-APP
container_name      = UKEY-CONTAINER
# Status words specific to this dialect.
sw_bad_handle       = 6A88
sw_not_found        = 6A82
sw_no_challenge     = 6985
