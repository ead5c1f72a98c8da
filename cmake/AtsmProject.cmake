# Project-wide helpers: warnings for project code and the plugin target shape.

function(atsm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  if(ATSM_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside libstdc++ (e.g. <regex>) at -O1
    # with sanitizers; they stay warnings there and remain errors in the ordinary build.
    target_compile_options(${target} PRIVATE -Wno-error=maybe-uninitialized)
  endif()
endfunction()

# A connector plugin: the SDK's atsmigrate_add_connector (exactly what a third party uses), plus
# the project's warnings, output into the build tree's plugin dir (so build/bin/atsmigrate finds it)
# and installation into lib/atsmigrate/plugins.
function(atsm_add_plugin target)
  cmake_parse_arguments(ARG "NO_INSTALL" "OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT COMMAND atsmigrate_add_connector)
    message(FATAL_ERROR "atsm_add_plugin needs the SDK: add_subdirectory(sdk) or find_package(atsmigrate-sdk)")
  endif()
  atsmigrate_add_connector(${target} SOURCES ${ARG_SOURCES})
  atsm_warnings(${target})
  if(TARGET atsm_plugin_include_check)
    add_dependencies(${target} atsm_plugin_include_check)
  endif()
  set(out ${ATSM_PLUGIN_OUTPUT_DIR})
  if(ARG_OUTPUT_DIR)
    set(out ${ARG_OUTPUT_DIR})
  endif()
  if(out)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${out})
  endif()
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${ATSM_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
