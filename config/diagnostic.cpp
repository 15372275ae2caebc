#include "config/diagnostic.hpp"

#include <algorithm>
#include <cctype>

namespace vipd::config {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "error";
}

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (position.line > 0) {
    out += ":" + std::to_string(position.line) + ":" + std::to_string(position.column);
  }
  out += ": ";
  if (severity != Severity::kError) out += std::string(config::to_string(severity)) + ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

void Origins::add(std::string_view key, const Origin& origin) {
  Entry e;
  e.key_at = static_cast<std::uint32_t>(text_.size());
  e.key_size = static_cast<std::uint32_t>(key.size());
  text_.append(key);
  if (origin.path == key) {
    e.path_at = e.key_at;
  } else {
    e.path_at = static_cast<std::uint32_t>(text_.size());
    text_.append(origin.path);
  }
  e.path_size = static_cast<std::uint32_t>(origin.path.size());
  e.position = origin.position;
  entries_.push_back(e);
  indexed_ = false;
}

void Origins::index() const {
  if (indexed_) return;
  index_.resize(entries_.size());
  for (std::uint32_t i = 0; i < index_.size(); ++i) index_[i] = i;
  std::stable_sort(index_.begin(), index_.end(), [this](std::uint32_t a, std::uint32_t b) {
    return key_of(entries_[a]) < key_of(entries_[b]);
  });
  // Of equal keys (stable: in the order added), keep the last.
  std::size_t out = 0;
  for (std::size_t i = 0; i < index_.size(); ++i) {
    if (i + 1 < index_.size() && key_of(entries_[index_[i]]) == key_of(entries_[index_[i + 1]])) {
      continue;
    }
    index_[out++] = index_[i];
  }
  index_.resize(out);
  index_.shrink_to_fit();
  indexed_ = true;
}

Origin Origins::find(std::string_view key) const {
  index();
  while (true) {
    const auto it = std::lower_bound(
        index_.begin(), index_.end(), key,
        [this](std::uint32_t e, std::string_view k) { return key_of(entries_[e]) < k; });
    if (it != index_.end() && key_of(entries_[*it]) == key) {
      const Entry& e = entries_[*it];
      return {e.position, std::string(text_.data() + e.path_at, e.path_size)};
    }
    const auto cut = key.find_last_of(".[");
    if (cut == std::string_view::npos || cut == 0) return {};
    key = key.substr(0, cut);
  }
}

std::size_t Origins::footprint() const {
  return text_.capacity() + entries_.capacity() * sizeof(Entry) +
         index_.capacity() * sizeof(std::uint32_t);
}

std::string key(std::string_view list, std::size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
}

std::string key(std::string_view parent, std::string_view field) {
  if (parent.empty()) return std::string(field);
  return std::string(parent) + "." + std::string(field);
}

void Diagnostics::add(Severity severity, Position position, std::string path, std::string message) {
  if (severity == Severity::kError) {
    if (errors_ >= kMaxErrors) {
      if (!truncated_) {
        truncated_ = true;
        items_.push_back(
            {Severity::kError,
             file_,
             {},
             {},
             "too many errors; the first " + std::to_string(kMaxErrors) + " are shown"});
      }
      ++errors_;
      return;
    }
    ++errors_;
  } else if (items_.size() >= 4 * kMaxErrors) {
    return;
  }
  items_.push_back({severity, file_, position, std::move(path), std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = items_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    const auto la = a.position.line == 0 ? INT32_MAX : a.position.line;
    const auto lb = b.position.line == 0 ? INT32_MAX : b.position.line;
    if (la != lb) return la < lb;
    return a.position.column < b.position.column;
  });
  return out;
}

namespace {

std::string fold(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '-' || c == '_') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.size() > 256) return {};
  const auto folded = fold(word);
  const std::string* best = nullptr;
  std::size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    if (fold(c) == folded) return "did you mean \"" + c + "\"?";
    const auto d = edit_distance(folded, fold(c));
    const auto limit =
        c.size() <= 3 ? 1 : std::max<std::size_t>(2, std::min<std::size_t>(3, c.size() / 3));
    if (d <= limit && d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best ? "did you mean \"" + *best + "\"?" : std::string();
}

}  // namespace vipd::config
