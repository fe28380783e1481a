# find_package(fsrelay-sdk): the plugin SDK headers and fsrelay_add_plugin().
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.74)
include(GNUInstallDirs)
get_filename_component(_fsrelay_sdk_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET fsrelay::sdk)
  add_library(fsrelay::sdk INTERFACE IMPORTED)
  set_target_properties(fsrelay::sdk PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_fsrelay_sdk_prefix}/include"
    INTERFACE_COMPILE_DEFINITIONS BOOST_DLL_USE_STD_FS
    INTERFACE_LINK_LIBRARIES Boost::headers)
endif()
include("${CMAKE_CURRENT_LIST_DIR}/fsrelay-plugin.cmake")
