# Compiler warnings, sanitizers, coverage and fuzzing flags.
set(CH_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wformat=2 -Wconversion -Wno-sign-conversion
    -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wimplicit-fallthrough -Wno-unused-parameter)
if(CH_WERROR)
  list(APPEND CH_WARNINGS -Werror)
endif()
add_compile_options(-fno-strict-aliasing -D_GNU_SOURCE)

if(CH_SANITIZE)
  add_compile_options(-fsanitize=${CH_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${CH_SANITIZE})
endif()
if(CH_COVERAGE)
  add_compile_options(--coverage -O0)
  add_link_options(--coverage)
endif()
if(CH_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "CH_FUZZ needs clang: configure with CC=clang")
  endif()
  # Undefined behaviour stops the fuzzer (and fails fuzz-run) as it fails the
  # sanitizer test build; by default UBSan would only print and go on.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CH_TESTS)
  # CH_TESTABLE helpers become visible to unit tests.
  add_compile_definitions(CH_UNIT_TEST=1)
endif()

# ch_add_library(name sources...): a subsystem library with the project's warnings.
function(ch_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_compile_options(${name} PRIVATE ${CH_WARNINGS})
endfunction()

# ch_subsystem(name DEPS lib...): the library of src/<name>, made of every .c in
# that folder (so adding a module needs no build edit), linked to its deps.
function(ch_subsystem name)
  cmake_parse_arguments(S "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.c)
  if(NOT srcs)
    message(STATUS "src/${name} has no sources yet; not built")
    return()
  endif()
  ch_add_library(ch_${name} ${srcs})
  target_link_libraries(ch_${name} PUBLIC ${S_DEPS})
endfunction()
