# The clients' end-to-end tests (ctest clients_tests):
# `stockade call --socket`, status, reload, restart, metrics, ControlClient
# and the Python client against a real `stockade serve`. Included by
# tests/daemon/CMakeLists.txt.
if(NOT TARGET clients_tests)
  add_executable(clients_tests
    ${CMAKE_CURRENT_LIST_DIR}/daemon_fixture.cpp
    ${PROJECT_SOURCE_DIR}/tests/runtime/runtime_fixture.cpp
    ${CMAKE_CURRENT_LIST_DIR}/clients_test.cpp)
  target_link_libraries(clients_tests PRIVATE
    stockade_control stockade_supervisor stockade_whitelist stockade_test_support nlohmann_json::nlohmann_json
    GTest::gtest_main)
  target_compile_definitions(clients_tests PRIVATE
    STOCKADE_BIN="$<TARGET_FILE:stockade>"
    CONTROL_PROBE="$<TARGET_FILE:control_probe>"
    STOCKADE_EXAMPLE_PLUGINS_DIR="${CMAKE_BINARY_DIR}/examples/plugins"
    STOCKADE_PYTHON_GEN="${STOCKADE_PYTHON_GEN_DIR}"
    STOCKADE_PYTHON_SRC="${PROJECT_SOURCE_DIR}/clients/python"
    STOCKADE_PYTHON_TEST="${CMAKE_CURRENT_LIST_DIR}/clients_python_test.py")
  add_dependencies(clients_tests stockade stockade_python_client)
  if(TARGET example_plugins)
    add_dependencies(clients_tests example_plugins)
  endif()
  stockade_add_warnings(clients_tests)
  add_test(NAME clients_tests COMMAND clients_tests)
  set_tests_properties(clients_tests PROPERTIES TIMEOUT 300)
endif()
