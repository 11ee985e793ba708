# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 7, acceptance item 3: the fault matrix of `ukey-renew install` on a
# virtual FTCOS token through ukey-pkcs11.so — the token pulled at every
# APDU of install and the process SIGKILLed at every PKCS#11 write, same key
# and --rekey (renew_faults.c says how). Included from
# tests/renew/CMakeLists.txt (uses rn_src, rn_work, rn_secrets, rn_env).
if(NOT TARGET ukey-pkcs11 OR NOT TARGET ukey-vtoken OR NOT TARGET ukey-e2e-p11
   OR NOT COMMAND ukey_add_pcsc_test)
  return()
endif()

add_executable(renew_faults ${rn_src}/renew_faults.c)
target_link_libraries(renew_faults PRIVATE ukey-e2e-p11 PkgConfig::PCSC)

# The points of one test are split over shards run in parallel, each in its
# own pcsc-run (renew-faults.sh): rekey has more APDUs and a key generation
# per point.
set(rn_faults_shards_samekey 2)
set(rn_faults_shards_rekey 3)
foreach(m samekey rekey)
  set(name renew_faults_${m})
  set(dir "${rn_work}/${name}")
  set(card "${rn_src}/renew-card $<TARGET_FILE:ukey-vtoken> ${dir} ${rn_secrets} {PORT}")
  ukey_add_pcsc_test(NAME ${name} CARDS "${card}" TIMEOUT 170 LABELS renew faults
    COMMAND env ${rn_env} MODULE=$<TARGET_FILE:ukey-pkcs11> SECRETS=${rn_secrets} W=${dir}
                VTOKEN=$<TARGET_FILE:ukey-vtoken> FAULTS=$<TARGET_FILE:renew_faults>
                UKEY_PROFILE_DIR=${UKEY_SOURCE_PROFILE_DIR}
                RENEW_FAULTS_SHARDS=${rn_faults_shards_${m}} PCSC_RUN=${UKEY_HARNESS} UKEY_PCSC_WAIT=$<TARGET_FILE:ukey-pcsc-wait>
            sh ${rn_src}/renew-faults.sh ${m})
endforeach()

# The same matrix on tokens in the vendor's ENTERSAFE-ESPK layout (issue 11:
# renewal writes the vendor's own form), FTCOS and ePass2003: a pull at
# every APDU and a kill at every write must leave a certificate with its
# key, and after the rerun the independent layout checker (`ukey-vtoken
# check`) must accept the token (VT_CHECK=1).
set(rn_faults_espk_os ftcos)
if(TARGET ukey_drivers AND EXISTS ${CMAKE_SOURCE_DIR}/drivers/epass2003/epass2003_driver.c)
  list(APPEND rn_faults_espk_os epass2003)
endif()
set(rn_faults_espk_atr_ftcos ftcos-pk01c)
set(rn_faults_espk_atr_epass2003 epass2003-espk)
# ESPK installs take more APDUs (samekey ~130, rekey ~235): more shards,
# and a nested shard's limit that holds under a loaded CI machine.
set(rn_faults_espk_shards_samekey 3)
set(rn_faults_espk_shards_rekey 4)
foreach(os ${rn_faults_espk_os})
  foreach(m samekey rekey)
    set(name renew_faults_espk_${os}_${m})
    set(dir "${rn_work}/${name}")
    set(atr ${rn_faults_espk_atr_${os}})
    set(card "${rn_src}/renew-card-espk $<TARGET_FILE:ukey-vtoken> ${dir} ${rn_secrets} {PORT} ${os} ${atr}")
    ukey_add_pcsc_test(NAME ${name} CARDS "${card}" TIMEOUT 420 LABELS renew faults espk
      COMMAND env ${rn_env} MODULE=$<TARGET_FILE:ukey-pkcs11> SECRETS=${rn_secrets} W=${dir}
                  VTOKEN=$<TARGET_FILE:ukey-vtoken> FAULTS=$<TARGET_FILE:renew_faults>
                  UKEY_PROFILE_DIR=${UKEY_SOURCE_PROFILE_DIR}
                  RENEW_FAULTS_SHARDS=${rn_faults_espk_shards_${m}} RENEW_FAULTS_SHARD_TIMEOUT=360
                  PCSC_RUN=${UKEY_HARNESS} UKEY_PCSC_WAIT=$<TARGET_FILE:ukey-pcsc-wait>
                  RENEW_FAULTS_CARD=renew-card-espk "RENEW_FAULTS_CARD_ARGS=${os} ${atr}"
                  VT_OS=${os} VT_ATR=${atr} VT_CHECK=1
              sh ${rn_src}/renew-faults.sh ${m})
  endforeach()
endforeach()
