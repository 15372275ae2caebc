#pragma once
// Loading a configuration file: detects its format (MetalLB ConfigMap, whole or as the bare
// `config` body; MetalLB resources; the standalone file, as the body plus node, nodes and
// services, or as resources plus one plain document with those keys), reads it with the matching
// front end, validates the model and reports every problem with file:line:column and field path.
//
// A file with any error is rejected as a whole: `config` is set only when there is none.
// Nothing here throws; yaml-cpp's exceptions become diagnostics. Text over 4 MiB is refused, and
// YAML is screened before yaml-cpp builds nodes from it (yaml_guard.hpp). Runs on the caller's
// thread; check_file and read_config_file read the file (the only I/O in config/).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace vipd::config {

enum class InputFormat { kAuto, kConfigMap, kResources, kStandalone };
Result<InputFormat> parse_input_format(
    std::string_view text);  // auto|configmap|resources|standalone

// What a check answers. kRun: can vipd run the file? Settings it reads but does not implement yet
// are refused (validate.hpp, refuse_unsupported). kTranslate: is the file valid configuration?
// Every setting MetalLB accepts passes, so that `vipd config convert` carries each one over; a
// converted file is refused afterwards wherever kRun refuses it.
enum class Purpose { kRun, kTranslate };

struct CheckResult {
  std::string file;
  SourceFormat format = SourceFormat::kConfigMap;
  std::optional<Config> config;         // set only when there is no error
  std::vector<Diagnostic> diagnostics;  // errors, warnings and notes, by position

  bool valid() const { return config.has_value(); }
  std::size_t error_count() const;
};

// Configuration files hold at most this much; larger texts and files are refused.
inline constexpr std::size_t kMaxConfigFileBytes = std::size_t{4} << 20;  // 4 MiB

CheckResult check_text(std::string_view text, std::string file_name,
                       InputFormat format = InputFormat::kAuto, Purpose purpose = Purpose::kRun);
CheckResult check_file(const std::string& path, InputFormat format = InputFormat::kAuto,
                       Purpose purpose = Purpose::kRun);

// The text of a configuration file, reading no more than kMaxConfigFileBytes + 1 bytes of it:
// kNotFound when it cannot be opened, kIoError when reading fails, kOutOfRange when it is larger
// than the limit.
Result<std::string> read_config_file(const std::string& path);

// The same, as a Result: the model, or an Error whose message lists every error, one per line.
Result<Config> load_text(std::string_view text, std::string file_name,
                         InputFormat format = InputFormat::kAuto, Purpose purpose = Purpose::kRun);

}  // namespace vipd::config
