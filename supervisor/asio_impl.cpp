// Boost.Asio compiled once (BOOST_ASIO_SEPARATE_COMPILATION, set in
// runtime.cmake for the runtime's sources): the other files include only
// declarations, which keeps each of them quick to compile.
#include <boost/asio/impl/src.hpp>
