# deb and rpm: `streamhost` (daemon, plugins, unit, config, manual page),
# `streamhost-plugin-sdk` (headers and CMake package for connector authors),
# and the detached debug symbols of the first (`streamhost-dbgsym` .ddeb,
# `streamhost-debuginfo` rpm). `make package` builds them; docs/install.md
# says what the maintainer scripts do.
set(_pkg ${PROJECT_SOURCE_DIR}/packaging)
set(_gen ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gen})

# Files that carry the version: the manual page and the changelog, gzipped
# without a timestamp so the packages build reproducibly.
configure_file(${_pkg}/man/streamhostd.8 ${_gen}/streamhostd.8 @ONLY)
configure_file(${_pkg}/deb/changelog.in ${_gen}/changelog @ONLY)
foreach(_f streamhostd.8 changelog)
  execute_process(COMMAND gzip -9nc ${_gen}/${_f} OUTPUT_FILE ${_gen}/${_f}.gz)
endforeach()

# preinst and %pre embed the newest store schema the built daemon opens (its
# --version says), to refuse a downgrade below the store's schema.
add_custom_target(package_scripts
  COMMAND ${CMAKE_COMMAND} -DDAEMON=$<TARGET_FILE:streamhostd> -DVERSION=${STREAMHOST_VERSION}
          -DSRC=${_pkg} -DOUT=${_gen} -P ${PROJECT_SOURCE_DIR}/cmake/package_scripts.cmake
  DEPENDS streamhostd VERBATIM)

install(FILES ${_pkg}/systemd/streamhost.service DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${_pkg}/sysusers/streamhost.conf DESTINATION lib/sysusers.d COMPONENT server)
install(FILES ${_pkg}/etc/streamhost.yaml DESTINATION /etc/streamhost COMPONENT server)
# The data dir, owned by the service user (rpm: %attr below; deb: the postinst).
install(DIRECTORY DESTINATION /var/lib/streamhost COMPONENT server)
install(FILES ${_gen}/streamhostd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/api.md ${PROJECT_SOURCE_DIR}/docs/install.md
  DESTINATION share/doc/streamhost COMPONENT server)
foreach(_comp_doc server:streamhost sdk:streamhost-plugin-sdk)
  string(REPLACE ":" ";" _cd ${_comp_doc})
  list(GET _cd 0 _comp)
  list(GET _cd 1 _docname)
  install(FILES ${_pkg}/deb/copyright ${_gen}/changelog.gz DESTINATION share/doc/${_docname} COMPONENT ${_comp})
endforeach()

set(CPACK_PACKAGE_NAME streamhost)
set(CPACK_PACKAGE_VENDOR "streamhost")
set(CPACK_PACKAGE_CONTACT "streamhost maintainers <maintainers@streamhost.invalid>")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put that one synopsis on
# both packages; each component below carries its own.
set(_server_summary "Change-data-capture and event-ingestion streams behind a REST API")
set(CPACK_PACKAGE_VERSION ${STREAMHOST_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_COMPONENTS_ALL server sdk)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)

set(_server_desc "streamhost runs change-data-capture and event-ingestion streams that an
administrator or a program drives through a REST API. Each record a source
produces is made durable in a per-pipeline journal before the source is told
it is done, so nothing acknowledged is lost across stops, crashes and
restarts.

This package holds the daemon streamhostd, its systemd service (enabled and
started on install, restarted on upgrade, reloaded with systemctl reload),
the configuration in /etc/streamhost and the connectors datagen, webhook,
postgres_cdc and kafka.")
set(_sdk_desc "The C ABI header and the C++ helper headers a streamhost connector is
written against, with the CMake package (find_package(StreamhostPluginSdk))
that builds a connector out of tree as a shared object streamhostd loads.")

# --- deb ---
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME streamhost)
set(CPACK_DEBIAN_SDK_PACKAGE_NAME streamhost-plugin-sdk)
set(CPACK_DEBIAN_SERVER_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_SDK_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_SERVER_DESCRIPTION "${_server_summary}\n${_server_desc}")
set(CPACK_DEBIAN_SDK_DESCRIPTION "Headers and CMake package to build streamhost connectors\n${_sdk_desc}")
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "adduser, debconf (>= 0.5) | debconf-2.0")
set(CPACK_DEBIAN_SERVER_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${_gen}/preinst ${_pkg}/deb/postinst ${_pkg}/deb/prerm ${_pkg}/deb/postrm
  ${_pkg}/deb/config ${_pkg}/deb/templates ${_pkg}/deb/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# --- rpm ---
set(CPACK_RPM_SERVER_PACKAGE_NAME streamhost)
set(CPACK_RPM_SDK_PACKAGE_NAME streamhost-plugin-sdk)
set(CPACK_RPM_SERVER_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_SDK_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_SERVER_PACKAGE_SUMMARY "${_server_summary}")
set(CPACK_RPM_SERVER_PACKAGE_DESCRIPTION "${_server_desc}")
set(CPACK_RPM_SDK_PACKAGE_SUMMARY "Headers and CMake package to build streamhost connectors")
set(CPACK_RPM_SDK_PACKAGE_DESCRIPTION "${_sdk_desc}")
set(CPACK_RPM_SDK_PACKAGE_ARCHITECTURE noarch)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Daemons")
set(CPACK_RPM_PACKAGE_URL "https://streamhost.invalid/")
set(CPACK_RPM_SERVER_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_SERVER_PRE_INSTALL_SCRIPT_FILE ${_gen}/rpm-pre)
set(CPACK_RPM_SERVER_POST_INSTALL_SCRIPT_FILE ${_pkg}/rpm/post)
set(CPACK_RPM_SERVER_PRE_UNINSTALL_SCRIPT_FILE ${_pkg}/rpm/preun)
set(CPACK_RPM_SERVER_POST_UNINSTALL_SCRIPT_FILE ${_pkg}/rpm/postun)
# %systemd_post and friends: the distribution's own macros where the build
# host has them (systemd-rpm-macros), else the same semantics from here.
file(READ ${_pkg}/rpm/systemd-macros.inc CPACK_RPM_SPEC_MORE_DEFINE)
string(APPEND CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${CPACK_PACKAGE_CONTACT}\n")
set(CPACK_RPM_SERVER_USER_FILELIST "%config(noreplace) %attr(0640,root,streamhost) /etc/streamhost/streamhost.yaml"
  "%dir %attr(0700,streamhost,streamhost) /var/lib/streamhost")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /etc/streamhost /usr/sbin /usr/share/man /usr/share/man/man8
  /usr/lib/systemd /usr/lib/systemd/system /usr/lib/sysusers.d /usr/lib/streamhost /usr/share/doc/streamhost-plugin-sdk
  /var /var/lib)
# Without a debuginfo package, strip here (rpmbuild's brp-strip keeps the symbol table).
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/cpack_per_generator.cmake)
# debugedit rewrites the source paths in the debug info in place, so
# "<prefix>/src_0" must not be longer than the checkout's path. From a
# checkout shorter than 20 characters the rpm has no debuginfo package (the
# binary is still stripped by rpmbuild's brp-strip).
string(LENGTH "${PROJECT_SOURCE_DIR}" _src_len)
set(CPACK_BUILD_SOURCE_DIRS "${PROJECT_SOURCE_DIR}")
if(_src_len GREATER_EQUAL 31)
  set(CPACK_RPM_BUILD_SOURCE_DIRS_PREFIX /usr/src/debug/streamhost)
  set(CPACK_RPM_SERVER_DEBUGINFO_PACKAGE ON)
elseif(_src_len GREATER_EQUAL 20)
  set(CPACK_RPM_BUILD_SOURCE_DIRS_PREFIX /usr/src/debug)
  set(CPACK_RPM_SERVER_DEBUGINFO_PACKAGE ON)
else()
  message(STATUS "rpm: no debuginfo package from a checkout path shorter than 20 characters")
endif()

include(CPack)
