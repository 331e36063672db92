# The plugin runtime (included by supervisor/CMakeLists.txt): plugin discovery,
# processes, channels, Execute with breaker/retry/deadlines, health, output
# logging, and the Supervisor facade. docs/host-authors.md describes it.
set(STOCKADE_RUNTIME_PURE
  outcome.cpp circuit_breaker.cpp backoff.cpp retry_budget.cpp restart_budget.cpp
  plugin_output.cpp call_table.cpp plugin_registry.cpp launch.cpp fd_limit.cpp cgroup_janitor.cpp)
# These include Boost.Asio. Asio is compiled once, in asio_impl.cpp
# (BOOST_ASIO_SEPARATE_COMPILATION), so each of them compiles quickly.
set(STOCKADE_RUNTIME_ASIO
  asio_impl.cpp channel.cpp output_logger.cpp plugin_process.cpp plugin_process_calls.cpp
  health_checker.cpp execute_call.cpp supervisor.cpp supervisor_queries.cpp)
target_sources(stockade_supervisor PRIVATE ${STOCKADE_RUNTIME_PURE} ${STOCKADE_RUNTIME_ASIO})
set_source_files_properties(${STOCKADE_RUNTIME_ASIO} PROPERTIES
  COMPILE_DEFINITIONS "BOOST_ASIO_SEPARATE_COMPILATION;BOOST_ASIO_NO_DEPRECATED")
target_link_libraries(stockade_supervisor PUBLIC stockade_wire Threads::Threads PRIVATE Boost::headers)
