// TokenSource: a token file is re-read when it changes (new file, size, time), every period
// even when it looks the same, and after a 401; what cannot be used is an error.
#include "k8s/token_source.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/testing/fake_clock.hpp"
#include "k8s/tests/support.hpp"

namespace vipd::k8s::test {
namespace {

class Token : public ::testing::Test {
 protected:
  std::string replace(const std::string& text) {  // as the kubelet does: write, rename
    dir_.write("token.new", text);
    std::filesystem::rename(dir_.path("token.new"), dir_.path("token"));
    return dir_.path("token");
  }
  testing::FakeClock clock_;
  TempDir dir_;
};

TEST_F(Token, AGivenTokenAsIs) {
  TokenSource fixed(clock_, "abc", "", std::chrono::minutes(1));
  EXPECT_EQ(fixed.token().value(), "abc");
  TokenSource none(clock_, "", "", std::chrono::minutes(1));
  EXPECT_EQ(none.token().value(), "");
  TokenSource bad(clock_, "a\r\nX-Injected: 1", "", std::chrono::minutes(1));
  EXPECT_FALSE(bad.token());
}

TEST_F(Token, AReplacedFileIsReadOnTheNextCall) {
  TokenSource source(clock_, "ignored", replace("first\n"), std::chrono::minutes(1));
  EXPECT_EQ(source.token().value(), "first");
  replace("second-token");
  EXPECT_EQ(source.token().value(), "second-token");
}

TEST_F(Token, AFileThatLooksUnchangedIsReadAgainEveryPeriod) {
  const auto path = replace("aaaa");
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  TokenSource source(clock_, "", path, std::chrono::minutes(1));
  EXPECT_EQ(source.token().value(), "aaaa");
  // Same inode, same size, same modification time: nothing shows the change.
  dir_.write("token", "bbbb");
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  clock_.advance(std::chrono::seconds(59));
  EXPECT_EQ(source.token().value(), "aaaa");
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(source.token().value(), "bbbb");
  // After a 401 it is read at once.
  dir_.write("token", "cccc");
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  EXPECT_EQ(source.token().value(), "bbbb");
  source.invalidate();
  EXPECT_EQ(source.token().value(), "cccc");
}

TEST_F(Token, AnUnusableFileIsAnErrorNotTheOldToken) {
  const auto path = replace("good");
  TokenSource source(clock_, "", path, std::chrono::minutes(1));
  EXPECT_EQ(source.token().value(), "good");
  replace(" \n");
  auto empty = source.token();
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "the token file " + path + " is empty");
  replace("two\nlines");
  auto injected = source.token();
  ASSERT_FALSE(injected);
  EXPECT_NE(injected.error().message().find("not allowed in an HTTP header"), std::string::npos);
  std::filesystem::remove(path);
  auto missing = source.token();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find(path), std::string::npos);
  replace("back");
  EXPECT_EQ(source.token().value(), "back");
}

}  // namespace
}  // namespace vipd::k8s::test
