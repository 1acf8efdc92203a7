# deb and rpm: `streamhost` (daemon, plugins, unit, config) and
# `streamhost-plugin-sdk` (headers and CMake package for connector authors).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/systemd/streamhost.service
  DESTINATION lib/systemd/system COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/etc/streamhost.yaml
  DESTINATION /etc/streamhost COMPONENT server)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/api.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT server)

set(CPACK_PACKAGE_NAME streamhost)
set(CPACK_PACKAGE_VENDOR "streamhost")
set(CPACK_PACKAGE_CONTACT "streamhost maintainers <maintainers@streamhost.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Change-data-capture and event-ingestion streams behind a REST API")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL server sdk)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_RPM_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME streamhost)
set(CPACK_DEBIAN_SDK_PACKAGE_NAME streamhost-plugin-sdk)
set(CPACK_DEBIAN_SERVER_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_SDK_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/scripts/postinst ${PROJECT_SOURCE_DIR}/packaging/scripts/prerm
  ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_RPM_SERVER_PACKAGE_NAME streamhost)
set(CPACK_RPM_SDK_PACKAGE_NAME streamhost-plugin-sdk)
set(CPACK_RPM_SERVER_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_SDK_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_SDK_PACKAGE_ARCHITECTURE noarch)
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_SERVER_POST_INSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/scripts/postinst)
set(CPACK_RPM_SERVER_PRE_UNINSTALL_SCRIPT_FILE ${PROJECT_SOURCE_DIR}/packaging/scripts/prerm)
set(CPACK_RPM_SERVER_USER_FILELIST "%config(noreplace) /etc/streamhost/streamhost.yaml")
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION /etc/streamhost /lib/systemd /lib/systemd/system /usr/lib/streamhost)

include(CPack)
