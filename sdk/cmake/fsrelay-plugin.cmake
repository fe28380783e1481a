# fsrelay_add_plugin(): builds one plugin shared object the way the daemon loads it. Used in-tree and, through
# find_package(fsrelay-sdk), by third parties:
#
#   fsrelay_add_plugin(NAME [OUTPUT_DIRECTORY dir] [NO_INSTALL] [COMPONENT comp] source...)
#
# makes the MODULE target fsrelay_plugin_NAME, file fsrelay-NAME.so (the daemon finds a plugin by that file
# name), built into OUTPUT_DIRECTORY (default <build>/lib/fsrelay/plugins, a folder to pass to
# `fsrelay --plugin-dir`) and installed into FSRELAY_PLUGIN_INSTALL_DIR under the install prefix (default
# <libdir>/fsrelay/plugins, where a daemon installed with the same prefix looks) unless NO_INSTALL, as install
# component COMPONENT (default runtime, the component fsrelay's own package is made of).
include_guard(GLOBAL)
include(GNUInstallDirs)

set(FSRELAY_PLUGIN_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/fsrelay/plugins" CACHE STRING
  "Where fsrelay_add_plugin installs plugins, relative to CMAKE_INSTALL_PREFIX (or absolute)")

function(fsrelay_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "NO_INSTALL" "OUTPUT_DIRECTORY;COMPONENT" "")
  if(NOT name MATCHES "^[a-z0-9][a-z0-9_-]*$")
    # The daemon lower-cases names from the config and the command line before looking for the file.
    message(FATAL_ERROR "fsrelay_add_plugin: '${name}' must be lower case letters, digits, '-' or '_'")
  endif()
  if(NOT arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "fsrelay_add_plugin(${name}): no source files")
  endif()
  if(NOT arg_OUTPUT_DIRECTORY)
    set(arg_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/lib/fsrelay/plugins")
  endif()

  set(target fsrelay_plugin_${name})
  add_library(${target} MODULE ${arg_UNPARSED_ARGUMENTS})
  set_target_properties(${target} PROPERTIES
    PREFIX "" OUTPUT_NAME "fsrelay-${name}" SUFFIX ".so"
    # Only the aliases FSRELAY_PLUGIN exports are visible: no clash with the host's or another plugin's
    # symbols, whatever libraries the plugin links statically.
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON
    LIBRARY_OUTPUT_DIRECTORY "${arg_OUTPUT_DIRECTORY}")
  target_link_libraries(${target} PRIVATE fsrelay::sdk)
  # Hidden visibility still exports the std templates a plugin instantiates (libstdc++ marks them default);
  # the version script makes the fsrelay_* aliases the library's only dynamic symbols.
  set(script "${CMAKE_BINARY_DIR}/fsrelay-plugin-exports.map")
  file(CONFIGURE OUTPUT "${script}" CONTENT "{ global: fsrelay_plugin_api_v*; fsrelay_stamp_v*; local: *; };\n")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${script}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${script}")
  target_compile_features(${target} PRIVATE cxx_std_17)
  if(NOT arg_NO_INSTALL)
    # The loader refuses a plugin file that group or others may write: install it 0755 whatever the umask.
    if(NOT arg_COMPONENT)
      set(arg_COMPONENT runtime)
    endif()
    install(TARGETS ${target} LIBRARY DESTINATION "${FSRELAY_PLUGIN_INSTALL_DIR}" COMPONENT ${arg_COMPONENT}
      PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  endif()
endfunction()
