# SPDX-License-Identifier: LGPL-2.1-or-later
# drivers/epass2003/ — the Feitian ePass2003 card OS (secure messaging, PINs,
# RSA, files) and its card file system for the layouts (cardfs.h). Included
# by drivers/CMakeLists.txt; these sources see only their own directory (and
# drivers/, apdu/ through the library's public include directories).
set(_epass2003_src
  epass2003/epass2003_sm.c
  epass2003/epass2003_cmd.c
  epass2003/epass2003_pin.c
  epass2003/epass2003_key.c
  epass2003/epass2003_fs.c
  epass2003/epass2003_driver.c
  epass2003/epass2003_p15init.c
)
target_sources(ukey_drivers PRIVATE ${_epass2003_src})
set_source_files_properties(${_epass2003_src}
  PROPERTIES INCLUDE_DIRECTORIES "${CMAKE_CURRENT_SOURCE_DIR}/epass2003")
# the driver table binds the layouts (layout.h), as ftcos_driver.c does; its
# personalisation (C_InitToken) takes the PKCS#15 files' contents from the
# layout's builders (pkcs15.h), as ftcos_p15init.c does
set_source_files_properties(epass2003/epass2003_driver.c epass2003/epass2003_p15init.c
  PROPERTIES INCLUDE_DIRECTORIES
  "${CMAKE_CURRENT_SOURCE_DIR}/epass2003;${CMAKE_CURRENT_SOURCE_DIR}/layout")
