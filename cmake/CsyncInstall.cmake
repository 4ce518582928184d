# Installation layout (GNUInstallDirs): the binaries in bin/, the systemd unit in
# lib/systemd/system/, the man page, and the example configuration in
# /etc/commerce-syncd/ whatever the prefix: the daemon, its unit and its man page all read
# /etc/commerce-syncd/commerce-syncd.yaml, so the configuration directory defaults to /etc
# (GNUInstallDirs would otherwise pick <prefix>/etc for any prefix but /usr). Override with
# -DCMAKE_INSTALL_SYSCONFDIR=<absolute path>; the unit follows. (The relative GNU default "etc"
# left in an older build directory's cache is replaced too.)

if(NOT DEFINED CACHE{CMAKE_INSTALL_SYSCONFDIR} OR CMAKE_INSTALL_SYSCONFDIR STREQUAL "etc")
  set(CMAKE_INSTALL_SYSCONFDIR /etc CACHE PATH "read-only single-machine data" FORCE)
endif()
include(GNUInstallDirs)

set(CSYNC_INSTALL_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(CSYNC_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/commerce-syncd)
set(CSYNC_SYSTEMD_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)

configure_file(${PROJECT_SOURCE_DIR}/config/systemd/commerce-syncd.service.in
  ${PROJECT_BINARY_DIR}/commerce-syncd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/commerce-syncd.service DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/config/commerce-syncd.example.yaml DESTINATION ${CSYNC_CONFIG_DIR})

# The man page, written in scdoc (Debian package scdoc, installed by scripts/bootstrap).
find_program(CSYNC_SCDOC scdoc)
if(NOT CSYNC_SCDOC)
  message(FATAL_ERROR "scdoc not found (it builds the man page): run scripts/bootstrap")
endif()
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/commerce-syncd.1
  COMMAND ${CSYNC_SCDOC} < ${PROJECT_SOURCE_DIR}/doc/commerce-syncd.1.scd > ${PROJECT_BINARY_DIR}/commerce-syncd.1
  DEPENDS ${PROJECT_SOURCE_DIR}/doc/commerce-syncd.1.scd VERBATIM)
add_custom_target(csync_man ALL DEPENDS ${PROJECT_BINARY_DIR}/commerce-syncd.1)
install(FILES ${PROJECT_BINARY_DIR}/commerce-syncd.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# A .deb of the same layout, from a build configured with -DCMAKE_INSTALL_PREFIX=/usr:
#   cpack -G DEB   (in the build directory; Depends from dpkg-shlibdeps)
# The package keeps the configured prefix: the unit's paths were generated from it.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_NAME commerce-syncd)
set(CPACK_PACKAGE_CONTACT "commerce-syncd maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "keeps a local normalized SQLite copy of a merchant's commerce platforms")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tzdata, ca-certificates")  # zones and TLS roots at run time
set(CPACK_DEBIAN_PACKAGE_SECTION net)
include(CPack)
