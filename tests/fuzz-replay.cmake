# Replays every fuzz target's seed corpus in ordinary builds (label fuzz-replay),
# so that each crash once found stays fixed (sqlite's fuzzcheck idea).
file(GLOB CH_FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(f IN LISTS CH_FUZZ_SOURCES)
  get_filename_component(name ${f} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" corpus ${name})
  set(exe replay_${corpus})
  add_executable(${exe} ${f} ${CMAKE_CURRENT_SOURCE_DIR}/support/fuzz_replay_main.c)
  target_link_libraries(${exe} PRIVATE ${CH_LIBS})
  add_test(NAME ${exe} COMMAND ${exe} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${corpus})
  set_tests_properties(${exe} PROPERTIES LABELS fuzz-replay TIMEOUT 300
    ENVIRONMENT "${CH_TEST_ENV}")
endforeach()
