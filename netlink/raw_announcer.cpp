#include "netlink/raw_announcer.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace vipd::netlink {

namespace {

using RawProtocol = asio::generic::raw_protocol;

bool is_errno(const boost::system::error_code& ec, int value) {
  return ec.category() == boost::system::system_category() && ec.value() == value;
}

sockaddr_ll link_address(int link_index, std::uint16_t protocol_network_order) {
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = protocol_network_order;
  address.sll_ifindex = link_index;
  return address;
}

}  // namespace

// One packet socket bound to one link. Protocol 0: the kernel hands it no received frames, so it
// never has to be read, and it registers no receive hook, so a link flap leaves no pending
// ENETDOWN on it (a socket bound with a protocol fails its next send with one: tested).
class RawAnnouncer::LinkSocket {
 public:
  LinkSocket(asio::any_io_executor executor, int link_index)
      : socket_(std::move(executor)), link_index_(link_index) {}

  bool is_open() const { return socket_.is_open(); }

  // (Re)opens the socket: a new socket, bound to the link, non-blocking.
  boost::system::error_code open() {
    boost::system::error_code ec;
    socket_.close(ec);
    socket_.open(RawProtocol(AF_PACKET, 0), ec);
    if (ec) return ec;
    const auto bound = link_address(link_index_, 0);
    socket_.bind(RawProtocol::endpoint(&bound, sizeof bound), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) {
      boost::system::error_code ignored;
      socket_.close(ignored);
    }
    return ec;
  }

  // One frame, as is (it carries its own Ethernet header). Never waits: a full buffer is
  // would_block.
  boost::system::error_code send(const Frame& frame) {
    // The EtherType goes into sll_protocol too, so the kernel gives the frame's skb the right
    // protocol (taps, qdiscs).
    auto to =
        link_address(link_index_, htons(static_cast<std::uint16_t>(frame[12] << 8 | frame[13])));
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, frame.data(), 6);
    boost::system::error_code ec;
    socket_.send_to(asio::buffer(frame), RawProtocol::endpoint(&to, sizeof to), 0, ec);
    return ec;
  }

 private:
  RawProtocol::socket socket_;
  int link_index_;
};

struct RawAnnouncer::Schedule {
  int link_index = 0;
  std::string link_name;
  std::vector<Frame> frames;
  int remaining = 0;         // sends still to come after the current one
  Clock::time_point next{};  // deadline of the next send
  std::unique_ptr<Timer> timer;
  bool error_logged = false;  // one warning per address per schedule
};

RawAnnouncer::RawAnnouncer(asio::any_io_executor executor, TimerClock& clock,
                           AnnounceOptions options)
    : executor_(std::move(executor)), clock_(clock), options_(options) {}

RawAnnouncer::~RawAnnouncer() = default;

Result<void> RawAnnouncer::announce(const Link& link, const IpAddress& address) {
  if (!link.mac) {
    return failure(Errc::kInvalidArgument, "announce " + address.to_string() + " on " + link.name +
                                               ": the link has no MAC address");
  }
  if (link.index <= 0) {
    return failure(Errc::kInvalidArgument,
                   "announce " + address.to_string() + " on " + link.name + ": no link index");
  }
  auto& slot = schedules_[address];
  if (!slot) {
    slot = std::make_unique<Schedule>();
    slot->timer = clock_.make_timer(executor_);
  }
  Schedule& schedule = *slot;
  schedule.timer->cancel();  // a restart: the earlier schedule's sends are not made
  schedule.link_index = link.index;
  schedule.link_name = link.name;
  schedule.frames = announcement_frames(*link.mac, address);
  schedule.remaining = std::max(options_.repeats, 0);
  schedule.error_logged = false;
  sent_.try_emplace(address, 0);

  send_all(address, schedule);
  if (schedule.remaining == 0) {
    schedules_.erase(address);
    return success();
  }
  schedule.next = clock_.now() + options_.interval;
  schedule.timer->arm(schedule.next, [this, address] { on_timer(address); });
  return success();
}

void RawAnnouncer::stop(const IpAddress& address) { schedules_.erase(address); }

bool RawAnnouncer::scheduled(const IpAddress& address) const {
  return schedules_.contains(address);
}

void RawAnnouncer::on_timer(const IpAddress& address) {
  const auto it = schedules_.find(address);
  if (it == schedules_.end()) return;  // stopped (the timer guarantees this does not happen)
  Schedule& schedule = *it->second;
  --schedule.remaining;
  send_all(address, schedule);
  if (schedule.remaining <= 0) {
    // Destroys the timer whose callback this is: nothing of it is used after this line.
    schedules_.erase(it);
    return;
  }
  // From the previous deadline, not from now: a late callback does not stretch the schedule.
  schedule.next += options_.interval;
  schedule.timer->arm(schedule.next, [this, address] { on_timer(address); });
}

void RawAnnouncer::send_all(const IpAddress& address, Schedule& schedule) {
  for (const auto& frame : schedule.frames) {
    const auto ec = send_frame(schedule.link_index, frame);
    if (!ec) {
      ++sent_[address];
      continue;
    }
    ++send_errors_[address];
    if (!schedule.error_logged) {
      schedule.error_logged = true;
      spdlog::warn(
          "layer 2: cannot announce {} on {} (index {}): {} (further failures of "
          "this announcement are counted, not logged)",
          address.to_string(), schedule.link_name, schedule.link_index, ec.message());
    }
  }
}

boost::system::error_code RawAnnouncer::send_frame(int link_index, const Frame& frame) {
  auto& slot = sockets_[link_index];
  if (!slot) slot = std::make_unique<LinkSocket>(executor_, link_index);
  boost::system::error_code ec;
  if (!slot->is_open()) ec = slot->open();
  if (!ec) ec = slot->send(frame);
  if (is_errno(ec, ENETDOWN)) {
    // A link that is down, or a flap that left a pending ENETDOWN on the socket (DESIGN.md,
    // "Layer 2 VIPs"; not seen with protocol 0, kept as a defence): once more, on a new socket.
    spdlog::debug("layer 2: link index {}: send failed ({}), retrying on a new socket", link_index,
                  ec.message());
    ec = slot->open();
    if (!ec) ec = slot->send(frame);
  }
  if (is_errno(ec, ENODEV) || is_errno(ec, ENXIO)) {
    // The link is gone: do not keep a socket for an index that may never come back.
    sockets_.erase(link_index);
  }
  return ec;
}

}  // namespace vipd::netlink
