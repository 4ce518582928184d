# ASan + UBSan for a target when CSYNC_SANITIZE is on (the `asan` preset).
function(csync_enable_sanitizers target)
  if(CSYNC_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# Both in one call, for every target of ours.
function(csync_target target)
  csync_set_warnings(${target})
  csync_enable_sanitizers(${target})
endfunction()
