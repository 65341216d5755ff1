# catdog_add_catch_test(<name> SOURCES ... [LIBS ...] [LABELS ...])
#
# One Catch2 v2 executable, registered with ctest. Under emscripten it runs in node through
# CMAKE_CROSSCOMPILING_EMULATOR with the real filesystem (NODERAWFS), so the same test reads
# ../shared and the reference files natively and in WASM.
if(NOT TARGET catdog_catch_main)
  add_library(catdog_catch_main STATIC ${CMAKE_SOURCE_DIR}/tests/catch_main.cpp)
  target_link_libraries(catdog_catch_main PUBLIC catdog_sysinc)
  target_compile_definitions(catdog_catch_main PUBLIC
      CATDOG_SHARED_DIR="${CATDOG_SHARED_DATA}"
      CATDOG_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
      CATDOG_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_include_directories(catdog_catch_main PUBLIC ${CMAKE_SOURCE_DIR}/tests)
  if(EMSCRIPTEN)
    target_compile_options(catdog_catch_main PUBLIC -fexceptions)
    target_link_options(catdog_catch_main PUBLIC -fexceptions -sNODERAWFS=1 -sENVIRONMENT=node
        -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -sEXIT_RUNTIME=1)
  endif()
endif()

function(catdog_add_catch_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE catdog_catch_main ${T_LIBS})
  add_test(NAME ${name} COMMAND ${name})
  set(labels ${T_LABELS})
  if(EMSCRIPTEN)
    list(APPEND labels wasm)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${labels}")
endfunction()
