#include "config/yaml_guard.hpp"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <istream>
#include <map>
#include <streambuf>

namespace vipd::config::detail {
namespace {

// Reads a string_view in place: yaml-cpp wants an istream, and a configuration may be large.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    // The buffer is only read (get area); streambuf's interface takes non-const pointers.
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

// Thrown through yaml-cpp's parser to stop it at the first problem.
struct Refusal {
  YamlProblem problem;
};
// Thrown to stop it once the documents a loader reads are screened.
struct Enough {};

// Follows yaml-cpp's events, keeping counters only. Each node counts as 1 plus its children;
// an alias counts as the node it refers to, so `aliased_` is what aliases add to the text.
class Screen final : public YAML::EventHandler {
 public:
  Screen(std::string_view text, std::size_t max_documents, YAML::EventHandler* next = nullptr)
      : next_(next),
        text_(text),
        max_documents_(max_documents),
        alias_budget_(std::max(kMinAliasNodes, text.size())),
        // A parser that moves forward emits a few events per token, and a token takes at least
        // one byte: many more events than bytes means it is going round in circles.
        max_events_(8 * text.size() + 64) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    // The previous document started at this same token: it consumed nothing, and every
    // further document would be the same empty one.
    if (last_start_ && *last_start_ == mark.pos) refuse(mark, stalled(mark));
    // Where the next document starts shows whether the last one read consumed anything.
    if (documents_ == max_documents_) throw Enough{};
    ++documents_;
    last_start_ = mark.pos;
    anchors_.clear();  // yaml-cpp numbers anchors per document
    count(mark);
    if (next_) next_->OnDocumentStart(mark);
  }
  void OnDocumentEnd() override {
    if (next_) next_->OnDocumentEnd();
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf(mark, anchor);
    if (next_) next_->OnNull(mark, anchor);
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor);
    if (next_) next_->OnScalar(mark, tag, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count(mark);
    // An anchor still open is an alias to an enclosing node: yaml-cpp makes a cycle, which the
    // front ends never follow further than their fixed depth.
    const auto it = anchors_.find(anchor);
    const std::size_t size = it == anchors_.end() ? 1 : it->second;
    aliased_ += size;
    if (aliased_ > alias_budget_) {
      refuse(mark, "aliases repeat more than " + std::to_string(alias_budget_) +
                       " nodes (at most one per byte of the text, or " +
                       std::to_string(kMinAliasNodes) + "); write the values out instead");
    }
    add(size);
    if (next_) next_->OnAlias(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(mark, anchor);
    if (next_) next_->OnSequenceStart(mark, tag, anchor, style);
  }
  void OnSequenceEnd() override {
    close();
    if (next_) next_->OnSequenceEnd();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(mark, anchor);
    if (next_) next_->OnMapStart(mark, tag, anchor, style);
  }
  void OnMapEnd() override {
    close();
    if (next_) next_->OnMapEnd();
  }

 private:
  struct Open {
    YAML::anchor_t anchor;
    std::size_t size;
  };

  [[noreturn]] static void refuse(const YAML::Mark& mark, std::string message) {
    throw Refusal{YamlProblem{mark, std::move(message)}};
  }

  std::string stalled(const YAML::Mark& mark) const {
    const auto at = static_cast<std::size_t>(mark.pos);
    const char c = mark.pos >= 0 && at < text_.size() ? text_[at] : '\0';
    if (c == ',') {
      return "YAML syntax error: ',' outside a flow collection (commas separate entries only "
             "inside [ ] and { })";
    }
    if (c == '?') {
      // yaml-cpp leaves such a key alone after some complete nodes (a block scalar, a flow
      // collection followed by a block scalar indicator).
      return "YAML syntax error: '?' (a complex mapping key) outside any mapping";
    }
    return "YAML syntax error: no YAML node starts here";
  }

  void count(const YAML::Mark& mark) {
    if (++events_ > max_events_) refuse(mark, "YAML syntax error: the parser stops advancing here");
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = 1;
    add(1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    count(mark);
    if (open_.size() >= kMaxYamlDepth) {
      refuse(mark, "YAML nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    }
    open_.push_back({anchor, 1});
  }
  void close() {
    if (open_.empty()) return;  // yaml-cpp pairs every start with an end; be safe regardless
    const Open done = open_.back();
    open_.pop_back();
    if (done.anchor != YAML::NullAnchor) anchors_[done.anchor] = done.size;
    add(done.size);
  }
  void add(std::size_t size) {
    if (!open_.empty()) open_.back().size += size;
  }

  YAML::EventHandler* next_;  // given every event that passed the screen (the tree builder)
  std::string_view text_;
  std::size_t max_documents_;
  std::size_t documents_ = 0;
  std::size_t alias_budget_;
  std::size_t max_events_;
  std::size_t events_ = 0;
  std::size_t aliased_ = 0;
  std::optional<int> last_start_;
  std::vector<Open> open_;
  std::map<YAML::anchor_t, std::size_t> anchors_;
};

YamlProblem syntax_error(const YAML::Exception& e) {
  return {e.mark, "YAML syntax error: " + e.msg};
}

}  // namespace

std::optional<YamlProblem> screen_yaml(std::string_view text, std::size_t max_documents) {
  if (text.size() > kMaxConfigBytes) {
    return YamlProblem{YAML::Mark::null_mark(), "the text is " + std::to_string(text.size()) +
                                                    " bytes; a configuration may hold at most " +
                                                    format_size(kMaxConfigBytes) + " (" +
                                                    std::to_string(kMaxConfigBytes) + " bytes)"};
  }
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  Screen screen(text, max_documents);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(screen)) {
    }
  } catch (const Enough&) {
  } catch (const Refusal& r) {
    return r.problem;
  } catch (const YAML::Exception& e) {
    return syntax_error(e);
  }
  return std::nullopt;
}

YamlTree parse_yaml(std::string_view text, std::size_t max_documents) {
  if (text.size() > kMaxConfigBytes) return {{}, screen_yaml(text)};
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  TreeBuilder builder;
  Screen screen(text, max_documents, &builder);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(screen)) {
    }
  } catch (const Enough&) {
  } catch (const Refusal& r) {
    return {{}, r.problem};
  } catch (const YAML::Exception& e) {
    return {{}, syntax_error(e)};
  }
  auto documents = builder.finish();
  return {std::move(documents), std::nullopt, builder.nodes(), builder.footprint()};
}

YamlDocument load_yaml_document(std::string_view text) {
  if (auto problem = screen_yaml(text, 1)) return {YAML::Node(), std::move(problem)};
  ViewBuffer buffer(text);
  std::istream in(&buffer);
  try {
    return {YAML::Load(in), std::nullopt};
  } catch (const YAML::Exception& e) {
    return {YAML::Node(), syntax_error(e)};
  }
}

}  // namespace vipd::config::detail
