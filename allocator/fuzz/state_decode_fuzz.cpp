// Fuzzes the state-file decoder (a file on disk may be torn or edited by hand). Beyond "does
// not crash": whatever decodes encodes to text that decodes to the same state.
#include <cstdint>
#include <string_view>

#include "allocator/state_file.hpp"
#include "common/assert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto state = vipd::allocator::decode_state(text)) {
    auto again = vipd::allocator::decode_state(vipd::allocator::encode_state(state.value()));
    VIPD_ASSERT(again && again.value() == state.value(), "state round trip");
  }
  return 0;
}
