// Fuzzes the YAML front ends: arbitrary bytes, read as each input format, never crash, never
// throw, and every error carries a position inside the input or none at all. A valid result
// converts (as a ConfigMap) and reads back valid.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/assert.hpp"
#include "config/convert.hpp"
#include "config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using vipd::config::InputFormat;
  int lines = 1;
  for (char c : text) lines += c == '\n';
  for (const auto format : {InputFormat::kAuto, InputFormat::kConfigMap, InputFormat::kResources,
                            InputFormat::kStandalone}) {
    const auto result = vipd::config::check_text(text, "fuzz.yaml", format);
    VIPD_ASSERT(result.valid() == (result.error_count() == 0), "valid exactly without errors");
    for (const auto& d : result.diagnostics) {
      VIPD_ASSERT(d.position.line >= 0 && d.position.line <= lines + 1, "position inside input");
    }
    if (result.valid() && result.format == vipd::config::SourceFormat::kConfigMap) {
      auto yaml = vipd::config::emit_resources(*result.config, "metallb-system");
      if (yaml) {
        const auto reread =
            vipd::config::check_text(yaml.value(), "converted.yaml", InputFormat::kResources);
        VIPD_ASSERT(reread.valid(), "a converted valid ConfigMap reads back valid");
      }
    }
  }
  return 0;
}
