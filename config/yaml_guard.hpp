#pragma once
// Screening of YAML text before nodes are built from it (internal to config/): parse_yaml()
// screens and builds the front ends' compact tree (yaml_tree.hpp) in one pass; yaml-cpp's own
// nodes are built only by load_yaml_document() (the kubeconfig), once the text is screened.
//
// Responsible for: refusing, with a position, text that would make yaml-cpp 0.7.0 (the Debian 12
// package) or the front ends use memory or time out of proportion to its size:
//  - A document that consumes no token. yaml-cpp's LoadAll reads documents while tokens remain;
//    each document starts at the next token, and a token that starts no node is left where it
//    is: a ',' outside any flow collection (at the start of the text, after a complete node
//    such as `[]` or `''`, or at column 0 after a block), or a '?' key that yaml-cpp opens no
//    mapping for (after a block scalar: `!>\n?\n?`). LoadAll stores the empty document and
//    asks for the next one, which starts at the same token: the loop never ends and memory
//    grows by hundreds of megabytes a second (`,[?[` is four such bytes). Such text is invalid
//    YAML anyway (YAML 1.2 §7.3.3: a plain scalar cannot start with an indicator).
//  - Nesting deeper than kMaxYamlDepth: yaml-cpp recurses once per level.
//  - Aliases that expand the text: yaml-cpp shares an aliased node, but the front ends read it
//    once per use, so a few kilobytes of aliases to a long list become millions of model
//    entries. Aliases may add at most as many nodes as the text has bytes (kMinAliasNodes at
//    least).
//  - Text over kMaxConfigBytes (1 GiB: a file is bounded by --max-config-size before this).
// The screen replays yaml-cpp's own parser with an event handler that keeps only counters (and a
// size per anchor), and stops at the first problem, so its verdict follows yaml-cpp's tokens
// exactly and it cannot loop itself. YAML syntax errors found on the way are reported as
// yaml-cpp reports them.
//
// Not responsible for: what the documents mean (the front ends).
// Thread: any; no shared state. Never throws.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"
#include "config/yaml_tree.hpp"

namespace vipd::config::detail {

inline constexpr std::size_t kMaxConfigBytes = kMaxConfigBytesCeiling;
inline constexpr std::size_t kMaxYamlDepth = 64;
inline constexpr std::size_t kMinAliasNodes = 10000;

// Why a text is not loaded, at a yaml-cpp mark in that text (0-based; null when the problem is
// the whole text). The message is meant for people, as it stands.
struct YamlProblem {
  YAML::Mark mark = YAML::Mark::null_mark();
  std::string message;
};

// nullopt when yaml-cpp may load `text`; screens the `max_documents` documents the loader that
// follows will read (and the start of the next one, to see that the last one consumed a token).
std::optional<YamlProblem> screen_yaml(
    std::string_view text, std::size_t max_documents = std::numeric_limits<std::size_t>::max());

// The first document of `text` as yaml-cpp's nodes (YAML::Load once its first document is
// screened), or the problem. For the kubeconfig; configurations go through parse_yaml().
struct YamlDocument {
  YAML::Node node;
  std::optional<YamlProblem> problem;  // set: no node
};
YamlDocument load_yaml_document(std::string_view text);

// The documents of `text` (at most `max_documents`) as one compact tree (yaml_tree.hpp), built
// while the text is screened, in one pass; or the first problem. What the front ends read.
struct YamlTree {
  std::vector<Node> documents;         // a document without a node: a null node
  std::optional<YamlProblem> problem;  // set: no documents
  std::size_t nodes = 0;               // in the tree
  std::size_t footprint = 0;           // heap octets the tree holds
};
YamlTree parse_yaml(std::string_view text,
                    std::size_t max_documents = std::numeric_limits<std::size_t>::max());

}  // namespace vipd::config::detail
