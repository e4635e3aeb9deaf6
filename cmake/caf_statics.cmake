# Executables built with clang against Debian's libcaf (built with GCC)
# crashed on their first config option (issue 11, clang 14): in
#   caf::detail::option_meta_state_instance<T>()   (caf/make_config_option.hpp)
# the function-local `static config_option::meta_state obj{check_impl<T>,
# store_impl<T>, ..., trait::type_name()}` is emitted differently:
#   - GCC (libcaf_core.so) puts obj in .data with the function pointers
#     already filled in, and its guarded initializer builds only the string;
#   - clang (our objects) puts obj in .bss and fills in every field at run
#     time.
# The executable exports its weak copy, which interposes libcaf's (a shared
# library that uses a symbol also defined in the executable gets the
# executable's). When libcaf's code runs first (actor_system_config's own
# options, before ours), it constructs only the string in the executable's
# zeroed copy and sets the guard: every option of that type then has null
# check/store functions, and caf::config_option::check jumps to address 0.
# The version script keeps those tables (and their guards) local to the
# executable: libcaf and our code then each use a copy their own compiler
# initialized. Nothing compares the tables' addresses (config_option only
# calls through them), so two copies are harmless. With GCC both sides
# agree on the layout and the option is not needed.
#
# workers_caf_statics(target): adds the option to `target`'s
# INTERFACE_LINK_OPTIONS for every executable linking it with clang, from
# this tree or from the installed package (the map is installed beside
# libworkersConfig.cmake, cmake/install.cmake).
function(workers_caf_statics target)
  set(map caf-option-statics.map)
  set(clang_exe "$<AND:$<CXX_COMPILER_ID:Clang>,\
$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>>")
  target_link_options(${target} INTERFACE
    "$<${clang_exe}:LINKER:--version-script=\
$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/cmake/${map}>\
$<INSTALL_INTERFACE:$<INSTALL_PREFIX>/${WORKERS_INSTALL_CMAKEDIR}/${map}>>")
endfunction()
