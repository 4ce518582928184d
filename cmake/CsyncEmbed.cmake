# Embeds text files (the SQL migrations) into a generated C++ source, so the binary and the tests
# always agree on the schema and no file has to be installed beside the binary.
# csync_embed_files(OUT <file.cpp> NAMESPACE <ns> FUNCTION <fn> FILES <f>...)
# generates: std::vector<std::pair<std::string_view, std::string_view>> ns::fn()  (name, text)
function(csync_embed_files)
  cmake_parse_arguments(E "" "OUT;NAMESPACE;FUNCTION" "FILES" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUT}
    COMMAND ${CMAKE_COMMAND} -DOUT=${E_OUT} -DNS=${E_NAMESPACE} -DFN=${E_FUNCTION}
            "-DFILES=${E_FILES}" -P ${CMAKE_SOURCE_DIR}/cmake/CsyncEmbedScript.cmake
    DEPENDS ${E_FILES} ${CMAKE_SOURCE_DIR}/cmake/CsyncEmbedScript.cmake
    COMMENT "Embedding ${E_FUNCTION}"
    VERBATIM)
endfunction()
