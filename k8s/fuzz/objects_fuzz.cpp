// Fuzzes the typed views with arbitrary bytes, as an API server (or whatever answers in its
// place) could send them: parsed as JSON, then decoded as every kind. Beyond "never crashes":
// a decoded object's size estimate is computable, a MetalLB document is valid JSON holding
// the same name, and a decoded Lease spec encodes and decodes back to itself.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <string_view>

#include "common/assert.hpp"
#include "k8s/objects.hpp"

namespace {

using namespace vipd::k8s;

void check(Kind kind, const boost::json::value& value) {
  auto decoded = decode(kind, value);
  if (!decoded) {
    VIPD_ASSERT(!decoded.error().message().empty(), "an error without a message");
    return;
  }
  const Object& object = decoded.value();
  VIPD_ASSERT(!meta_of(object).name.empty(), "a decoded object without a name");
  (void)size_estimate(object);
  if (const auto* m = std::get_if<MetallbObject>(&object)) {
    boost::system::error_code ec;
    const auto document = boost::json::parse(m->document, ec);
    VIPD_ASSERT(!ec && document.is_object(), "a MetalLB document that is not a JSON object");
    const auto again = decode_metallb_object(kind, document);
    VIPD_ASSERT(again && again.value().document == m->document, "a document is not stable");
  }
  if (const auto* lease = std::get_if<Lease>(&object)) {
    const auto encoded = boost::json::value(encode_lease(lease->meta, lease->spec));
    const auto back = decode_lease(encoded);
    VIPD_ASSERT(back && back.value().spec == lease->spec, "a Lease spec does not round-trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 64;
  const auto value = boost::json::parse(text, ec, {}, options);
  if (ec) return 0;
  for (int i = 0; i <= static_cast<int>(Kind::kBfdProfile); ++i) {
    check(static_cast<Kind>(i), value);
  }
  // A watch event: decode its object too.
  if (const auto* event = value.if_object()) {
    if (const auto* inner = event->if_contains("object")) {
      for (int i = 0; i <= static_cast<int>(Kind::kBfdProfile); ++i) {
        check(static_cast<Kind>(i), *inner);
      }
    }
  }
  // MicroTime on its own: parse → format → parse is stable.
  if (size <= 64) {
    if (auto t = parse_micro_time(text)) {
      const auto formatted = format_micro_time(t.value());
      const auto again = parse_micro_time(formatted);
      VIPD_ASSERT(again && again.value() == t.value(), "MicroTime does not round-trip");
    }
  }
  return 0;
}
