# Project-wide helpers: warnings for project code and the plugin target shape.

function(atsm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(ATSM_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (e.g. <regex>) at -O1
    # with sanitizers; they stay warnings there and remain errors in the ordinary build.
    target_compile_options(${target} PRIVATE -Wno-error=maybe-uninitialized)
  endif()
endfunction()

# A connector plugin: a MODULE library that exports only atsm_connector_entry, built into the
# build tree's plugin dir (so build/bin/atsmigrate finds it) and installed into lib/atsmigrate/plugins.
function(atsm_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES" ${ARGN})
  add_library(${target} MODULE ${ARG_SOURCES})
  atsm_warnings(${target})
  target_link_libraries(${target} PRIVATE atsm::sdk)
  set(out ${ATSM_PLUGIN_OUTPUT_DIR})
  if(ARG_OUTPUT_DIR)
    set(out ${ARG_OUTPUT_DIR})
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    LIBRARY_OUTPUT_DIRECTORY ${out}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${PROJECT_SOURCE_DIR}/sdk/connector.version" "LINKER:--no-undefined")
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${ATSM_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
