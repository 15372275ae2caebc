#include "config/yaml_tree.hpp"

#include <algorithm>
#include <limits>

#include "common/assert.hpp"

namespace vipd::config::detail {
namespace {

const std::string kNoTag;

}  // namespace

Node::Node(std::shared_ptr<const Tree> tree, std::uint32_t index)
    : tree_(std::move(tree)), index_(tree_ ? tree_->resolve(index) : 0) {}

NodeType Node::Type() const {
  if (!defined_) return NodeType::kUndefined;
  if (!tree_) return NodeType::kNull;
  switch (tree_->record(index_).kind) {
    case Tree::Record::Kind::kScalar:
      return NodeType::kScalar;
    case Tree::Record::Kind::kSequence:
      return NodeType::kSequence;
    case Tree::Record::Kind::kMap:
      return NodeType::kMap;
    case Tree::Record::Kind::kNull:
    case Tree::Record::Kind::kAlias:  // resolved on construction: never here
      break;
  }
  return NodeType::kNull;
}

std::string_view Node::Scalar() const {
  if (!IsScalar()) return {};
  return tree_->text(tree_->record(index_));
}

const std::string& Node::Tag() const {
  if (!defined_ || !tree_) return kNoTag;
  return tree_->tag(tree_->record(index_).tag);
}

YAML::Mark Node::Mark() const {
  if (!defined_ || !tree_) return YAML::Mark::null_mark();
  const auto& r = tree_->record(index_);
  YAML::Mark mark;
  mark.pos = r.pos;
  mark.line = r.line;
  mark.column = r.column;
  return mark;
}

std::size_t Node::size() const {
  const auto type = Type();
  if (type != NodeType::kSequence && type != NodeType::kMap) return 0;
  return tree_->record(index_).b;
}

Node::Iterator Node::begin() const { return Iterator(*this, 0); }
Node::Iterator Node::end() const { return Iterator(*this, size()); }

void Node::Iterator::load() {
  entry_ = Entry{};
  if (at_ >= node_.size()) return;
  const auto& tree = node_.tree_;
  const auto& r = tree->record(node_.index_);
  if (r.kind == Tree::Record::Kind::kSequence) {
    static_cast<Node&>(entry_) = Node(tree, tree->child(r.a + static_cast<std::uint32_t>(at_)));
    entry_.first = Node::undefined();
    entry_.second = Node::undefined();
  } else {
    static_cast<Node&>(entry_) = Node::undefined();
    const auto at = r.a + 2 * static_cast<std::uint32_t>(at_);
    entry_.first = Node(tree, tree->child(at));
    entry_.second = Node(tree, tree->child(at + 1));
  }
}

std::uint32_t Tree::resolve(std::uint32_t index) const {
  // Each alias names a node recorded before it, so the chain is finite; bounded regardless.
  for (std::size_t steps = 0;
       steps < records_.size() && records_[index].kind == Record::Kind::kAlias; ++steps) {
    index = records_[index].a;
  }
  return index;
}

std::size_t Tree::footprint() const {
  std::size_t tags = 0;
  for (const auto& t : tags_) tags += sizeof t + t.capacity();
  return records_.capacity() * sizeof(Record) + children_.capacity() * sizeof(std::uint32_t) +
         text_.capacity() + tags;
}

TreeBuilder::TreeBuilder() : tree_(std::make_shared<Tree>()) {}

void TreeBuilder::OnDocumentStart(const YAML::Mark&) {
  if (document_open_) OnDocumentEnd();
  document_open_ = true;
  has_root_ = false;
  anchors_.clear();  // yaml-cpp numbers anchors per document
}

void TreeBuilder::OnDocumentEnd() {
  if (!document_open_) return;
  // Collections left open (the parser stopped): close them so the tree stays well formed.
  while (!open_.empty()) close();
  if (!has_root_) roots_.push_back(add(YAML::Mark::null_mark(), Tree::Record::Kind::kNull, "", 0));
  document_open_ = false;
}

void TreeBuilder::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  add(mark, Tree::Record::Kind::kNull, "", anchor);
}

void TreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  const auto it = anchors_.find(anchor);
  if (it == anchors_.end()) {  // yaml-cpp reports an unknown anchor before this
    add(mark, Tree::Record::Kind::kNull, "", YAML::NullAnchor);
    return;
  }
  const auto index = add(mark, Tree::Record::Kind::kAlias, "", YAML::NullAnchor);
  tree_->records_[index].a = it->second;
}

void TreeBuilder::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                           const std::string& value) {
  const auto index = add(mark, Tree::Record::Kind::kScalar, tag, anchor);
  auto& r = tree_->records_[index];
  r.a = static_cast<std::uint32_t>(tree_->text_.size());
  r.b = static_cast<std::uint32_t>(value.size());
  tree_->text_.append(value);
}

void TreeBuilder::OnSequenceStart(const YAML::Mark& mark, const std::string& tag,
                                  YAML::anchor_t anchor, YAML::EmitterStyle::value) {
  open(mark, Tree::Record::Kind::kSequence, tag, anchor);
}

void TreeBuilder::OnSequenceEnd() { close(); }

void TreeBuilder::OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                             YAML::EmitterStyle::value) {
  open(mark, Tree::Record::Kind::kMap, tag, anchor);
}

void TreeBuilder::OnMapEnd() { close(); }

std::uint32_t TreeBuilder::add(const YAML::Mark& mark, Tree::Record::Kind kind,
                               const std::string& tag, YAML::anchor_t anchor) {
  VIPD_ASSERT(tree_->records_.size() < std::numeric_limits<std::uint32_t>::max(),
              "a YAML tree of more than 2^32 nodes");
  const auto index = static_cast<std::uint32_t>(tree_->records_.size());
  Tree::Record r;
  r.pos = mark.pos;
  r.line = mark.line;
  r.column = mark.column;
  r.kind = kind;
  r.tag = tag_index(tag);
  tree_->records_.push_back(r);
  if (anchor != YAML::NullAnchor) anchors_[anchor] = index;
  if (!open_.empty()) {
    pending_.push_back(index);
  } else if (document_open_ && !has_root_) {
    roots_.push_back(index);
    has_root_ = true;
  }
  return index;
}

void TreeBuilder::open(const YAML::Mark& mark, Tree::Record::Kind kind, const std::string& tag,
                       YAML::anchor_t anchor) {
  const auto index = add(mark, kind, tag, anchor);
  open_.push_back({index, pending_.size()});
}

void TreeBuilder::close() {
  if (open_.empty()) return;  // yaml-cpp pairs every start with an end; be safe regardless
  const Open done = open_.back();
  open_.pop_back();
  auto& r = tree_->records_[done.index];
  auto& children = tree_->children_;
  r.a = static_cast<std::uint32_t>(children.size());
  const auto first = pending_.begin() + static_cast<std::ptrdiff_t>(done.pending_start);
  std::size_t count = static_cast<std::size_t>(pending_.end() - first);
  // A mapping's children alternate key, value; a key without a value (a parser stopped
  // half-way) is dropped rather than paired with the next mapping's.
  if (r.kind == Tree::Record::Kind::kMap) count -= count % 2;
  children.insert(children.end(), first, first + static_cast<std::ptrdiff_t>(count));
  pending_.erase(first, pending_.end());
  r.b = static_cast<std::uint32_t>(r.kind == Tree::Record::Kind::kMap ? count / 2 : count);
}

std::uint16_t TreeBuilder::tag_index(const std::string& tag) {
  if (tag.empty()) return 0;
  if (const auto it = tag_lookup_.find(tag); it != tag_lookup_.end()) return it->second;
  auto& tags = tree_->tags_;
  // More distinct tags than an index holds: the rest read as "" (only "!", a quoted scalar's,
  // matters to the front ends, and it is among the first).
  if (tags.size() > std::numeric_limits<std::uint16_t>::max()) return 0;
  tags.push_back(tag);
  const auto index = static_cast<std::uint16_t>(tags.size() - 1);
  tag_lookup_.emplace(tag, index);
  return index;
}

std::vector<Node> TreeBuilder::finish() {
  if (document_open_) OnDocumentEnd();
  tree_->records_.shrink_to_fit();
  tree_->children_.shrink_to_fit();
  tree_->text_.shrink_to_fit();
  nodes_ = tree_->nodes();
  footprint_ = tree_->footprint();
  std::shared_ptr<const Tree> tree = std::move(tree_);
  std::vector<Node> out;
  out.reserve(roots_.size());
  for (const auto root : roots_) out.push_back(Node(tree, root));
  return out;
}

}  // namespace vipd::config::detail
