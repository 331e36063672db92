# What `cmake --install` puts where, and the CMake package and pkg-config file
# that let other projects use it. Every install rule of the project is here, so
# that one file says what ships; cmake/Packaging.cmake splits it into Debian
# packages by component:
#   programs  stockade, plugin-hash, the man pages, example configs   (package stockade)
#   dev       include/stockade/*.h, the static libraries, the CMake   (package libstockade-dev)
#             package (find_package(stockade CONFIG COMPONENTS sdk supervisor)), stockade-sdk.pc
#
# The libraries are installed as they are built, one static archive each,
# rather than folded into one archive per component: folding needs object
# libraries in every folder or an `ar` script, and buys a consumer nothing,
# since the exported targets carry the link order. So every library a
# component's library links is installed and exported too, found by walking
# the link interface (a library the tree gains is exported without an edit):
#   export set stockade-sdk         stockade::base, stockade::wire, stockade::sdk
#   export set stockade-supervisor  stockade::whitelist, stockade::sandbox,
#                                   stockade::config, stockade::supervisor, ...
# What is compiled into them from header-only libraries (Boost, spdlog, fmt,
# nlohmann_json) and our warning flags are $<BUILD_INTERFACE:...> in the
# folders' CMakeLists, since no installed header includes them; libseccomp is
# stockade::seccomp, which stockadeConfig.cmake makes from pkg-config.

# A project that add_subdirectory()s stockade links the same names as one that
# uses the installed package.
add_library(stockade::sdk ALIAS stockade_sdk)
if(TARGET stockade_supervisor)
  add_library(stockade::supervisor ALIAS stockade_supervisor)
endif()

if(NOT STOCKADE_INSTALL)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(STOCKADE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/stockade)

# stockade_static_closure(<out> <target>): <target> and every static library of
# ours (stockade_*) it links, directly or not, PRIVATE ones included (they are
# $<LINK_ONLY:...> in a static library's link interface). Each gets its export
# name: stockade_sandbox -> stockade::sandbox.
function(stockade_static_closure out target)
  set(seen)
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${current})
    string(REGEX REPLACE "^stockade_" "" export_name ${current})
    set_target_properties(${current} PROPERTIES EXPORT_NAME ${export_name})
    get_target_property(links ${current} INTERFACE_LINK_LIBRARIES)
    foreach(link IN LISTS links)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
      if(link MATCHES "^stockade_" AND TARGET ${link})
        get_target_property(type ${link} TYPE)
        if(type STREQUAL "STATIC_LIBRARY")
          list(APPEND queue ${link})
        endif()
      endif()
    endforeach()
  endwhile()
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# ---- The SDK: a plugin's library (also in an STOCKADE_SDK_ONLY build)
stockade_static_closure(stockade_sdk_libraries stockade_sdk)
install(TARGETS ${stockade_sdk_libraries} EXPORT stockade-sdk
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT stockade-sdk NAMESPACE stockade:: FILE stockade-sdk-targets.cmake
  DESTINATION ${STOCKADE_CMAKE_DIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/include/stockade/sdk.h ${PROJECT_SOURCE_DIR}/include/stockade/result.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stockade COMPONENT dev)
set(STOCKADE_INSTALLED_COMPONENTS sdk)

configure_file(${PROJECT_SOURCE_DIR}/cmake/stockade-sdk.pc.in
  ${PROJECT_BINARY_DIR}/stockade-sdk.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/stockade-sdk.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# ---- The host library, the programs and what they come with
if(NOT STOCKADE_SDK_ONLY)
  stockade_static_closure(stockade_host_libraries stockade_supervisor)
  list(REMOVE_ITEM stockade_host_libraries ${stockade_sdk_libraries})
  install(TARGETS ${stockade_host_libraries} EXPORT stockade-supervisor
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT stockade-supervisor NAMESPACE stockade:: FILE stockade-supervisor-targets.cmake
    DESTINATION ${STOCKADE_CMAKE_DIR} COMPONENT dev)
  install(FILES ${PROJECT_SOURCE_DIR}/include/stockade/supervisor.h
    ${PROJECT_SOURCE_DIR}/include/stockade/config.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/stockade COMPONENT dev)
  list(APPEND STOCKADE_INSTALLED_COMPONENTS supervisor)

  install(TARGETS stockade plugin-hash RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT programs)
  # Man pages from the build tree (docs/man/CMakeLists.txt): <page>.<section>.
  foreach(page IN LISTS STOCKADE_MAN_PAGES)
    string(REGEX MATCH "[0-9]$" section "${page}")
    install(FILES ${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT programs)
  endforeach()
  # The systemd units (docs/operators.md, "Running stockade serve under
  # systemd"). lib/systemd/system under the prefix: /usr/lib/systemd/system in
  # the package, which systemd reads (and Debian's /lib is /usr/lib). Installing
  # them enables nothing: `systemctl enable --now stockade` is the operator's.
  install(FILES ${PROJECT_SOURCE_DIR}/systemd/stockade.service ${PROJECT_SOURCE_DIR}/systemd/stockade.socket
    DESTINATION lib/systemd/system COMPONENT programs)
  # Example configs, not live ones: nothing goes to /etc, so installing the
  # package starts or changes nothing (the units above are not enabled, and a
  # file in /etc would be a conffile pointing at a plugins directory nobody
  # made).
  # An operator copies them to /etc/stockade/ (docs/operators.md).
  set(STOCKADE_EXAMPLES_DIR ${CMAKE_INSTALL_DOCDIR}/examples)
  install(FILES ${PROJECT_SOURCE_DIR}/examples/stockade.json
    DESTINATION ${STOCKADE_EXAMPLES_DIR} COMPONENT programs)
  file(GLOB example_manifests ${PROJECT_SOURCE_DIR}/examples/*/plugin.json)
  foreach(manifest IN LISTS example_manifests)
    get_filename_component(dir ${manifest} DIRECTORY)
    get_filename_component(name ${dir} NAME)
    install(FILES ${manifest} DESTINATION ${STOCKADE_EXAMPLES_DIR}/plugins/${name}
      COMPONENT programs)
  endforeach()
endif()

# ---- The CMake package
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/stockadeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/stockadeConfig.cmake INSTALL_DESTINATION ${STOCKADE_CMAKE_DIR})
# 0.x: a new minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/stockadeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/stockadeConfig.cmake ${PROJECT_BINARY_DIR}/stockadeConfigVersion.cmake
  DESTINATION ${STOCKADE_CMAKE_DIR} COMPONENT dev)

include(${PROJECT_SOURCE_DIR}/cmake/Packaging.cmake)
