#pragma once
// The standalone state file: every assignment, persisted so a restarted `vipd standalone`
// re-adopts the addresses it handed out instead of handing them out again.
//
// Format (JSON, version 1):
//   {"version": 1, "assignments": [
//     {"namespace": "default", "name": "web", "pool": "public", "addresses": ["203.0.113.10"]}]}
// Decoding is strict: unknown keys, wrong types, bad addresses, duplicate Services and a
// missing version are errors. Writing is atomic: a temporary file in the same directory is
// written, fsynced and renamed over the old one, then the directory is fsynced. A missing file
// is a first start; an unreadable or corrupt file is an error that must stop start-up, since
// starting empty would hand out addresses that are live elsewhere.
//
// Part of vipd::allocator_state (I/O); the allocator itself stays pure. Blocking file I/O: call
// it at start-up and after changes, from the daemon's one thread.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "allocator/allocator.hpp"
#include "allocator/types.hpp"
#include "common/result.hpp"

namespace vipd::allocator {

struct StateEntry {
  ServiceKey service;
  Assignment assignment;
  friend bool operator==(const StateEntry&, const StateEntry&) = default;
};

struct State {
  std::vector<StateEntry> entries;  // ordered by service
  friend bool operator==(const State&, const State&) = default;
};

// What the allocator holds now.
State snapshot(const Allocator& allocator);

std::string encode_state(const State& state);
// The same text, written straight from what the allocator holds (no State copy).
std::string encode_state(const Allocator& allocator);
Result<State> decode_state(std::string_view text);

// Writes `text` to path.tmp, fsyncs it and renames it over `path`.
Result<void> write_state(const std::filesystem::path& path, const std::string& text);
Result<void> save_state(const std::filesystem::path& path, const State& state);
Result<void> save_state(const std::filesystem::path& path, const Allocator& allocator);
// nullopt when the file does not exist.
Result<std::optional<State>> load_state(const std::filesystem::path& path);

}  // namespace vipd::allocator
