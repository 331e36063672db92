# The metrics tests (ctest metrics_tests): the text format read back by a
# strict parser, the counts from observer events, the cardinality caps, the
# HTTP endpoint on a loopback port and a unix socket, and metrics.listen.
# Included by tests/daemon/CMakeLists.txt.
if(NOT TARGET metrics_tests)
  add_executable(metrics_tests
    ${CMAKE_CURRENT_LIST_DIR}/metrics_text_parser.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics_http_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics_config_test.cpp)
  target_link_libraries(metrics_tests PRIVATE stockade_daemon_metrics stockade_config
    stockade_test_support GTest::gtest_main)
  target_include_directories(metrics_tests PRIVATE ${PROJECT_SOURCE_DIR})
  stockade_add_warnings(metrics_tests)
  add_test(NAME metrics_tests COMMAND metrics_tests)
endif()
