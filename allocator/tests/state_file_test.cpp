#include "allocator/state_file.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "allocator/tests/helpers.hpp"

namespace vipd::allocator {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): builders only

// A directory of its own for each test, removed afterwards.
class StateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::temp_directory_path() /
                 ("vipd-state-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  std::filesystem::path directory_;
};

Allocator populated() {
  Allocator allocator = with_pools(
      {pool("public", {"203.0.113.0/24", "2001:db8::/64"}), pool("edge", {"198.51.100.0/24"})});
  EXPECT_TRUE(allocator.assign(Svc("web")));
  EXPECT_TRUE(allocator.assign(Svc("ns1/dns").require_dual().share("k").on({"UDP/53"})));
  EXPECT_TRUE(allocator.assign(Svc("ns2/ntp").share("k").on({"UDP/123"})));
  EXPECT_TRUE(allocator.assign(Svc("ns1/api").from("edge")));
  return allocator;
}

TEST_F(StateFile, EncodesAndDecodesEveryAssignment) {
  const Allocator allocator = populated();
  const State state = snapshot(allocator);
  ASSERT_EQ(state.entries.size(), 4u);
  const std::string text = encode_state(state);
  EXPECT_NE(
      text.find(
          R"({"namespace":"ns1","name":"dns","pool":"public","addresses":["203.0.113.1","2001:db8::"]})"),
      std::string::npos)
      << text;
  auto decoded = decode_state(text);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded.value(), state);
  // Written straight from the allocator: the same text; and the text a JSON document of the
  // same content serializes to, escapes included.
  EXPECT_EQ(encode_state(allocator), text);
  boost::json::array entries;
  for (const auto& e : state.entries) {
    boost::json::array addresses;
    for (const auto& a : e.assignment.addresses) addresses.emplace_back(a.to_string());
    entries.emplace_back(boost::json::object{{"namespace", e.service.ns},
                                             {"name", e.service.name},
                                             {"pool", e.assignment.pool},
                                             {"addresses", std::move(addresses)}});
  }
  EXPECT_EQ(text, boost::json::serialize(
                      boost::json::object{{"version", 1}, {"assignments", std::move(entries)}}) +
                      "\n");
  const State odd{{{{"ns\"1", "a\\b\n"}, {"p\u00e9", {IpAddress::parse("192.0.2.1").value()}}}}};
  const auto odd_text = encode_state(odd);
  auto odd_back = decode_state(odd_text);
  ASSERT_TRUE(odd_back) << odd_text;
  EXPECT_EQ(odd_back.value(), odd);
}

TEST_F(StateFile, SavesAtomicallyAndLoadsBack) {
  const auto path = directory_ / "state.json";
  const State state = snapshot(populated());
  ASSERT_TRUE(save_state(path, state));
  EXPECT_FALSE(std::filesystem::exists(directory_ / "state.json.tmp"));
  auto loaded = load_state(path);
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_TRUE(loaded.value().has_value());
  EXPECT_EQ(*loaded.value(), state);

  // Overwriting replaces the whole file.
  ASSERT_TRUE(save_state(path, State{}));
  EXPECT_EQ(read(path), "{\"version\":1,\"assignments\":[]}\n");
  EXPECT_FALSE(std::filesystem::exists(directory_ / "state.json.tmp"));
}

TEST_F(StateFile, RestartReadoptsEverythingBeforeAllocatingAnew) {
  const auto path = directory_ / "state.json";
  const Allocator before = populated();
  ASSERT_TRUE(save_state(path, snapshot(before)));

  Allocator after = with_pools(
      {pool("public", {"203.0.113.0/24", "2001:db8::/64"}), pool("edge", {"198.51.100.0/24"})});
  auto loaded = load_state(path);
  ASSERT_TRUE(loaded && loaded.value().has_value());
  const std::vector<ServiceRequest> requests = {
      Svc("web"), Svc("ns1/dns").require_dual().share("k").on({"UDP/53"}),
      Svc("ns2/ntp").share("k").on({"UDP/123"}), Svc("ns1/api").from("edge")};
  for (const auto& entry : loaded.value()->entries) {
    const auto request = std::find_if(requests.begin(), requests.end(),
                                      [&](const auto& r) { return r.key == entry.service; });
    ASSERT_NE(request, requests.end());
    auto adopted = after.adopt(*request, entry.assignment.addresses);
    ASSERT_TRUE(adopted) << adopted.error().message();
  }
  EXPECT_EQ(after.assignments(), before.assignments());
  // A new Service does not get an address that was re-adopted.
  auto fresh = after.assign(Svc("new"));
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh.value().addresses[0].to_string(), "203.0.113.2");
}

TEST_F(StateFile, MissingFileIsAFirstStart) {
  auto loaded = load_state(directory_ / "absent.json");
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_FALSE(loaded.value().has_value());
}

TEST_F(StateFile, CorruptContentIsRefusedWithTheReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not valid JSON"},
      {"{\"version\":1,\"assignments\":[", "not valid JSON"},
      {"[]", "the top level must be an object"},
      {"{\"assignments\":[]}", "\"version\" must be 1"},
      {"{\"version\":2,\"assignments\":[]}", "\"version\" must be 1"},
      {"{\"version\":\"1\",\"assignments\":[]}", "\"version\" must be 1"},
      {"{\"version\":1}", "\"assignments\" must be a list"},
      {"{\"version\":1,\"assignments\":[],\"extra\":0}", "top level: unknown key \"extra\""},
      {"{\"version\":1,\"assignments\":[7]}", "assignments[0]: must be an object"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p"}]})",
       "assignments[0]: \"addresses\" must be a list of one or two addresses"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":[]}]})",
       "\"addresses\" must be a list of one or two addresses"},
      {R"({"version":1,"assignments":[{"namespace":"","name":"b","pool":"p","addresses":["192.0.2.1"]}]})",
       "assignments[0]: \"namespace\" must be a non-empty string"},
      {R"({"version":1,"assignments":[{"name":"b","pool":"p","addresses":["192.0.2.1"]}]})",
       "assignments[0]: missing \"namespace\""},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.300"]}]})",
       "assignments[0]: '192.0.2.300'"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":[1]}]})",
       "an address must be a string"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.1","192.0.2.2"]}]})",
       "two addresses of one family"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.1"],"x":1}]})",
       "assignments[0]: unknown key \"x\""},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.1"]},{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.2"]}]})",
       "assignments[1]: a/b appears twice"},
      // The first repeat in the file, whatever the order of the keys.
      {R"({"version":1,"assignments":[{"namespace":"z","name":"z","pool":"p","addresses":["192.0.2.1"]},{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.2"]},{"namespace":"z","name":"z","pool":"p","addresses":["192.0.2.3"]},{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.4"]},{"namespace":"z","name":"z","pool":"p","addresses":["192.0.2.5"]}]})",
       "assignments[2]: z/z appears twice"},
      // A repeat before a malformed entry is met first; a malformed entry before a repeat too.
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.1"]},{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.2"]},{"namespace":"a","name":"c","pool":"p","addresses":[]}]})",
       "assignments[1]: a/b appears twice"},
      {R"({"version":1,"assignments":[{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.1"]},{"namespace":"a","name":"c","pool":"p","addresses":[]},{"namespace":"a","name":"b","pool":"p","addresses":["192.0.2.2"]}]})",
       "assignments[1]: \"addresses\" must be a list of one or two addresses"},
  };
  for (const auto& [text, reason] : cases) {
    auto decoded = decode_state(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_NE(decoded.error().message().find(reason), std::string::npos)
        << text << "\n  message: " << decoded.error().message() << "\n  expected: " << reason;
  }
}

TEST_F(StateFile, CorruptOrUnreadableFileStopsStartUp) {
  const auto path = directory_ / "state.json";
  write(path, "{\"version\":1,\"assignments\":[");  // a torn write
  auto loaded = load_state(path);
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message().find("state file " + path.string() + " is corrupt"),
            std::string::npos)
      << loaded.error().message();

  write(path, "");  // empty is corrupt too, never "no assignments"
  EXPECT_FALSE(load_state(path));

  // A directory where the file should be cannot be read.
  const auto dir = directory_ / "dir.json";
  std::filesystem::create_directories(dir);
  auto unreadable = load_state(dir);
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code(), make_error_code(Errc::kIoError));
  EXPECT_NE(unreadable.error().message().find("cannot read the state file"), std::string::npos)
      << unreadable.error().message();
}

TEST_F(StateFile, WriteFailuresAreReported) {
  auto saved = save_state(directory_ / "missing-dir" / "state.json", State{});
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), make_error_code(Errc::kIoError));
  EXPECT_NE(saved.error().message().find("cannot create"), std::string::npos);

  // Renaming onto a non-empty directory fails; the temporary file is removed.
  const auto target = directory_ / "occupied";
  std::filesystem::create_directories(target / "child");
  auto blocked = save_state(target, State{});
  ASSERT_FALSE(blocked);
  EXPECT_NE(blocked.error().message().find("cannot rename"), std::string::npos)
      << blocked.error().message();
  EXPECT_FALSE(std::filesystem::exists(directory_ / "occupied.tmp"));
}

}  // namespace
}  // namespace vipd::allocator
