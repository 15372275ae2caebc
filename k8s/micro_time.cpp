#include "k8s/micro_time.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>

#include "common/assert.hpp"

namespace vipd::k8s {
namespace {

namespace chrono = std::chrono;

// Reads exactly `count` decimal digits at `at`, advancing it.
std::optional<int> digits(std::string_view text, std::size_t& at, std::size_t count) {
  if (text.size() - at < count) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const char c = text[at + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  at += count;
  return value;
}

bool expect(std::string_view text, std::size_t& at, char a, char b = 0) {
  if (at >= text.size() || (text[at] != a && (b == 0 || text[at] != b))) return false;
  ++at;
  return true;
}

// The first and last instants Go's time can format (years 0000 and 9999, UTC).
constexpr MicroTime kFirst = chrono::sys_days{chrono::year{0} / 1 / 1};
constexpr MicroTime kLast =
    MicroTime{chrono::sys_days{chrono::year{10000} / 1 / 1}} - chrono::microseconds{1};

Error invalid(std::string_view why) {
  return Error(Errc::kInvalidArgument,
               "not an RFC 3339 time (2006-01-02T15:04:05.000000Z): " + std::string(why));
}

}  // namespace

Result<MicroTime> parse_micro_time(std::string_view text) {
  std::size_t at = 0;
  const auto year = digits(text, at, 4);
  if (!year || !expect(text, at, '-')) return failure(invalid("bad year"));
  const auto month = digits(text, at, 2);
  if (!month || !expect(text, at, '-')) return failure(invalid("bad month"));
  const auto day = digits(text, at, 2);
  if (!day || !expect(text, at, 'T', 't')) return failure(invalid("bad day"));
  const auto hour = digits(text, at, 2);
  if (!hour || !expect(text, at, ':')) return failure(invalid("bad hour"));
  const auto minute = digits(text, at, 2);
  if (!minute || !expect(text, at, ':')) return failure(invalid("bad minute"));
  const auto second = digits(text, at, 2);
  if (!second) return failure(invalid("bad second"));

  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::size_t count = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (count < 6) micros = micros * 10 + (text[at] - '0');
      ++count;
      ++at;
    }
    if (count == 0 || count > 9) return failure(invalid("a fraction has 1 to 9 digits"));
    for (std::size_t i = count; i < 6; ++i) micros *= 10;
  }

  int offset_minutes = 0;
  if (expect(text, at, 'Z', 'z')) {
    // UTC
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const int sign = text[at] == '-' ? -1 : 1;
    ++at;
    const auto oh = digits(text, at, 2);
    if (!oh || !expect(text, at, ':')) return failure(invalid("bad offset"));
    const auto om = digits(text, at, 2);
    if (!om || *oh > 23 || *om > 59) return failure(invalid("bad offset"));
    offset_minutes = sign * (*oh * 60 + *om);
  } else {
    return failure(invalid("no time zone (Z or +hh:mm)"));
  }
  if (at != text.size()) return failure(invalid("trailing characters"));

  const chrono::year_month_day date{chrono::year{*year},
                                    chrono::month{static_cast<unsigned>(*month)},
                                    chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return failure(invalid("no such date"));
  // Go refuses a leap second (second 60) too.
  if (*hour > 23 || *minute > 59 || *second > 59) return failure(invalid("no such time of day"));

  const MicroTime t = MicroTime{chrono::sys_days{date}} + chrono::hours{*hour} +
                      chrono::minutes{*minute} + chrono::seconds{*second} +
                      chrono::microseconds{micros} - chrono::minutes{offset_minutes};
  if (t < kFirst || t > kLast) return failure(invalid("outside the years 0000-9999 in UTC"));
  return t;
}

std::string format_micro_time(MicroTime time) {
  VIPD_ASSERT(time >= kFirst && time <= kLast, "MicroTime outside the years 0000-9999");
  const auto day = chrono::floor<chrono::days>(time);
  const chrono::year_month_day date{day};
  const chrono::hh_mm_ss<chrono::microseconds> tod{time - day};
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()),
                static_cast<long long>(tod.subseconds().count()));
  return out;
}

}  // namespace vipd::k8s
