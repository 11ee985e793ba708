# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey-renew against other servers and its command line (issue 7, items 5.1,
# 5.7 and 6 of the acceptance list): renew-srv.sh CASE on SoftHSMv2
# (renew-softhsm.sh) and on a virtual FTCOS token through ukey-pkcs11.so
# (pcsc-run + renew-card).
#   mock   OpenSSL's CMP mock server: rejection, error message, waiting then accepted
#   tls    HTTPS with client authentication by the token key, and its failures
#   cli    --dry-run, --verbose, module/config errors, Chinese, trust, state file, --json
#   ifdue  renew --if-due on a certificate with 300 days left
# Included from tests/renew/CMakeLists.txt once rn_src, rn_work, rn_secrets
# and rn_env are set.
set(rn_srv_cases mock tls cli ifdue)

if(UKEY_INTEGRATION_TESTS)
  foreach(c ${rn_srv_cases})
    set(days 30)
    if(c STREQUAL "ifdue")
      set(days 300)
    endif()
    add_test(NAME renew_softhsm_${c}
             COMMAND env ${rn_env} RENEW_DAYS_LEFT=${days}
                     sh ${rn_src}/renew-softhsm.sh $<TARGET_FILE:ukey-renew>
                        $<TARGET_FILE:ukey-testca> ${rn_src}/renew-srv.sh ${c})
    set_tests_properties(renew_softhsm_${c} PROPERTIES LABELS "integration;renew"
                         TIMEOUT 180 SKIP_RETURN_CODE 77)
  endforeach()
endif()

if(TARGET ukey-vtoken AND TARGET ukey-pkcs11 AND COMMAND ukey_add_pcsc_test)
  foreach(c ${rn_srv_cases})
    set(name renew_ukey_${c})
    set(dir "${rn_work}/${name}")
    set(days 30)
    if(c STREQUAL "ifdue")
      set(days 300)
    endif()
    set(card "${rn_src}/renew-card $<TARGET_FILE:ukey-vtoken> ${dir} ${rn_secrets} {PORT} --days-left ${days}")
    ukey_add_pcsc_test(NAME ${name} CARDS "${card}" TIMEOUT 180 LABELS renew
      COMMAND env ${rn_env} MODULE=$<TARGET_FILE:ukey-pkcs11> SECRETS=${rn_secrets}
                  W=${dir} UKEY_TEST_STATE=${dir}/token.state
                  UKEY_PROFILE_DIR=${UKEY_SOURCE_PROFILE_DIR}
              sh ${rn_src}/renew-srv.sh ${c})
  endforeach()
endif()
