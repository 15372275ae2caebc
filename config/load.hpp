#pragma once
// Loading a configuration file: detects its format (MetalLB ConfigMap, whole or as the bare
// `config` body; MetalLB resources; the standalone file, as the body plus node, nodes and
// services, or as resources plus one plain document with those keys), reads it with the matching
// front end, validates the model and reports every problem with file:line:column and field path.
//
// A file with any error is rejected as a whole: `config` is set only when there is none.
// Nothing here throws; yaml-cpp's exceptions become diagnostics. A file over --max-config-size (64
// MiB unless set) is refused unread, and YAML is screened before yaml-cpp builds nodes from it
// (yaml_guard.hpp). Runs on the caller's thread; check_file and read_config_file read the file (the
// only I/O in config/).

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

// A configuration file holds at most this much unless --max-config-size says otherwise (a
// 100,000-service standalone file in block style is ~6 MiB); the flag goes up to
// kMaxConfigBytesCeiling, which also bounds any text (the YAML tree's offsets are 32-bit).
inline constexpr std::size_t kDefaultMaxConfigFileBytes = std::size_t{64} << 20;  // 64 MiB
inline constexpr std::size_t kMaxConfigBytesCeiling = std::size_t{1} << 30;       // 1 GiB

// "64 MiB", "1536 KiB", "100 bytes": a size as the limit messages say it.
std::string format_size(std::size_t bytes);

CheckResult check_text(std::string_view text, std::string file_name,
                       InputFormat format = InputFormat::kAuto, Purpose purpose = Purpose::kRun);
CheckResult check_file(const std::string& path, InputFormat format = InputFormat::kAuto,
                       Purpose purpose = Purpose::kRun,
                       std::size_t max_bytes = kDefaultMaxConfigFileBytes);

// The text of a configuration file, reading no more than max_bytes + 1 bytes of it (and holding
// no more than the file has): kNotFound when it cannot be opened, kIoError when reading fails,
// kOutOfRange when it is larger than max_bytes.
Result<std::string> read_config_file(const std::string& path,
                                     std::size_t max_bytes = kDefaultMaxConfigFileBytes);

// The same, as a Result: the model, or an Error whose message lists every error, one per line.
Result<Config> load_text(std::string_view text, std::string file_name,
                         InputFormat format = InputFormat::kAuto, Purpose purpose = Purpose::kRun);

}  // namespace vipd::config
