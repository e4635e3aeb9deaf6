# FindCAF.cmake: locates the C++ Actor Framework 0.17 as shipped by Debian 12
# (libcaf-dev), which installs neither a CMake package nor a pkg-config file.
#
# Defines the IMPORTED targets
#   CAF::core     (libcaf_core, plus Threads::Threads)
#   CAF::io       (libcaf_io, the middleman)
#   CAF::openssl  (libcaf_openssl, TLS; its headers need no OpenSSL headers,
#                  and the library links libssl itself)
# and CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIR. The targets are GLOBAL, so
# that a parent project including libworkers with add_subdirectory can link
# CAF::* too without a find module of its own; libworkers' installed package
# ships this file and its config uses it.

# CAF::core links Threads::Threads: promote it to GLOBAL as well when it is
# created here (one a parent created is already visible to the parent).
if(NOT TARGET Threads::Threads)
  set(_caf_creates_threads TRUE)
endif()
find_package(Threads REQUIRED)
if(_caf_creates_threads)
  set_target_properties(Threads::Threads PROPERTIES IMPORTED_GLOBAL TRUE)
  unset(_caf_creates_threads)
endif()

find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp)
find_library(CAF_CORE_LIBRARY NAMES caf_core)
find_library(CAF_IO_LIBRARY NAMES caf_io)
find_library(CAF_OPENSSL_LIBRARY NAMES caf_openssl)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_ver_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" _caf_ver
         "${_caf_ver_line}")
  if(_caf_ver)
    math(EXPR _caf_major "${_caf_ver} / 10000")
    math(EXPR _caf_minor "(${_caf_ver} / 100) % 100")
    math(EXPR _caf_patch "${_caf_ver} % 100")
    set(CAF_VERSION "${_caf_major}.${_caf_minor}.${_caf_patch}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
                CAF_OPENSSL_LIBRARY
  VERSION_VAR CAF_VERSION)

if(CAF_FOUND AND NOT TARGET CAF::core)
  add_library(CAF::core UNKNOWN IMPORTED GLOBAL)
  set_target_properties(CAF::core PROPERTIES
    IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
  add_library(CAF::io UNKNOWN IMPORTED GLOBAL)
  set_target_properties(CAF::io PROPERTIES
    IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
    INTERFACE_LINK_LIBRARIES CAF::core)
  if(CAF_OPENSSL_LIBRARY)
    add_library(CAF::openssl UNKNOWN IMPORTED GLOBAL)
    set_target_properties(CAF::openssl PROPERTIES
      IMPORTED_LOCATION "${CAF_OPENSSL_LIBRARY}"
      INTERFACE_LINK_LIBRARIES CAF::io)
  endif()
endif()
mark_as_advanced(CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
                 CAF_OPENSSL_LIBRARY)
