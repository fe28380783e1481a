# Debian packages with CPack (`cpack` or `cmake --build BUILD --target package` in a build tree): fsrelay (daemon,
# plugins, systemd units, man page, bash completion, example configs) and fsrelay-dev (plugin SDK headers and
# CMake package). Install components: runtime -> fsrelay, dev -> fsrelay-dev.
add_subdirectory(${CMAKE_SOURCE_DIR}/dist ${CMAKE_BINARY_DIR}/dist)

# The binary looks for plugins only at ../<libdir>/fsrelay/plugins and ../lib/fsrelay/plugins next to itself
# (core/plugin/plugin_loader.cpp). A plugin folder elsewhere would make a package whose daemon finds no plugin.
if(NOT FSRELAY_PLUGIN_INSTALL_DIR STREQUAL "${CMAKE_INSTALL_LIBDIR}/fsrelay/plugins"
   AND NOT FSRELAY_PLUGIN_INSTALL_DIR STREQUAL "lib/fsrelay/plugins")
  message(WARNING "FSRELAY_PLUGIN_INSTALL_DIR=${FSRELAY_PLUGIN_INSTALL_DIR} is not where the installed binary "
    "looks (${CMAKE_INSTALL_LIBDIR}/fsrelay/plugins): packages and installs will need --plugin-dir")
endif()
# Every install() rule must belong to a packaged component, or its files silently miss from both packages.
get_cmake_property(_fsrelay_components COMPONENTS)
list(REMOVE_ITEM _fsrelay_components runtime dev)
if(_fsrelay_components)
  message(WARNING "install() rules outside the runtime and dev components are not packaged: ${_fsrelay_components}")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fsrelay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "fsrelay maintainers <root@localhost>" CACHE STRING "Maintainer field of the packages")
# Install destinations are relative, so the package's prefix is chosen here, whatever the build was configured with.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Not stripped: strip drops .symtab, where the plugin loader reads each plugin's API stamp (Boost.DLL's
# library_info), so stripped plugins are refused. Build the package from a Release build for small files.
set(CPACK_STRIP_FILES OFF)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps adds the libraries the binary and plugins link (libc, libstdc++, libsystemd, tinyxml2,
# curl, cpp-httplib...) to the Depends given here.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME fsrelay)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "rsync")
# Each description's first line is its package's summary (no CPACK_PACKAGE_DESCRIPTION_SUMMARY, which CPack
# would put before both).
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "watch folders and push every change to rsync targets
fsrelay watches directory trees with inotify and pushes every change to one or more remotes with
rsync, in batches, within milliseconds. It reads sersync 2.5's confxml.xml and takes its command
line. Includes the in-tree plugins (rsync, command, socket, http, refreshCDN), systemd units
(fsrelay.service, fsrelay@.service), the man page and bash completion.")
# systemctl daemon-reload after install and removal; stop the services before removal.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/dist/debian/postinst ${CMAKE_SOURCE_DIR}/dist/debian/prerm ${CMAKE_SOURCE_DIR}/dist/debian/postrm)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME fsrelay-dev)
# The SDK is the plugin API of exactly this daemon; its CMake package needs Boost's headers (find_dependency).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "fsrelay (= ${CPACK_PACKAGE_VERSION}), libboost-dev (>= 1.74)")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "cmake (>= 3.25)")
set(CPACK_COMPONENT_DEV_DESCRIPTION "plugin SDK for fsrelay
Headers (fsrelay/plugin.hpp) and the CMake package fsrelay-sdk (find_package(fsrelay-sdk),
fsrelay_add_plugin) to build third-party fsrelay plugins.")

include(CPack)
