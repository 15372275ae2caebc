#pragma once
// The one Asio include of the project: every module that does network I/O includes this
// header and nothing else from Boost.Asio, so configuration macros stay in one place.
//
// Pure modules (codecs, state machines, RIB-out, allocator, planner, election) are compiled
// with VIPD_PURE_MODULE and must not reach this header: the build stops if they do.

#ifdef VIPD_PURE_MODULE
#error "common/asio.hpp included from a pure module: move the I/O out of it"
#endif

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace vipd {
namespace asio = boost::asio;
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
}  // namespace vipd
