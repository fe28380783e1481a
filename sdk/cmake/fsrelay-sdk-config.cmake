# find_package(fsrelay-sdk): the plugin SDK of one fsrelay installation (headers, fsrelay::sdk, fsrelay_add_plugin).
# Sets FSRELAY_SDK_API_VERSION (the plugin API, "MAJOR.MINOR") and FSRELAY_SDK_PLUGIN_DIR (that installation's
# plugin folder, to install into or to pass to --plugin-dir). Everything is found relative to this file, so a
# relocated or staged prefix works as well as the one fsrelay was configured with.
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.74)

# This file is <prefix>/<libdir>/cmake/fsrelay-sdk/; libdir may be "lib" or "lib/<multiarch>", so look upwards
# for the headers instead of assuming a depth.
set(_fsrelay_sdk_prefix "${CMAKE_CURRENT_LIST_DIR}")
set(_fsrelay_sdk_include "")
foreach(_fsrelay_sdk_up RANGE 5)
  get_filename_component(_fsrelay_sdk_prefix "${_fsrelay_sdk_prefix}" DIRECTORY)
  if(EXISTS "${_fsrelay_sdk_prefix}/include/fsrelay/plugin.hpp")
    set(_fsrelay_sdk_include "${_fsrelay_sdk_prefix}/include")
    break()
  endif()
endforeach()
if(NOT _fsrelay_sdk_include)
  set(${CMAKE_FIND_PACKAGE_NAME}_FOUND FALSE)
  set(${CMAKE_FIND_PACKAGE_NAME}_NOT_FOUND_MESSAGE
    "no include/fsrelay/plugin.hpp above ${CMAKE_CURRENT_LIST_DIR}: incomplete fsrelay installation")
  return()
endif()

file(STRINGS "${_fsrelay_sdk_include}/fsrelay/plugin.hpp" _fsrelay_sdk_api REGEX "^#define FSRELAY_SDK_API_M")
string(REGEX REPLACE ".*API_MAJOR ([0-9]+).*" "\\1" _fsrelay_sdk_major "${_fsrelay_sdk_api}")
string(REGEX REPLACE ".*API_MINOR ([0-9]+).*" "\\1" _fsrelay_sdk_minor "${_fsrelay_sdk_api}")
set(FSRELAY_SDK_API_VERSION "${_fsrelay_sdk_major}.${_fsrelay_sdk_minor}")
get_filename_component(FSRELAY_SDK_PLUGIN_DIR "${CMAKE_CURRENT_LIST_DIR}/../../fsrelay/plugins" ABSOLUTE)

if(NOT TARGET fsrelay::sdk)
  add_library(fsrelay::sdk INTERFACE IMPORTED)
  set_target_properties(fsrelay::sdk PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_fsrelay_sdk_include}"
    # Boost.DLL on std::filesystem: no libboost_filesystem to link.
    INTERFACE_COMPILE_DEFINITIONS BOOST_DLL_USE_STD_FS
    INTERFACE_LINK_LIBRARIES Boost::headers)
endif()
include("${CMAKE_CURRENT_LIST_DIR}/fsrelay-plugin.cmake")
