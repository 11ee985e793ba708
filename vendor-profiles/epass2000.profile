# SPDX-License-Identifier: LGPL-2.1-or-later
# Feitian ePass2000 ("FT V100").
# ASSUMPTION: no public APDU trace of an ePass2000 exists; its ATR (from
# pcsc-tools' smartcard_list) is the only public fact about its card OS, and
# OpenSC matches no driver for it. This profile assumes the FTCOS family's
# command set, keys and layouts (see ftcos-command-set.md). If a real token
# is ever traced and differs, the trace wins: adjust the keys/sizes below or
# point "driver" at a new driver.
name         = Feitian ePass2000 (FT V100)
atr          = 3B F9 94 00 00 81 31 FE 65 46 54 20 56 31 30 30 90 00 83
driver       = ftcos
layout       = pkcs15, entersafe-espk
manufacturer = Feitian Technologies
model        = ePass2000
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
