#include "common/asio.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <exception>

namespace vipd {
namespace {

using namespace std::chrono_literals;

asio::awaitable<int> wait_then_answer() {
  asio::steady_timer timer(co_await asio::this_coro::executor, 1ms);
  co_await timer.async_wait(asio::use_awaitable);
  co_return 42;
}

asio::awaitable<int> first_of_two() {
  asio::steady_timer slow(co_await asio::this_coro::executor, 10s);
  auto result = co_await (wait_then_answer() || slow.async_wait(asio::use_awaitable));
  co_return result.index() == 0 ? std::get<0>(result) : -1;
}

// The project's one Asio header gives coroutines, timers and awaitable operators.
TEST(Asio, CoroutinesTimersAndOperatorsWork) {
  asio::io_context io;
  int answer = 0;
  std::exception_ptr error;
  asio::co_spawn(io, first_of_two(), [&](std::exception_ptr e, int value) {
    error = e;
    answer = value;
  });
  io.run_for(5s);
  EXPECT_FALSE(error);
  EXPECT_EQ(answer, 42);
}

}  // namespace
}  // namespace vipd
