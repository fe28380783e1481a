# fsrelay_add_plugin(NAME sources...): builds plugin NAME as fsrelay-NAME.so and installs it where the
# daemon looks (lib/fsrelay/plugins). Used in-tree and, through find_package(fsrelay-sdk), by third parties.
function(fsrelay_add_plugin name)
  add_library(fsrelay_plugin_${name} MODULE ${ARGN})
  set_target_properties(fsrelay_plugin_${name} PROPERTIES
    PREFIX "" OUTPUT_NAME "fsrelay-${name}"
    CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/lib/fsrelay/plugins")
  target_link_libraries(fsrelay_plugin_${name} PRIVATE fsrelay::sdk)
  target_compile_features(fsrelay_plugin_${name} PRIVATE cxx_std_17)
  install(TARGETS fsrelay_plugin_${name} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/fsrelay/plugins)
endfunction()
