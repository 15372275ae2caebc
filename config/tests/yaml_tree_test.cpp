// The compact tree (yaml_tree.hpp) against yaml-cpp's own nodes: for hand-written corners and for
// every YAML file of the test data and the fuzz corpus, each document reads the same node for
// node (type, text, tag, mark, items and pairs in order), and it costs a fraction of the memory.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/yaml_guard.hpp"
#include "config/yaml_tree.hpp"

namespace vipd::config::detail {
namespace {

NodeType type_of(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
      return NodeType::kUndefined;
    case YAML::NodeType::Null:
      return NodeType::kNull;
    case YAML::NodeType::Scalar:
      return NodeType::kScalar;
    case YAML::NodeType::Sequence:
      return NodeType::kSequence;
    case YAML::NodeType::Map:
      return NodeType::kMap;
  }
  return NodeType::kUndefined;
}

// Compares two nodes down to `depth` levels (aliases can make cycles); records the first
// difference with its path.
void compare(const YAML::Node& want, const Node& got, const std::string& path, int depth,
             std::string& difference) {
  if (!difference.empty() || depth == 0) return;
  const auto fail = [&](const std::string& what) { difference = path + ": " + what; };
  if (type_of(want) != got.Type()) return fail("type");
  if (want.Mark().line != got.Mark().line || want.Mark().column != got.Mark().column ||
      want.Mark().pos != got.Mark().pos) {
    return fail("mark");
  }
  if (want.Tag() != got.Tag()) return fail("tag \"" + want.Tag() + "\" vs \"" + got.Tag() + "\"");
  if (want.IsScalar() && want.Scalar() != got.Scalar()) return fail("scalar");
  if (want.size() != got.size()) return fail("size");
  if (want.IsSequence()) {
    std::size_t i = 0;
    auto it = got.begin();
    for (const auto& item : want) {
      if (it == got.end()) return fail("shorter");
      compare(item, *it, path + "[" + std::to_string(i++) + "]", depth - 1, difference);
      ++it;
    }
  } else if (want.IsMap()) {
    std::size_t i = 0;
    auto it = got.begin();
    for (const auto& pair : want) {
      if (it == got.end()) return fail("fewer pairs");
      const auto at = path + "{" + std::to_string(i++) + "}";
      compare(pair.first, it->first, at + ".key", depth - 1, difference);
      compare(pair.second, it->second, at + ".value", depth - 1, difference);
      ++it;
    }
  }
}

std::string difference_from_yaml_cpp(const std::string& text) {
  const auto tree = parse_yaml(text);
  if (tree.problem) return "refused: " + tree.problem->message;
  std::vector<YAML::Node> want;
  try {
    want = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return std::string("yaml-cpp: ") + e.what();
  }
  if (want.size() != tree.documents.size()) {
    return "documents: " + std::to_string(want.size()) + " vs " +
           std::to_string(tree.documents.size());
  }
  std::string difference;
  for (std::size_t i = 0; i < want.size() && difference.empty(); ++i) {
    compare(want[i], tree.documents[i], "documents[" + std::to_string(i) + "]", 12, difference);
  }
  return difference;
}

TEST(YamlTree, ReadsLikeYamlCppNodes) {
  for (const char* text : {
           "a: 1\n", "- x\n- 'quoted'\n- \"double\"\n- !!str 5\n- ~\n- null\n-\n- [1, {b: c}]\n",
           "k: v\nk: w\n",  // duplicate keys stay, in order
           "base: &b {x: 1}\nuse: *b\nlist: &l [1, 2]\nagain: *l\n",
           "a: 1\n---\nb: 2\n---\n",  // the last document has no node
           "---\n...\n", "", "? [complex, key]\n: value\n",
           "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n", "!custom {a: !other b}\n",
           "&top [*top, *top]\n",  // an alias to the node it is in
       }) {
    EXPECT_EQ(difference_from_yaml_cpp(text), "") << text;
  }
}

TEST(YamlTree, ReadsEveryTestFileLikeYamlCpp) {
  std::size_t files = 0;
  for (const char* dir : {VIPD_CONFIG_TEST_DATA, VIPD_CONFIG_FUZZ_CORPUS}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      // Texts the screen refuses are the guard's tests; the rest must read the same.
      if (screen_yaml(text.str())) continue;
      ++files;
      EXPECT_EQ(difference_from_yaml_cpp(text.str()), "") << entry.path();
    }
  }
  EXPECT_GT(files, 50u);
}

TEST(YamlTree, NodesOfNoTree) {
  const Node null;
  EXPECT_TRUE(null.IsDefined());
  EXPECT_TRUE(null.IsNull());
  EXPECT_EQ(null.size(), 0u);
  EXPECT_EQ(null.begin(), null.end());
  EXPECT_EQ(null.Mark().line, YAML::Mark::null_mark().line);
  const Node missing = Node::undefined();
  EXPECT_FALSE(missing.IsDefined());
  EXPECT_FALSE(missing.IsNull());
  EXPECT_EQ(missing.Type(), NodeType::kUndefined);
  EXPECT_EQ(missing.Scalar(), "");
  EXPECT_EQ(missing.Tag(), "");
}

TEST(YamlTree, OutlivesTheParseThroughItsNodes) {
  Node kept;
  {
    auto tree = parse_yaml("services:\n- {name: a}\n");
    ASSERT_FALSE(tree.problem);
    kept = tree.documents.at(0);
  }
  ASSERT_TRUE(kept.IsMap());
  EXPECT_EQ(kept.begin()->first.Scalar(), "services");
  EXPECT_EQ(kept.begin()->second.begin()->begin()->second.Scalar(), "a");
}

TEST(YamlTree, IteratingATemporaryNodeIsSafe) {
  const auto tree = parse_yaml("list: [a, b, c]\n");
  ASSERT_FALSE(tree.problem);
  const auto first_value = [&] { return tree.documents.at(0).begin()->second; };
  std::string joined;
  for (auto it = first_value().begin(); it != first_value().end(); ++it) {
    joined += it->Scalar();
  }
  EXPECT_EQ(joined, "abc");
}

TEST(YamlTree, MaxDocumentsStopsAfterTheFirst) {
  const auto tree = parse_yaml("a: 1\n---\n[", 1);
  ASSERT_FALSE(tree.problem);
  ASSERT_EQ(tree.documents.size(), 1u);
  EXPECT_TRUE(tree.documents[0].IsMap());
  EXPECT_TRUE(parse_yaml("a: 1\n---\n[").problem);  // all documents: the second is broken
}

// The reason the tree exists: a 10,000-service standalone file costs yaml-cpp's nodes hundreds
// of octets a node; the tree, about 40 octets a node plus the text.
TEST(YamlTree, CostsAFractionOfTheText) {
  std::string text = "services:\n";
  for (int i = 0; i < 10000; ++i) text += "- {name: s" + std::to_string(i) + "}\n";
  const auto tree = parse_yaml(text);
  ASSERT_FALSE(tree.problem);
  ASSERT_EQ(tree.documents.size(), 1u);
  EXPECT_EQ(tree.documents[0].begin()->second.size(), 10000u);
  // The root, its key, the list, and per service a mapping, a key and a value.
  EXPECT_EQ(tree.nodes, 3u + 3u * 10000u);
  EXPECT_LT(tree.footprint, 32u * tree.nodes + text.size());
  EXPECT_EQ(difference_from_yaml_cpp(text), "");
}

}  // namespace
}  // namespace vipd::config::detail
