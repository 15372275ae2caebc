#pragma once
// Pieces shared by the codec's translation units. Not part of the module's interface.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bgp/codec.hpp"
#include "bgp/wire.hpp"

namespace vipd::bgp::detail {

DecodeError make_error(std::uint8_t code, std::uint8_t subcode, std::size_t offset,
                       std::string reason, std::vector<std::uint8_t> data = {});

// Writes a header with a placeholder length; finish_message() fills it in.
std::size_t begin_message(std::vector<std::uint8_t>& out, MessageType type);
Result<std::size_t> finish_message(std::vector<std::uint8_t>& out, std::size_t start,
                                   const CodecOptions& options);

// ---- NLRI (nlri.cpp) ----
// Decodes a run of prefixes of one family until the reader is empty. On error returns the
// reason and leaves `out` with what was decoded before it.
std::optional<std::string> decode_prefixes(Reader& reader, Family family, bool add_path,
                                           std::vector<Nlri>& out);
void encode_prefix(const Nlri& nlri, bool add_path, std::vector<std::uint8_t>& out);
std::size_t encoded_prefix_size(const Prefix& prefix, bool add_path);

// ---- OPEN (open_codec.cpp) ----
DecodeResult<Open> decode_open(Reader body, std::size_t body_offset);
void encode_open_body(const Open& open, std::vector<std::uint8_t>& out);

// ---- UPDATE (update_codec.cpp, attributes.cpp) ----
DecodeResult<Update> decode_update(Reader body, std::size_t body_offset,
                                   const CodecOptions& options);
void encode_update_body(const Update& update, const CodecOptions& options,
                        std::vector<std::uint8_t>& out);

// One attribute's value decoded into `attributes`; nullopt on success, else the problem.
struct AttributeProblem {
  std::uint8_t subcode = 0;
  std::string reason;
  // Set when the problem is worse than the attribute's usual action (e.g. an MP_REACH whose
  // AFI/SAFI cannot even be read needs a session reset).
  std::optional<ErrorAction> action;
};

struct AttributeRow {
  AttrType type;
  const char* name;
  std::uint8_t flags;    // the Optional and Transitive bits the RFC fixes for this attribute
  ErrorAction on_error;  // RFC 7606 action for a malformed value
  std::optional<AttributeProblem> (*decode)(Reader value, const CodecOptions& options,
                                            PathAttributes& attributes);
  bool (*present)(const PathAttributes& attributes);
  void (*encode)(const PathAttributes& attributes, const CodecOptions& options,
                 std::vector<std::uint8_t>& out);
};

// The attribute table: the row for a type code, or nullptr when vipd does not know it.
const AttributeRow* find_attribute(std::uint8_t type);
std::span<const AttributeRow> attribute_rows();

}  // namespace vipd::bgp::detail
