#pragma once
// Diagnostics of a configuration check: errors, warnings and notes, each with the file, the
// 1-based line and column, and the field path as the user wrote it
// ("address-pools[2].addresses[0]").
//
// The model holds no positions. Front ends record, for each model element they produce, where
// it was written (`Origins`, keyed by a model path such as "pools[1].addresses[0]"), so checks
// on the model alone (validate.hpp) still point at the user's text. Pure; no I/O.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vipd::config {

struct Position {
  int line = 0;  // 1-based; 0: unknown
  int column = 0;
  friend bool operator==(const Position&, const Position&) = default;
};

// Where a value was written: its position and its field path in the user's terms.
struct Origin {
  Position position;
  std::string path;
};

enum class Severity { kError, kWarning, kNote };
std::string_view to_string(Severity severity);

struct Diagnostic {
  Severity severity = Severity::kError;
  std::string file;
  Position position;
  std::string path;
  std::string message;

  // "FILE:LINE:COLUMN: PATH: MESSAGE"; warnings and notes carry "warning: " / "note: " before
  // the path. Parts that are unknown are left out.
  std::string to_string() const;
};

// Model path → origin. Lookups fall back to the nearest registered parent, so a front end
// need only register the fields a check can point at.
// Kept compact (a 100,000-service file records ~300,000 origins): the keys and paths in one
// text, 24 octets an entry, a path equal to its key stored once; an index by key is built at the
// first lookup after an add.
class Origins {
 public:
  // A key added again takes the new origin.
  void add(std::string_view key, const Origin& origin);
  Origin find(std::string_view key) const;
  std::size_t size() const { return entries_.size(); }
  // Heap octets held.
  std::size_t footprint() const;

 private:
  struct Entry {
    std::uint32_t key_at = 0;
    std::uint32_t key_size = 0;
    std::uint32_t path_at = 0;
    std::uint32_t path_size = 0;
    Position position;
  };
  std::string_view key_of(const Entry& e) const { return {text_.data() + e.key_at, e.key_size}; }
  void index() const;

  std::string text_;
  std::vector<Entry> entries_;
  // Positions in entries_ sorted by key, the last added of each key only; stale after an add.
  mutable std::vector<std::uint32_t> index_;
  mutable bool indexed_ = true;
};

// Model path helpers: key("pools", 2) == "pools[2]"; key("pools[2]", "name") == "pools[2].name".
std::string key(std::string_view list, std::size_t index);
std::string key(std::string_view parent, std::string_view field);

class Diagnostics {
 public:
  // More errors than this in one file are summarised in one last diagnostic.
  static constexpr std::size_t kMaxErrors = 200;

  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void add(Severity severity, Position position, std::string path, std::string message);
  void error(Position position, std::string path, std::string message) {
    add(Severity::kError, position, std::move(path), std::move(message));
  }
  void error(const Origin& origin, std::string message) {
    error(origin.position, origin.path, std::move(message));
  }
  void warning(const Origin& origin, std::string message) {
    add(Severity::kWarning, origin.position, origin.path, std::move(message));
  }
  void note(const Origin& origin, std::string message) {
    add(Severity::kNote, origin.position, origin.path, std::move(message));
  }

  const std::string& file() const { return file_; }
  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  // In the order found; sorted() orders them by position.
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic> sorted() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
  std::size_t errors_ = 0;
  bool truncated_ = false;
};

// "did you mean "bfd-profile"?" for a near miss among `candidates`, or "" when none is close:
// equal ignoring case, '-' and '_', or within a small edit distance.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace vipd::config
