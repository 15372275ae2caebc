#pragma once
// A compact, read-only YAML node tree for the front ends (internal to config/).
//
// yaml-cpp's own node tree costs ~370 octets a node (a 100,000-service standalone file: 112 MiB
// for 1.7 MB of text). This one is built from the same parser's events (yaml_guard.hpp builds it
// while it screens the text) and keeps 24 octets a node, 4 a child, and the scalars' text once:
// the same file takes ~10 MiB. `Node` reads like yaml-cpp's `YAML::Node` (the same member names,
// so the front ends read the same way): marks, tags ("!" for a quoted scalar), duplicate keys
// kept in order, aliases resolved to the node they name (yaml-cpp shares that node too).
//
// Not responsible for: screening the text (yaml_guard.hpp), or what the nodes mean.
// Thread: a finished tree is immutable; any thread may read it. Never throws.

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vipd::config::detail {

class Tree;

enum class NodeType : std::uint8_t { kUndefined, kNull, kScalar, kSequence, kMap };

// A node of a Tree, or a node of no tree: default-constructed, a null node (as `YAML::Node()`);
// `Node::undefined()`, a node that is not there (as `YAML::Node(YAML::NodeType::Undefined)`).
// Holds its tree alive.
class Node {
 public:
  Node() = default;
  static Node undefined() {
    Node n;
    n.defined_ = false;
    return n;
  }

  NodeType Type() const;
  bool IsDefined() const { return defined_; }
  bool IsNull() const { return Type() == NodeType::kNull; }
  bool IsScalar() const { return Type() == NodeType::kScalar; }
  bool IsSequence() const { return Type() == NodeType::kSequence; }
  bool IsMap() const { return Type() == NodeType::kMap; }
  // The text of a scalar; "" for anything else. Valid while any node of the tree is.
  std::string_view Scalar() const;
  // yaml-cpp's tag: "?" for a plain scalar, "!" for a quoted one, the resolved tag when one was
  // written; "" for a null node of no tree.
  const std::string& Tag() const;
  YAML::Mark Mark() const;
  // Items of a sequence, pairs of a mapping; 0 for anything else.
  std::size_t size() const;

  // One step of an iteration: the item of a sequence (the entry itself is that node), or a
  // pair of a mapping (`first`, `second`), as yaml-cpp's iterators give them.
  struct Entry;
  class Iterator;
  Iterator begin() const;
  Iterator end() const;

 private:
  friend class Tree;
  friend class TreeBuilder;
  Node(std::shared_ptr<const Tree> tree, std::uint32_t index);

  std::shared_ptr<const Tree> tree_;
  std::uint32_t index_ = 0;
  bool defined_ = true;
};

struct Node::Entry : Node {
  Node first;
  Node second;
};

class Node::Iterator {
 public:
  using value_type = Entry;
  using difference_type = std::ptrdiff_t;

  const Entry& operator*() const { return entry_; }
  const Entry* operator->() const { return &entry_; }
  Iterator& operator++() {
    ++at_;
    load();
    return *this;
  }
  friend bool operator==(const Iterator& a, const Iterator& b) { return a.at_ == b.at_; }

 private:
  friend class Node;
  Iterator(Node node, std::size_t at) : node_(std::move(node)), at_(at) { load(); }
  void load();

  Node node_;  // a copy: iterating a temporary node is safe
  std::size_t at_;
  Entry entry_;
};

class Tree {
 public:
  struct Record {
    std::uint32_t a = 0;  // scalar: offset in text_; collection: first child; alias: target
    std::uint32_t b = 0;  // scalar: length; collection: items (a mapping's: pairs)
    std::int32_t pos = -1;
    std::int32_t line = -1;
    std::int32_t column = -1;
    enum class Kind : std::uint8_t { kNull, kScalar, kSequence, kMap, kAlias } kind = Kind::kNull;
    std::uint16_t tag = 0;  // index in tags_
  };

  const Record& record(std::uint32_t index) const { return records_[index]; }
  // Follows aliases (a chain ends: an alias names a node that started before it).
  std::uint32_t resolve(std::uint32_t index) const;
  std::string_view text(const Record& r) const { return {text_.data() + r.a, r.b}; }
  std::uint32_t child(std::uint32_t at) const { return children_[at]; }
  const std::string& tag(std::uint16_t index) const { return tags_[index]; }
  std::size_t nodes() const { return records_.size(); }
  // Heap octets held.
  std::size_t footprint() const;

 private:
  friend class TreeBuilder;
  std::vector<Record> records_;
  std::vector<std::uint32_t> children_;
  std::string text_;
  std::vector<std::string> tags_{""};
};

// Builds a Tree from yaml-cpp's events, one document after another; documents() are the roots
// (a document with no node: a null node). A problem in the events is the parser's to report;
// the builder only records.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder();

  void OnDocumentStart(const YAML::Mark& mark) override;
  void OnDocumentEnd() override;
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override;
  void OnSequenceEnd() override;
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override;
  void OnMapEnd() override;

  // The finished tree's documents (the builder is spent afterwards).
  std::vector<Node> finish();
  // Of the finished tree: its nodes, and the heap octets it holds.
  std::size_t nodes() const { return nodes_; }
  std::size_t footprint() const { return footprint_; }

 private:
  std::uint32_t add(const YAML::Mark& mark, Tree::Record::Kind kind, const std::string& tag,
                    YAML::anchor_t anchor);
  void open(const YAML::Mark& mark, Tree::Record::Kind kind, const std::string& tag,
            YAML::anchor_t anchor);
  void close();
  std::uint16_t tag_index(const std::string& tag);

  struct Open {
    std::uint32_t index;
    std::size_t pending_start;
  };
  std::shared_ptr<Tree> tree_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;  // the children of the open collections, innermost last
  std::map<YAML::anchor_t, std::uint32_t> anchors_;
  std::map<std::string, std::uint16_t, std::less<>> tag_lookup_;
  std::vector<std::uint32_t> roots_;
  bool document_open_ = false;
  bool has_root_ = false;
  std::size_t nodes_ = 0;
  std::size_t footprint_ = 0;
};

}  // namespace vipd::config::detail
