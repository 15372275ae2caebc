#include "config/load.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>

#include "config/front_ends.hpp"
#include "config/validate.hpp"
#include "config/yaml_guard.hpp"

namespace vipd::config {
namespace {

using detail::Field;
using detail::Node;
using detail::PositionMap;
using detail::Reader;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

// Where the text of a ConfigMap's `config` value sits in the outer file. A literal block
// (`config: |`) keeps its lines, so inner positions shift by the block's first line and its
// indentation; any other style points every inner position at the value itself.
PositionMap embedded_map(std::string_view outer, const Node& value) {
  const auto mark = value.Mark();
  PositionMap fixed{.fixed = Position{mark.line + 1, mark.column + 1}};
  const auto lines = lines_of(outer);
  if (mark.line < 0 || static_cast<std::size_t>(mark.line) >= lines.size()) return fixed;
  const auto header = lines[static_cast<std::size_t>(mark.line)];
  if (static_cast<std::size_t>(mark.column) >= header.size() ||
      header[static_cast<std::size_t>(mark.column)] != '|') {
    return fixed;
  }
  int explicit_indent = 0;
  for (auto i = static_cast<std::size_t>(mark.column) + 1;
       i < header.size() && header[i] != ' ' && header[i] != '#'; ++i) {
    if (header[i] >= '1' && header[i] <= '9') explicit_indent = header[i] - '0';
  }
  for (auto l = static_cast<std::size_t>(mark.line) + 1; l < lines.size(); ++l) {
    const auto line = lines[l];
    const auto first = line.find_first_not_of(' ');
    if (first == std::string_view::npos) continue;  // blank lines do not set the indentation
    int indent = static_cast<int>(first);
    if (explicit_indent > 0) {
      // Explicit indentation counts from the parent's indentation.
      const auto parent = header.find_first_not_of(' ');
      indent = static_cast<int>(parent == std::string_view::npos ? 0 : parent) + explicit_indent;
    }
    return PositionMap{.line_offset = mark.line + 1, .column_offset = indent};
  }
  return fixed;
}

bool has_key(const Node& map, std::string_view key) {
  if (!map.IsMap()) return false;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  }
  return false;
}

Node value_of(const Node& map, std::string_view key) {
  if (!map.IsMap()) return Node::undefined();
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return Node::undefined();
}

std::string scalar_of(const Node& map, std::string_view key) {
  const auto v = value_of(map, key);
  return v.IsDefined() && v.IsScalar() ? std::string(v.Scalar()) : std::string();
}

bool is_legacy_configmap(const Node& doc) {
  return scalar_of(doc, "kind") == "ConfigMap" && has_key(value_of(doc, "data"), "config");
}

class Loader {
 public:
  Loader(std::string_view text, std::string file, InputFormat format, Purpose purpose)
      : text_(text), diagnostics_(std::move(file)), requested_(format), purpose_(purpose) {}

  CheckResult run() {
    CheckResult result;
    result.file = diagnostics_.file();
    Config config;
    try {
      result.format = read(config);
    } catch (const YAML::Exception& e) {
      // Only the parser throws here; the readers never convert with yaml-cpp.
      diagnostics_.error(PositionMap{}(e.mark), "", e.msg);
    } catch (const std::exception& e) {
      diagnostics_.error(Position{}, "", std::string("cannot read the file: ") + e.what());
    }
    if (!diagnostics_.has_errors()) {
      validate(config, result.format, origins_, diagnostics_);
      if (purpose_ == Purpose::kRun) {
        refuse_unsupported(config, result.format, origins_, diagnostics_);
      }
    }
    if (!diagnostics_.has_errors()) result.config = std::move(config);
    result.diagnostics = diagnostics_.sorted();
    return result;
  }

 private:
  SourceFormat read(Config& config) {
    // Screened and built in one pass: see yaml_guard.hpp and yaml_tree.hpp.
    auto loaded = detail::parse_yaml(text_);
    if (loaded.problem) {
      diagnostics_.error(PositionMap{}(loaded.problem->mark), "", loaded.problem->message);
      return guess();
    }
    std::vector<Node> docs;
    for (const auto& d : loaded.documents) {
      if (d.IsDefined() && !d.IsNull()) docs.push_back(d);
    }
    const bool kubernetes = std::any_of(docs.begin(), docs.end(), detail::is_kubernetes_object);
    Reader reader(diagnostics_, origins_);
    if (requested_ == InputFormat::kResources && !kubernetes && !docs.empty()) {
      reader.error(docs.front(), "",
                   "expected MetalLB resources (documents with apiVersion and kind)");
      return SourceFormat::kResources;
    }
    if (kubernetes) return read_objects(docs, config);
    if (docs.size() > 1) {
      reader.error(
          docs[1], "",
          "a configuration body is one YAML document; found " + std::to_string(docs.size()));
    }
    const Node root = docs.empty() ? Node() : docs.front();
    const bool standalone =
        requested_ == InputFormat::kStandalone ||
        (requested_ == InputFormat::kAuto &&
         std::any_of(detail::kStandaloneKeys.begin(), detail::kStandaloneKeys.end(),
                     [&](const std::string& k) { return has_key(root, k); }));
    detail::read_configmap_body(reader, root, config, standalone);
    return standalone ? SourceFormat::kStandalone : SourceFormat::kConfigMap;
  }

  SourceFormat guess() const {
    if (requested_ == InputFormat::kResources) return SourceFormat::kResources;
    if (requested_ == InputFormat::kStandalone) return SourceFormat::kStandalone;
    return SourceFormat::kConfigMap;
  }

  // Kubernetes objects: one MetalLB ConfigMap, or MetalLB resources, these with at most one plain
  // document (a mapping without apiVersion and kind) holding the standalone file's own keys.
  SourceFormat read_objects(const std::vector<Node>& docs, Config& config) {
    Reader reader(diagnostics_, origins_);
    std::optional<std::size_t> legacy;
    bool resources = false;
    std::vector<std::size_t> plain;
    for (std::size_t i = 0; i < docs.size(); ++i) {
      if (docs[i].IsMap() && !detail::is_kubernetes_object(docs[i])) {
        plain.push_back(i);
      } else if (is_legacy_configmap(docs[i])) {
        if (legacy) {
          reader.error(docs[i], "documents[" + std::to_string(i) + "]",
                       "more than one MetalLB ConfigMap in one file");
        } else {
          legacy = i;
        }
      } else if (scalar_of(docs[i], "apiVersion").rfind("metallb.io/", 0) == 0) {
        resources = true;
      }
    }
    if (legacy && resources) {
      reader.error(docs[*legacy], "documents[" + std::to_string(*legacy) + "]",
                   "a file holds either a MetalLB ConfigMap or MetalLB resources, not both");
      return SourceFormat::kResources;
    }
    if (legacy && !plain.empty()) {
      reader.error(docs[plain.front()], "documents[" + std::to_string(plain.front()) + "]",
                   "a plain document (node, nodes, services) goes beside MetalLB resources, not "
                   "beside a ConfigMap: write the standalone file as the ConfigMap's body plus "
                   "node, nodes and services, or as resources plus this document");
      return SourceFormat::kStandalone;
    }
    if (legacy && requested_ == InputFormat::kStandalone) {
      reader.error(docs[*legacy], "documents[" + std::to_string(*legacy) + "]",
                   "a standalone file is not a ConfigMap: write its body (the text under "
                   "data.config) plus node, nodes and services");
      return SourceFormat::kStandalone;
    }
    if (legacy && requested_ != InputFormat::kResources) {
      for (std::size_t i = 0; i < docs.size(); ++i) {
        if (i != *legacy) {
          reader.note(docs[i], "documents[" + std::to_string(i) + "]",
                      "ignored " + scalar_of(docs[i], "kind") + ": not MetalLB configuration");
        }
      }
      read_wrapped_configmap(docs[*legacy], config);
      return SourceFormat::kConfigMap;
    }
    if (requested_ == InputFormat::kConfigMap) {
      reader.error(docs.front(), "", "expected a ConfigMap with a data.config key");
      return SourceFormat::kConfigMap;
    }
    if (!plain.empty() && requested_ == InputFormat::kResources) {
      reader.error(docs[plain.front()], "documents[" + std::to_string(plain.front()) + "]",
                   "a plain document (node, nodes, services) beside MetalLB resources makes a "
                   "standalone file: check it as one (--format standalone or auto)");
      return SourceFormat::kResources;
    }
    if (plain.size() > 1) {
      reader.error(docs[plain[1]], "documents[" + std::to_string(plain[1]) + "]",
                   "a second plain document: beside MetalLB resources the standalone file has "
                   "one document with node, nodes and services; merge them");
    }
    for (std::size_t i = 0; i < docs.size(); ++i) {
      if (!plain.empty() && i == plain.front()) {
        detail::read_standalone_document(reader, docs[i], config);
      } else if (std::find(plain.begin(), plain.end(), i) == plain.end()) {
        detail::read_resource(reader, docs[i], i, config);
      }
    }
    // `--format standalone` with resources only: a standalone file with no services yet.
    if (requested_ == InputFormat::kStandalone && !config.standalone) config.standalone.emplace();
    return config.standalone ? SourceFormat::kStandalone : SourceFormat::kResources;
  }

  void read_wrapped_configmap(const Node& doc, Config& config) {
    Reader outer(diagnostics_, origins_);
    detail::MapReader top(outer, Field{doc, ""},
                          {"apiVersion", "kind", "metadata", "data", "binaryData"});
    const auto data = value_of(doc, "data");
    detail::MapReader data_reader(outer, Field{data, "data"}, {"config"});
    const auto value = value_of(data, "config");
    if (!value.IsScalar()) {
      outer.error(value, "data.config", "expected the configuration as text (config: |)");
      return;
    }
    const PositionMap map = embedded_map(text_, value);
    Reader inner(diagnostics_, origins_, map);
    // Screened and built in one pass: see yaml_guard.hpp and yaml_tree.hpp.
    auto loaded = detail::parse_yaml(value.Scalar(), 1);
    if (loaded.problem) {
      diagnostics_.error(map(loaded.problem->mark), "data.config", loaded.problem->message);
      return;
    }
    detail::read_configmap_body(inner, loaded.documents.empty() ? Node() : loaded.documents.front(),
                                config, false);
  }

  std::string_view text_;
  Diagnostics diagnostics_;
  Origins origins_;
  InputFormat requested_;
  Purpose purpose_;
};

}  // namespace

Result<InputFormat> parse_input_format(std::string_view text) {
  if (text == "auto") return InputFormat::kAuto;
  if (text == "configmap") return InputFormat::kConfigMap;
  if (text == "resources") return InputFormat::kResources;
  if (text == "standalone") return InputFormat::kStandalone;
  return failure(Errc::kInvalidArgument, "unknown format \"" + std::string(text) +
                                             "\": use auto, configmap, resources or standalone");
}

std::size_t CheckResult::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(diagnostics.begin(), diagnostics.end(),
                    [](const Diagnostic& d) { return d.severity == Severity::kError; }));
}

CheckResult check_text(std::string_view text, std::string file_name, InputFormat format,
                       Purpose purpose) {
  return Loader(text, std::move(file_name), format, purpose).run();
}

std::string format_size(std::size_t bytes) {
  if (bytes >= (std::size_t{1} << 20) && bytes % (std::size_t{1} << 20) == 0) {
    return std::to_string(bytes >> 20) + " MiB";
  }
  if (bytes >= (std::size_t{1} << 10) && bytes % (std::size_t{1} << 10) == 0) {
    return std::to_string(bytes >> 10) + " KiB";
  }
  return std::to_string(bytes) + " bytes";
}

Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes) {
  max_bytes = std::min(max_bytes, kMaxConfigBytesCeiling);
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure(Errc::kNotFound, "cannot open the file");
  // In chunks, one byte past the limit at most: a device or a huge file is never read whole,
  // and a small file costs no more than its size.
  std::string text;
  constexpr std::size_t kChunk = 256 * 1024;
  while (text.size() <= max_bytes) {
    const std::size_t at = text.size();
    const std::size_t want = std::min(kChunk, max_bytes + 1 - at);
    text.resize(at + want);
    in.read(text.data() + at, static_cast<std::streamsize>(want));
    if (in.bad()) return failure(Errc::kIoError, "cannot read the file");
    text.resize(at + static_cast<std::size_t>(in.gcount()));
    if (in.eof()) break;
  }
  if (text.size() > max_bytes) {
    const auto size = format_size(max_bytes);
    const auto exact = " (" + std::to_string(max_bytes) + " bytes)";
    return failure(Errc::kOutOfRange,
                   "the file is larger than " + size +
                       (size.ends_with(" bytes") ? std::string() : exact) +
                       ", the limit for a configuration file; --max-config-size raises it");
  }
  text.shrink_to_fit();
  return text;
}

CheckResult check_file(const std::string& path, InputFormat format, Purpose purpose,
                       std::size_t max_bytes) {
  auto text = read_config_file(path, max_bytes);
  if (!text) {
    CheckResult result;
    result.file = path;
    result.diagnostics.push_back({Severity::kError, path, {}, {}, text.error().message()});
    return result;
  }
  return check_text(text.value(), path, format, purpose);
}

Result<Config> load_text(std::string_view text, std::string file_name, InputFormat format,
                         Purpose purpose) {
  auto result = check_text(text, std::move(file_name), format, purpose);
  if (result.config) return std::move(*result.config);
  std::string message;
  for (const auto& d : result.diagnostics) {
    if (d.severity != Severity::kError) continue;
    if (!message.empty()) message += '\n';
    message += d.to_string();
  }
  return failure(Errc::kInvalidArgument, message);
}

}  // namespace vipd::config
