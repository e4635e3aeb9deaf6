# install.cmake: what `cmake --install` puts under the prefix, so that an
# external project can `find_package(libworkers CONFIG REQUIRED)` and link
# workers::core, workers::actors and workers::fl (tests/consumer,
# scripts/consumer.sh):
#   lib/                       libworkers_core, libworkers_actors, libworkers_fl
#   include/workers/           the core's headers (libworkers/core)
#   include/workers/actors/    the actor layer's (actors/runtime)
#   include/workers/fl/        federated learning's (libworkers/fl)
#   lib/cmake/libworkers/      config, version, exported targets, FindCAF,
#                              the clang link fix (caf_statics.cmake)
# The benchmark's libraries and headers are not installed (apps only).
# WORKERS_INSTALL_CMAKEDIR (where the package files go) is set in the
# top-level CMakeLists.txt: cmake/caf_statics.cmake names a file there.
include(CMakePackageConfigHelpers)

install(TARGETS workers_core workers_actors workers_fl
        EXPORT libworkersTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
# Each library's workers/ merges into one include/workers, as the include
# lines read ("workers/x.hpp", "workers/actors/x.hpp", "workers/fl/x.hpp").
install(DIRECTORY "${PROJECT_SOURCE_DIR}/libworkers/core/workers"
                  "${PROJECT_SOURCE_DIR}/libworkers/fl/workers"
                  "${PROJECT_SOURCE_DIR}/actors/runtime/workers"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT libworkersTargets
        NAMESPACE workers::
        DESTINATION "${WORKERS_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/libworkersConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/libworkersConfig.cmake"
  INSTALL_DESTINATION "${WORKERS_INSTALL_CMAKEDIR}")
# 0.x: a new minor version may break the API.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/libworkersConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/libworkersConfig.cmake"
              "${PROJECT_BINARY_DIR}/libworkersConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/caf-option-statics.map"
        DESTINATION "${WORKERS_INSTALL_CMAKEDIR}")
