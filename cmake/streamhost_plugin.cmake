# streamhost_add_plugin(<name> SOURCES <src>... [DEPS <target>...] [NO_INSTALL])
include(GNUInstallDirs)
# Builds <name>.so: a MODULE library with hidden visibility that links the SDK
# and no host symbols, installed into the plugin directory.
function(streamhost_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${STREAMHOST_PLUGIN_OUTPUT_DIR})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_link_libraries(${name} PRIVATE streamhost::plugin_sdk streamhost_warnings ${ARG_DEPS})
  if(NOT STREAMHOST_SANITIZE)
    # The sanitizer runtime lives in the executable, so a sanitized plugin has undefined symbols.
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  if(NOT ARG_NO_INSTALL)
    set_property(GLOBAL APPEND PROPERTY STREAMHOST_PLUGINS ${name})
    install(TARGETS ${name} LIBRARY DESTINATION lib/streamhost/plugins COMPONENT server)
  endif()
endfunction()

set(STREAMHOST_PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins CACHE PATH "Where built plugins go")
