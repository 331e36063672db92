# The metrics of `stockade serve` (helper library stockade_daemon_metrics,
# linked by stockade_daemon): the registry the Supervisor's observer counts
# into, the Prometheus text rendering and the optional HTTP endpoint
# (metrics.listen, Boost.Beast). Included by daemon/CMakeLists.txt.
if(NOT TARGET stockade_daemon_metrics)
  add_library(stockade_daemon_metrics STATIC
    ${CMAKE_CURRENT_LIST_DIR}/prometheus_text.cpp
    ${CMAKE_CURRENT_LIST_DIR}/latency_histogram.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics_registry.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp
    ${CMAKE_CURRENT_LIST_DIR}/metrics_http.cpp)
  # Asio is compiled once, in the supervisor's asio_impl.cpp; Beast is
  # header-only and included by metrics_http.cpp alone.
  set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/metrics_http.cpp PROPERTIES
    COMPILE_DEFINITIONS "BOOST_ASIO_SEPARATE_COMPILATION;BOOST_ASIO_NO_DEPRECATED")
  target_include_directories(stockade_daemon_metrics PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}> $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)
  target_link_libraries(stockade_daemon_metrics
    PUBLIC stockade_supervisor stockade_config stockade_base Threads::Threads
    PRIVATE $<BUILD_INTERFACE:Boost::headers>)
  stockade_add_warnings(stockade_daemon_metrics)
endif()
