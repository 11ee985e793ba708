# SPDX-License-Identifier: LGPL-2.1-or-later
# Issue 11, acceptance 4: ukey-renew on tokens in the vendor's
# ENTERSAFE-ESPK layout (same key and --rekey) through ukey-pkcs11.so, then
# the independent layout checker (`ukey-vtoken check`) and a record-by-
# record comparison with the token before (renew-espk.sh). Included from
# tests/renew/CMakeLists.txt (uses rn_src, rn_work, rn_secrets, rn_env).
if(NOT TARGET ukey-pkcs11 OR NOT TARGET ukey-vtoken OR NOT COMMAND ukey_add_pcsc_test)
  return()
endif()
set(rn_espk_os ftcos)
set(rn_espk_atr_ftcos ftcos-pk01c)
set(rn_espk_atr_epass2003 epass2003-espk)
if(EXISTS ${CMAKE_SOURCE_DIR}/drivers/epass2003/epass2003_driver.c)
  list(APPEND rn_espk_os epass2003)
endif()
foreach(os ${rn_espk_os})
  foreach(c renew rekey)
    set(name renew_espk_${os}_${c})
    set(dir "${rn_work}/${name}")
    set(card "${rn_src}/renew-card-espk $<TARGET_FILE:ukey-vtoken> ${dir} ${rn_secrets} {PORT} ${os} ${rn_espk_atr_${os}}")
    ukey_add_pcsc_test(NAME ${name} CARDS "${card}" TIMEOUT 240 LABELS renew espk
      COMMAND env ${rn_env} MODULE=$<TARGET_FILE:ukey-pkcs11> SECRETS=${rn_secrets} W=${dir}
                  UKEY_TEST_STATE=${dir}/token.state VTOKEN=$<TARGET_FILE:ukey-vtoken>
                  UKEY_PROFILE_DIR=${UKEY_SOURCE_PROFILE_DIR}
              sh ${rn_src}/renew-espk.sh ${c})
  endforeach()
endforeach()
