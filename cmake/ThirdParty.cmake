# Header-only libraries from Debian packages, usable from both toolchains.
#
# em++ must not see /usr/include as a whole (glibc headers would shadow emscripten's libc),
# so each library's folder is linked into a private include dir that both builds use.
set(CATDOG_SYSINC ${CMAKE_BINARY_DIR}/sysinc)
file(MAKE_DIRECTORY ${CATDOG_SYSINC})
foreach(lib stb nlohmann catch2 CLI)
  if(EXISTS /usr/include/${lib} AND NOT EXISTS ${CATDOG_SYSINC}/${lib})
    file(CREATE_LINK /usr/include/${lib} ${CATDOG_SYSINC}/${lib} SYMBOLIC)
  endif()
endforeach()
add_library(catdog_sysinc INTERFACE)
target_include_directories(catdog_sysinc SYSTEM INTERFACE ${CATDOG_SYSINC})

# Libraries built from Debian source packages for wasm (scripts/build-wasm-deps) land here.
set(CATDOG_WASM_PREFIX ${CMAKE_SOURCE_DIR}/.deps/wasm-prefix CACHE PATH "wasm builds of libjpeg-turbo, libwebp")
set(CATDOG_DEPS_SRC ${CMAKE_SOURCE_DIR}/.deps CACHE PATH "unpacked Debian source packages")
