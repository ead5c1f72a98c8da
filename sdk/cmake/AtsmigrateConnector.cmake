# atsmigrate_add_connector(<target> SOURCES <src>...): a connector shared library (MODULE) that
# exports only atsm_connector_entry and links atsmigrate::sdk. Included by the installed
# atsmigrate-sdkConfig.cmake and by the in-tree build, so both build connectors the same way.
include_guard(GLOBAL)

function(atsmigrate_add_connector target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "atsmigrate_add_connector(${target}): unexpected ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  # Installed next to this file; in the source tree it sits one directory up (sdk/).
  set(version_script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/connector.version)
  if(NOT EXISTS ${version_script})
    set(version_script ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../connector.version)
  endif()
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE atsmigrate::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${version_script}" "LINKER:--no-undefined")
  # Relinks when the exported symbol list changes.
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${version_script})
endfunction()
