# Debian packages of the install components (cmake/Install.cmake):
#   cd build && cpack -G DEB
#     stockade_<version>_<arch>.deb         programs, man pages, example configs
#     libstockade-dev_<version>_<arch>.deb  headers, static libraries, CMake package, .pc
# Configure with -DCMAKE_INSTALL_PREFIX=/usr for packages (scripts/package-check
# does): the packages install where the build was configured to, so that the
# paths in stockade-sdk.pc are the ones the package has.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stockade)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "stockade maintainers <maintainers@users.noreply.b-seed-e178fb3f.example>")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
if(STOCKADE_SDK_ONLY)
  set(CPACK_COMPONENTS_ALL dev)
else()
  set(CPACK_COMPONENTS_ALL programs dev)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Debian's packages ship stripped programs; static archives keep their symbols
# (CMake strips only executables and shared libraries).
set(CPACK_STRIP_FILES ON)
# Depends from the programs' own ELF needs (libc only: libstdc++, libcrypto and
# libseccomp are linked in, cmake/Dependencies.cmake).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)

set(CPACK_DEBIAN_PROGRAMS_PACKAGE_NAME stockade)
set(CPACK_DEBIAN_PROGRAMS_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PROGRAMS_DESCRIPTION "sandboxed plugin supervisor
 stockade runs plugins, programs that speak its wire protocol, each in a
 sandbox of its own (namespaces, seccomp, Landlock, cgroup limits), after
 checking its binary against a whitelist of pinned digests.
 .
 This package has the stockade program (jail, check, call), plugin-hash,
 the man pages and example configs in /usr/share/doc/stockade/examples.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libstockade-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# Static libraries: no ELF dependencies for dpkg-shlibdeps to find, so what a
# consumer links them with is named here (stockadeConfig.cmake finds the same).
if(STOCKADE_SDK_ONLY)
  set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libflatbuffers-dev (>= ${FlatBuffers_VERSION})")
else()
  set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libflatbuffers-dev (>= ${FlatBuffers_VERSION}), libssl-dev (>= 3), libseccomp-dev (>= 2.5), pkgconf | pkg-config")
endif()
set(CPACK_DEBIAN_DEV_DESCRIPTION "stockade plugin SDK and host library (development files)
 The plugin SDK (<stockade/sdk.h>, stockade::sdk, pkg-config stockade-sdk)
 to write plugins for stockade, and the host library
 (<stockade/supervisor.h>, stockade::supervisor) to embed the supervisor in
 a program: static libraries and a CMake package,
 find_package(stockade CONFIG COMPONENTS sdk supervisor).")

include(CPack)
