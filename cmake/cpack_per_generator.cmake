# Read by cpack once per generator. The deb's dbgsym and the rpm's debuginfo
# package strip the binaries themselves; an rpm without one is stripped here.
if(CPACK_GENERATOR STREQUAL "RPM" AND NOT CPACK_RPM_SERVER_DEBUGINFO_PACKAGE)
  set(CPACK_STRIP_FILES ON)
endif()
