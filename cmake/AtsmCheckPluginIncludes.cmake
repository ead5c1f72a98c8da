# Connectors are built against the SDK only: a plugin source that includes a core header fails the
# configure step. Included by plugins/CMakeLists.txt; also runs as a script (the test):
#   cmake -DATSM_PLUGINS_DIR=<dir> -P cmake/AtsmCheckPluginIncludes.cmake
include_guard(GLOBAL)

# An include reaches the core if it names core/, climbs out with ../, or starts with a directory
# of the core's include root (core/): the host's layers, the services and the former core model.
set(ATSM_CORE_INCLUDE_PREFIXES cli host pipeline report services verify net store model)

function(atsm_check_no_core_includes plugins_dir)
  file(GLOB_RECURSE sources LIST_DIRECTORIES false
    ${plugins_dir}/*.c ${plugins_dir}/*.cpp ${plugins_dir}/*.h ${plugins_dir}/*.hpp)
  list(JOIN ATSM_CORE_INCLUDE_PREFIXES "|" core_dirs)
  set(offences "")
  foreach(source IN LISTS sources)
    # One list element per line: characters that CMake lists treat specially (; [ ] \) cannot
    # occur in an include path, so they are dropped before splitting and line numbers stay exact.
    file(READ ${source} text)
    string(REGEX REPLACE "[][;\\]" "" text "${text}")
    string(REPLACE "\n" ";" lines "${text}")
    set(line_number 0)
    foreach(line IN LISTS lines)
      math(EXPR line_number "${line_number} + 1")
      if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"]")
        continue()
      endif()
      set(included ${CMAKE_MATCH_1})
      if(included MATCHES "(^|/)core/" OR included MATCHES "\\.\\./"
         OR included MATCHES "^(${core_dirs})/")
        file(RELATIVE_PATH shown ${plugins_dir} ${source})
        string(APPEND offences "\n  ${shown}:${line_number}: #include \"${included}\"")
      endif()
    endforeach()
  endforeach()
  if(offences)
    message(FATAL_ERROR "plugins/ includes core headers:${offences}\n"
      "Connectors build against the SDK only: use <atsmigrate/connector.hpp>, "
      "<atsmigrate/model/...> or <atsmigrate/kit/...> (atsmigrate::sdk, ::model, ::kit).")
  endif()
endfunction()

if(CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT ATSM_PLUGINS_DIR)
    message(FATAL_ERROR "usage: cmake -DATSM_PLUGINS_DIR=<dir> -P ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  atsm_check_no_core_includes(${ATSM_PLUGINS_DIR})
endif()
