# Warnings for our own targets only; dependencies are SYSTEM includes and stay quiet.
function(csync_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports -Wrestrict inside libstdc++ for `"literal" + std::string` at -O2/-O3
    # (GCC bug 105329, fixed in 13): a false positive that would fail every Release build.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(CSYNC_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
