#include "allocator/state_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

namespace vipd::allocator {
namespace {

namespace json = boost::json;

constexpr std::int64_t kVersion = 1;

Error io_error(std::string_view what, const std::filesystem::path& path, int error) {
  return Error(Errc::kIoError, fmt::format("{} {}: {}", what, path.string(), std::strerror(error)));
}

Result<std::string> string_field(const json::object& object, std::string_view field,
                                 std::string_view where) {
  const json::value* value = object.if_contains(field);
  if (value == nullptr) {
    return failure(Errc::kInvalidArgument, fmt::format("{}: missing \"{}\"", where, field));
  }
  const json::string* text = value->if_string();
  if (text == nullptr || text->empty()) {
    return failure(Errc::kInvalidArgument,
                   fmt::format("{}: \"{}\" must be a non-empty string", where, field));
  }
  return std::string(text->data(), text->size());
}

Result<void> only_keys(const json::object& object, std::initializer_list<std::string_view> keys,
                       std::string_view where) {
  for (const auto& member : object) {
    if (std::find(keys.begin(), keys.end(), member.key()) == keys.end()) {
      return failure(Errc::kInvalidArgument,
                     fmt::format("{}: unknown key \"{}\"", where, std::string_view(member.key())));
    }
  }
  return success();
}

Result<StateEntry> decode_entry(const json::value& value, std::size_t index) {
  const std::string where = fmt::format("assignments[{}]", index);
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return failure(Errc::kInvalidArgument, where + ": must be an object");
  }
  VIPD_TRY(only_keys(*object, {"namespace", "name", "pool", "addresses"}, where));
  StateEntry entry;
  VIPD_TRY(entry.service.ns, string_field(*object, "namespace", where));
  VIPD_TRY(entry.service.name, string_field(*object, "name", where));
  VIPD_TRY(entry.assignment.pool, string_field(*object, "pool", where));
  const json::value* addresses = object->if_contains("addresses");
  const json::array* list = addresses == nullptr ? nullptr : addresses->if_array();
  if (list == nullptr || list->empty() || list->size() > 2) {
    return failure(Errc::kInvalidArgument,
                   where + ": \"addresses\" must be a list of one or two addresses");
  }
  for (const json::value& item : *list) {
    const json::string* text = item.if_string();
    if (text == nullptr) {
      return failure(Errc::kInvalidArgument, where + ": an address must be a string");
    }
    auto address = IpAddress::parse(std::string_view(text->data(), text->size()));
    if (!address) return failure(address.error().with_context(where));
    entry.assignment.addresses.push_back(address.value());
  }
  auto& a = entry.assignment.addresses;
  std::sort(a.begin(), a.end());
  if (a.size() == 2 && a[0].family() == a[1].family()) {
    return failure(Errc::kInvalidArgument,
                   where + ": two addresses of one family; a Service holds one per family");
  }
  return entry;
}

}  // namespace

State snapshot(const Allocator& allocator) {
  State state;
  for (auto& [service, assignment] : allocator.assignments()) {
    state.entries.push_back({service, assignment});
  }
  return state;
}

namespace {

// The file is written as text, one entry at a time, in the form json::serialize() gives a
// document: no tree of 100,000 objects (~35 MiB at that size) is built to be thrown away.
class StateWriter {
 public:
  StateWriter() { text_ = "{\"version\":" + std::to_string(kVersion) + ",\"assignments\":["; }
  void add(const ServiceKey& service, const Assignment& assignment) {
    if (entries_++ > 0) text_ += ',';
    text_ += "{\"namespace\":";
    text_ += json::serialize(json::string_view(service.ns));
    text_ += ",\"name\":";
    text_ += json::serialize(json::string_view(service.name));
    text_ += ",\"pool\":";
    text_ += json::serialize(json::string_view(assignment.pool));
    text_ += ",\"addresses\":[";
    for (std::size_t i = 0; i < assignment.addresses.size(); ++i) {
      if (i > 0) text_ += ',';
      text_ += json::serialize(json::string_view(assignment.addresses[i].to_string()));
    }
    text_ += "]}";
  }
  std::string finish() && {
    text_ += "]}\n";
    return std::move(text_);
  }

 private:
  std::string text_;
  std::size_t entries_ = 0;
};

}  // namespace

std::string encode_state(const State& state) {
  StateWriter writer;
  for (const auto& entry : state.entries) writer.add(entry.service, entry.assignment);
  return std::move(writer).finish();
}

std::string encode_state(const Allocator& allocator) {
  StateWriter writer;
  allocator.for_each_assignment([&](const ServiceKey& service, const Assignment& assignment) {
    writer.add(service, assignment);
  });
  return std::move(writer).finish();
}

Result<State> decode_state(std::string_view text) {
  std::error_code ec;
  // The document is read once and dropped whole: one arena instead of a heap block per value
  // (100,000 assignments: ~40 MiB as separate blocks).
  json::monotonic_resource arena;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec, &arena);
  if (ec) {
    return failure(Errc::kInvalidArgument, fmt::format("not valid JSON: {}", ec.message()));
  }
  const json::object* object = root.if_object();
  if (object == nullptr) return failure(Errc::kInvalidArgument, "the top level must be an object");
  VIPD_TRY(only_keys(*object, {"version", "assignments"}, "top level"));
  const json::value* version = object->if_contains("version");
  if (version == nullptr || !version->is_int64() || version->as_int64() != kVersion) {
    return failure(Errc::kUnsupported,
                   fmt::format("\"version\" must be {} (this vipd reads version {} only)", kVersion,
                               kVersion));
  }
  const json::value* assignments = object->if_contains("assignments");
  const json::array* list = assignments == nullptr ? nullptr : assignments->if_array();
  if (list == nullptr) {
    return failure(Errc::kInvalidArgument, "\"assignments\" must be a list");
  }
  // A Service listed twice is reported at its first repeat in the file, before any later
  // fault, as a reader going through the file would meet them. Found by sorting (ties in file
  // order: a repeat is a neighbour of the entry it repeats), not by a set of every key.
  State state;
  state.entries.reserve(list->size());
  std::vector<std::uint32_t> order;
  const auto sort_and_find_repeat = [&]() -> Result<void> {
    const auto& entries = state.entries;
    order.resize(entries.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return entries[a].service < entries[b].service;
    });
    std::optional<std::uint32_t> repeat;
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (entries[order[i]].service == entries[order[i - 1]].service &&
          (!repeat || order[i] < *repeat)) {
        repeat = order[i];
      }
    }
    if (!repeat) return success();
    return failure(Errc::kInvalidArgument, fmt::format("assignments[{}]: {} appears twice", *repeat,
                                                       entries[*repeat].service.to_string()));
  };
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto entry = decode_entry((*list)[i], i);
    if (!entry) {
      VIPD_TRY(sort_and_find_repeat());
      return failure(entry.error());
    }
    state.entries.push_back(std::move(entry.value()));
  }
  VIPD_TRY(sort_and_find_repeat());
  std::vector<StateEntry> sorted;
  sorted.reserve(order.size());
  for (const std::uint32_t i : order) sorted.push_back(std::move(state.entries[i]));
  state.entries = std::move(sorted);
  return state;
}

Result<void> save_state(const std::filesystem::path& path, const State& state) {
  return write_state(path, encode_state(state));
}

Result<void> save_state(const std::filesystem::path& path, const Allocator& allocator) {
  return write_state(path, encode_state(allocator));
}

Result<void> write_state(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return failure(io_error("cannot create", temporary, errno));
  const auto abandon = [&](std::string_view what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temporary.c_str());
    return failure(io_error(what, temporary, error));
  };
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return abandon("cannot write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return abandon("cannot fsync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return failure(io_error("cannot close", temporary, error));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return failure(io_error("cannot rename the new state file onto", path, error));
  }
  // Make the rename itself durable.
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return failure(io_error("cannot open the directory", directory, errno));
  const int synced = ::fsync(dir);
  const int error = errno;
  ::close(dir);
  if (synced != 0) return failure(io_error("cannot fsync the directory", directory, error));
  return success();
}

Result<std::optional<State>> load_state(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<State>{};
    return failure(io_error("cannot open the state file", path, errno));
  }
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return failure(io_error("cannot read the state file", path, error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto state = decode_state(text);
  if (!state) {
    return failure(state.error().with_context(
        fmt::format("state file {} is corrupt (fix or remove it; starting without it would "
                    "hand out addresses that may be in use)",
                    path.string())));
  }
  return std::optional<State>(std::move(state.value()));
}

}  // namespace vipd::allocator
