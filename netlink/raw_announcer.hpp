#pragma once
// RawAnnouncer: the Announcer on AF_PACKET raw sockets — sends the frames of
// netlink/announce_packets.hpp on a link, at once and then on a schedule.
//
// Responsible for: one AF_PACKET SOCK_RAW socket per link index, opened on first use, bound to
// the link (protocol 0: it receives nothing) and non-blocking; per address, sending its frames
// (IPv4: ARP request then reply; IPv6: one NA) at once on announce() and `repeats` more times
// `interval` apart on a Timer of the TimerClock given at construction; a later announce() of
// the same address restarts its schedule (on the link it names); stop() ends it; retrying once,
// on a reopened socket, a send that fails with ENETDOWN (what a packet socket bound with a
// protocol returns on its first send after a link flap; ours, bound with protocol 0, were not
// seen to, so this is a defence); counting other failures per address and logging them (spdlog,
// warn) at most once per address per schedule; counting the frames actually sent per address
// (vipd_layer2_gratuitous_sent).
// Not responsible for: deciding when to announce or noticing link changes (vip/ calls
// announce() again after a link comes back), the addresses themselves (Netlink). A send that
// finds the socket's buffer full (EAGAIN) is a counted failure, never a wait: the next repeat
// sends again.
// Errors: announce() refuses (kInvalidArgument) a link without a MAC or without an index; send
// failures never reach the caller.
// Runs on one executor (single-threaded, never blocks it); the TimerClock must outlive the
// announcer. Needs CAP_NET_RAW.

#include <cstdint>
#include <map>
#include <memory>

#include "common/asio.hpp"
#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "common/timer.hpp"
#include "netlink/announce_packets.hpp"
#include "netlink/announcer.hpp"

namespace vipd::netlink {

class RawAnnouncer final : public Announcer {
 public:
  RawAnnouncer(asio::any_io_executor executor, TimerClock& clock, AnnounceOptions options = {});
  ~RawAnnouncer() override;
  RawAnnouncer(const RawAnnouncer&) = delete;
  RawAnnouncer& operator=(const RawAnnouncer&) = delete;

  Result<void> announce(const Link& link, const IpAddress& address) override;
  void stop(const IpAddress& address) override;
  const std::map<IpAddress, std::uint64_t>& sent() const override { return sent_; }

  // Frames that could not be sent, per address since start (after the ENETDOWN retry).
  const std::map<IpAddress, std::uint64_t>& send_errors() const { return send_errors_; }
  // True while `address` has sends still to come.
  bool scheduled(const IpAddress& address) const;

 private:
  struct Schedule;
  class LinkSocket;

  void send_all(const IpAddress& address, Schedule& schedule);
  // Sends one frame on the link's socket (opened on first use), reopening it and retrying once
  // after ENETDOWN.
  boost::system::error_code send_frame(int link_index, const Frame& frame);
  void on_timer(const IpAddress& address);

  asio::any_io_executor executor_;
  TimerClock& clock_;
  AnnounceOptions options_;
  std::map<int, std::unique_ptr<LinkSocket>> sockets_;  // by link index
  std::map<IpAddress, std::unique_ptr<Schedule>> schedules_;
  std::map<IpAddress, std::uint64_t> sent_;
  std::map<IpAddress, std::uint64_t> send_errors_;
};

}  // namespace vipd::netlink
