# Warnings are errors for our own code. Third-party and generated headers are
# included as SYSTEM so their warnings do not fail our build.
add_library(stockade_warnings INTERFACE)
target_compile_options(stockade_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2 -Wimplicit-fallthrough
  -Wmissing-declarations -Wundef)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(stockade_warnings INTERFACE -Wduplicated-cond -Wlogical-op)
  # g++ 12 at -O3 reports -Wrestrict inside libstdc++'s own std::string
  # concatenation (GCC PR 105651, fixed in 13): a false positive in a system
  # header that no code of ours can avoid. Keep it visible, not fatal.
  if(CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(stockade_warnings INTERFACE -Wno-error=restrict)
  endif()
endif()

# stockade_add_warnings(target): opt a target of ours into the warning set.
function(stockade_add_warnings target)
  # BUILD_INTERFACE: a static library's PRIVATE links are exported as
  # $<LINK_ONLY:...>, and our warnings are nothing an installed consumer links.
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:stockade_warnings>)
endfunction()
