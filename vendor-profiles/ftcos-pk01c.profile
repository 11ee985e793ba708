# SPDX-License-Identifier: LGPL-2.1-or-later
# Feitian FTCOS/PK-01C ("entersafe" in OpenSC). T=1.
# Source: /work/shared/reference/ftcos-command-set.md (ATR and mask as OpenSC
# matches them; the masked bytes vary between chip batches).
name         = Feitian FTCOS/PK-01C
atr          = 3B 9F 95 81 31 FE 9F 00 65 46 53 05 30 06 71 DF 00 00 00 80 6A 82 5E
atr_mask     = FF FF FF FF FF FF FF FF FF FF FF 00 FF FF FF FF FF FF 00 00 00 00 FF
driver       = ftcos
layout       = pkcs15, entersafe-espk
manufacturer = Feitian Technologies
model        = FTCOS/PK-01C
extended_apdu = no
chaining     = no
max_lc       = 255
max_get_response = 64
pin_min      = 4
pin_max      = 16

# --- ftcos driver settings ---
# READ/UPDATE BINARY chunk sizes (the card refuses more than 224 bytes).
max_read     = 224
max_update   = 224
# Keys of the MAC-protected administration commands (hex). The transport
# key (single DES) protects CREATE MF and ERASE; init_key is written into
# each DF and MACs DF/EF creation and key installs; the maintenance key
# encrypts and MACs WRITE KEY.
transport_key   = 92 34 2E EF 23 40 4F D1
init_key        = 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10
maintenance_key = 12 34 56 78 21 43 65 87 11 22 AA BB 33 44 CD EF
# RSA sizes the card OS can generate/use.
rsa_bits     = 1024, 2048
