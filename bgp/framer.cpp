#include "bgp/framer.hpp"

#include "bgp/codec.hpp"

namespace vipd::bgp {

void Framer::feed(std::span<const std::uint8_t> bytes) {
  if (read_ > 0) {  // drop what was handed out; only a partial message moves
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

DecodeResult<std::optional<std::span<const std::uint8_t>>> Framer::next() {
  if (failed_) return *failed_;
  const std::span<const std::uint8_t> pending(buffer_.data() + read_, buffer_.size() - read_);
  if (pending.size() < kHeaderSize) return std::optional<std::span<const std::uint8_t>>();
  auto length = check_header(pending, max_message_size_);
  if (!length) {
    failed_ = length.error();
    return *failed_;
  }
  if (pending.size() < length.value()) return std::optional<std::span<const std::uint8_t>>();
  read_ += length.value();
  return std::optional<std::span<const std::uint8_t>>(pending.first(length.value()));
}

}  // namespace vipd::bgp
