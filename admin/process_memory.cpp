#include "admin/process_memory.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

namespace vipd::admin {

Result<std::uint64_t> parse_statm_resident_bytes(std::string_view statm, std::uint64_t page_size) {
  // Fields are decimal page counts separated by single spaces; resident is the second.
  const auto space = statm.find(' ');
  if (space == std::string_view::npos) {
    return failure(Errc::kInvalidArgument, "statm: fewer than two fields");
  }
  const std::string_view rest = statm.substr(space + 1);
  std::uint64_t pages = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), pages);
  if (ec != std::errc() || end == rest.data() ||
      (end != rest.data() + rest.size() && *end != ' ' && *end != '\n')) {
    return failure(Errc::kInvalidArgument, "statm: the resident size is not a number");
  }
  if (page_size != 0 && pages > std::numeric_limits<std::uint64_t>::max() / page_size) {
    return failure(Errc::kOutOfRange, "statm: the resident size overflows");
  }
  return pages * page_size;
}

Result<std::uint64_t> process_resident_memory_bytes() {
  std::ifstream in("/proc/self/statm");
  if (!in) return failure(Errc::kIoError, "cannot open /proc/self/statm");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const long page_size = sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return failure(Errc::kIoError, "cannot read the page size");
  return parse_statm_resident_bytes(text, static_cast<std::uint64_t>(page_size));
}

}  // namespace vipd::admin
