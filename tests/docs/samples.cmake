# The code samples of the documentation are built and checked (the doc_samples
# test; docs/testing.md, "Code samples in the documentation").
#
# At configure time extract_samples.awk copies every C++ and JSON block of
# README.md, PROTOCOL.md and docs/*.md into samples/ (a fragment wrapped in its
# prelude, with #line directives so that the compiler names the document and
# line) and lists them. Each C++ sample becomes a target outside `all`
# (compiled with the project's warnings; a complete program is also linked);
# the doc_samples target builds them all. Editing a document re-runs the
# extraction at the next build. The test builds doc_samples, then checks the
# JSON samples with doc_json_check (the real manifest and config parsers) and
# the mirrors against their files.

set(doc_sample_documents ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/PROTOCOL.md)
file(GLOB doc_sample_more CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
list(APPEND doc_sample_documents ${doc_sample_more})
set(doc_sample_extractor ${CMAKE_CURRENT_SOURCE_DIR}/extract_samples.awk)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${doc_sample_documents} ${doc_sample_extractor})

find_program(STOCKADE_AWK NAMES awk gawk mawk REQUIRED)
set(doc_sample_dir ${CMAKE_CURRENT_BINARY_DIR}/samples)
set(doc_sample_fresh ${CMAKE_CURRENT_BINARY_DIR}/samples-fresh)
file(REMOVE_RECURSE ${doc_sample_fresh})
file(MAKE_DIRECTORY ${doc_sample_fresh} ${doc_sample_dir})
execute_process(
  COMMAND ${STOCKADE_AWK} -v out=${doc_sample_fresh} -v root=${PROJECT_SOURCE_DIR}
          -f ${doc_sample_extractor} ${doc_sample_documents}
  RESULT_VARIABLE doc_sample_rc
  ERROR_VARIABLE doc_sample_err)
if(NOT doc_sample_rc EQUAL 0)
  message(FATAL_ERROR "extract_samples.awk failed (${doc_sample_rc}): ${doc_sample_err}")
endif()

# Copy only what changed, so that a configure does not rebuild every sample,
# and drop the samples of blocks that are gone.
file(GLOB doc_sample_new RELATIVE ${doc_sample_fresh} ${doc_sample_fresh}/*)
file(GLOB doc_sample_old RELATIVE ${doc_sample_dir} ${doc_sample_dir}/*)
foreach(name IN LISTS doc_sample_old)
  if(NOT name IN_LIST doc_sample_new)
    file(REMOVE ${doc_sample_dir}/${name})
  endif()
endforeach()
foreach(name IN LISTS doc_sample_new)
  file(COPY_FILE ${doc_sample_fresh}/${name} ${doc_sample_dir}/${name} ONLY_IF_DIFFERENT)
endforeach()
file(REMOVE_RECURSE ${doc_sample_fresh})

# The library a project header belongs to.
function(doc_sample_library header out_var)
  set(lib "")
  if(header STREQUAL "stockade/sdk.h" OR header MATCHES "^sdk/")
    set(lib stockade_sdk)
  elseif(header STREQUAL "stockade/supervisor.h" OR header MATCHES "^supervisor/")
    set(lib stockade_supervisor)
  elseif(header STREQUAL "stockade/config.h" OR header MATCHES "^config/")
    set(lib stockade_config)
  elseif(header STREQUAL "stockade/result.h" OR header MATCHES "^base/")
    set(lib stockade_base)
  elseif(header MATCHES "^(sandbox|whitelist|wire|cli)/")
    set(lib stockade_${CMAKE_MATCH_1})
  endif()
  if(lib AND NOT TARGET ${lib})
    set(lib "")
  endif()
  set(${out_var} ${lib} PARENT_SCOPE)
endfunction()

set(doc_sample_prelude_libraries_host stockade_supervisor)
set(doc_sample_prelude_libraries_plugin stockade_sdk)
set(doc_sample_prelude_libraries_sandbox stockade_sandbox stockade_whitelist)

set(doc_sample_targets "")
set(doc_sample_outputs "")
# Called by the generated targets.cmake, once per C++ sample.
macro(doc_sample id kind prelude includes)
  set(libs "")
  if(prelude)
    list(APPEND libs ${doc_sample_prelude_libraries_${prelude}})
  endif()
  string(REPLACE "," ";" headers "${includes}")
  foreach(header IN LISTS headers)
    doc_sample_library(${header} lib)
    list(APPEND libs ${lib})
  endforeach()
  list(REMOVE_DUPLICATES libs)
  if("${kind}" STREQUAL "program")
    add_executable(doc_sample_${id} EXCLUDE_FROM_ALL ${doc_sample_dir}/${id}.cpp)
  else()
    add_library(doc_sample_${id} STATIC EXCLUDE_FROM_ALL ${doc_sample_dir}/${id}.cpp)
  endif()
  # One file a target: the unity batches of the test programs must not merge them.
  set_target_properties(doc_sample_${id} PROPERTIES UNITY_BUILD OFF)
  target_link_libraries(doc_sample_${id} PRIVATE ${libs})
  target_include_directories(doc_sample_${id} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  stockade_add_warnings(doc_sample_${id})
  list(APPEND doc_sample_targets doc_sample_${id})
  string(APPEND doc_sample_outputs "${id}\t$<TARGET_FILE:doc_sample_${id}>\n")
endmacro()
include(${doc_sample_dir}/targets.cmake)
file(GENERATE OUTPUT ${doc_sample_dir}/outputs.tsv CONTENT "${doc_sample_outputs}")

# The JSON samples go through the parsers the supervisor and `stockade check` use.
add_executable(doc_json_check doc_json_check.cpp)
target_link_libraries(doc_json_check PRIVATE stockade_config)
stockade_add_warnings(doc_json_check)

add_custom_target(doc_samples DEPENDS ${doc_sample_targets} doc_json_check)

# Keep going past a sample that fails, so that one run names every broken one.
set(doc_sample_keep_going "")
if(CMAKE_GENERATOR MATCHES "Ninja")
  set(doc_sample_keep_going "-k 0")
elseif(CMAKE_GENERATOR MATCHES "Makefiles")
  set(doc_sample_keep_going "-k")
endif()
add_test(NAME doc_samples
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_samples.sh
          ${CMAKE_COMMAND} ${PROJECT_BINARY_DIR} ${doc_sample_dir}
          $<TARGET_FILE:doc_json_check> ${PROJECT_SOURCE_DIR} "${doc_sample_keep_going}")
# Building the samples is a few seconds; the libraries, when this test is the
# first to need them rebuilt, a few minutes.
set_tests_properties(doc_samples PROPERTIES TIMEOUT 900)

# The extractor itself, on a fixture with every kind of block and marker.
add_test(NAME doc_samples_extractor
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/extractor_selftest.sh ${STOCKADE_AWK} ${PROJECT_SOURCE_DIR})
