#pragma once
// SharedText: an immutable string shared by every copy, for a text that many records repeat
// (a planner decision's detail: 100,000 decisions saying "BGP advertisement 'public'" keep one
// copy, 16 octets each instead of a 32-octet string and its own heap block). Reads as a string
// (string_view, std::string, comparisons by value with text), so a struct that holds one keeps
// its defaulted comparisons; appending makes a new text for this copy only. An empty text holds
// nothing. Pure.

#include <compare>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

namespace vipd {

class SharedText {
 public:
  SharedText() = default;
  SharedText(std::string text)  // NOLINT(google-explicit-constructor): reads as a string
      : text_(text.empty() ? nullptr : std::make_shared<const std::string>(std::move(text))) {}
  SharedText(const char* text)  // NOLINT(google-explicit-constructor)
      : SharedText(std::string(text)) {}

  const std::string& str() const { return text_ ? *text_ : empty_string(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  std::string_view view() const { return str(); }
  bool empty() const { return !text_; }
  std::size_t size() const { return str().size(); }
  // Whether `other` shares this copy (interned texts compare by pointer first).
  bool same(const SharedText& other) const { return text_ == other.text_; }

  SharedText& operator+=(std::string_view more) {
    if (!more.empty()) *this = SharedText(str() + std::string(more));
    return *this;
  }

  friend bool operator==(const SharedText& a, const SharedText& b) {
    return a.same(b) || a.view() == b.view();
  }
  friend std::strong_ordering operator<=>(const SharedText& a, const SharedText& b) {
    if (a.same(b)) return std::strong_ordering::equal;
    return a.view() <=> b.view();
  }
  friend bool operator==(const SharedText& a, std::string_view b) { return a.view() == b; }
  friend bool operator==(const SharedText& a, const char* b) { return a.view() == b; }
  friend std::string operator+(const std::string& a, const SharedText& b) { return a + b.str(); }
  friend std::string operator+(const char* a, const SharedText& b) { return a + b.str(); }
  friend std::ostream& operator<<(std::ostream& out, const SharedText& t) { return out << t.str(); }

 private:
  static const std::string& empty_string() {
    static const std::string kEmpty;
    return kEmpty;
  }
  std::shared_ptr<const std::string> text_;
};

}  // namespace vipd
