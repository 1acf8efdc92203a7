# Writes the deb's preinst and the rpm's %pre with the store schema the built
# daemon opens. cmake -DDAEMON=... -DVERSION=... -DSRC=packaging -DOUT=dir -P this
execute_process(COMMAND ${DAEMON} --version OUTPUT_VARIABLE _out RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "store schema ([0-9]+)")
  message(FATAL_ERROR "${DAEMON} --version did not name its store schema: ${_out}")
endif()
set(STREAMHOST_STORE_SCHEMA ${CMAKE_MATCH_1})
set(STREAMHOST_VERSION ${VERSION})
configure_file(${SRC}/deb/preinst.in ${OUT}/preinst @ONLY)
configure_file(${SRC}/rpm/pre.in ${OUT}/rpm-pre @ONLY)
file(CHMOD ${OUT}/preinst PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
message(STATUS "package scripts: store schema ${STREAMHOST_STORE_SCHEMA}, version ${VERSION}")
