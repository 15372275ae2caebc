#pragma once
// FakeNetlink: an in-memory host (links and their addresses) behind the Netlink interface, for
// the tests of the layers above (vip/, daemon/). Test-only: the daemon never links it.
//
// Responsible for: the semantics of the kernel implementation (open_rtnetlink), so that a
// reconciler tested here behaves the same on a host:
//   - add_vip: idempotent for a vipd copy; kAlreadyExists for the same address on the same
//     link without vipd's mark (any prefix length), left alone; kInvalidArgument for an
//     address that cannot be a VIP (link <= 0, unspecified, loopback, multicast, IPv4
//     broadcast and 0.0.0.0/8, IPv6 link-local, IPv4-mapped); kIoError "... on link N: No such
//     device" for an unknown link. VIPs are /32 and /128, marked vipd, never tentative.
//   - delete_vip: only a vipd copy is deleted; a missing address or link succeeds; an
//     unmarked copy is kAlreadyExists, left alone.
//   - the kernel's event order and side effects: adding and removing a link emit LinkEvents
//     (removing one first emits the removal of each of its addresses, as Linux does); taking a
//     link administratively down (set_link with up false) deletes its IPv6 addresses, after
//     the LinkEvent, as Linux does with keep_addr_on_down = 0.
// Test controls: links and foreign (an operator's, or stale vipd) addresses, one injected
// failure per operation, a log of the successful changes vipd asked for, and emit_resync().
// Events are delivered synchronously from the call that caused them, after the change is
// complete (a callback may call back into the fake).
// Not responsible for: being thread-safe (one test thread), announcing, routes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_address.hpp"
#include "common/result.hpp"
#include "netlink/netlink.hpp"

namespace vipd::netlink {

class FakeNetlink final : public Netlink {
 public:
  enum class Operation { kLinks, kAddresses, kAddVip, kDeleteVip, kSubscribe };

  Result<std::vector<Link>> links() override;         // by index
  Result<std::vector<Address>> addresses() override;  // in the order they were added
  Result<void> add_vip(int link, const IpAddress& address) override;
  Result<void> delete_vip(int link, const IpAddress& address) override;
  Result<void> subscribe(Callbacks callbacks) override;

  // Adds a link (index > 0, not present yet: asserted) and emits its LinkEvent.
  void add_link(Link link);
  // Replaces the link with the same index (asserted present) and emits a LinkEvent; going from
  // up to down deletes its IPv6 addresses (AddressEvents, after the LinkEvent).
  void set_link(Link link);
  // Removes the link and its addresses: a removed AddressEvent each, then a removed LinkEvent.
  void remove_link(int index);
  // An address vipd did not add (or a stale vipd one: `address.vipd` true) appears, with an
  // AddressEvent. Its link must exist (asserted); a duplicate (same link, address and prefix
  // length) replaces the old one, as the kernel's "replace" would.
  void add_foreign_address(Address address);
  // An address disappears without vipd asking (an operator's `ip addr del`), with an
  // AddressEvent; nothing happens when it is not there.
  void remove_address(int link, const IpAddress& address);

  // The next call of `operation` fails with `error`, changing nothing.
  void fail_next(Operation operation, Error error);
  // Every change vipd made, in order: "add eth0 192.0.2.10", "delete eth0 2001:db8::10".
  std::vector<std::string> log() const { return log_; }
  // Calls the resync callback, as after an overrun of the kernel's event socket.
  void emit_resync();

  bool subscribed() const { return subscribed_; }

 private:
  std::optional<Error> take_failure(Operation operation);
  const Link* find_link(int index) const;
  // The copy of `address` on `link`, vipd's first; addresses_.end() when none.
  std::vector<Address>::iterator find_address(int link, const IpAddress& address);
  void emit(const LinkEvent& event);
  void emit(const AddressEvent& event);

  std::map<int, Link> links_;
  std::vector<Address> addresses_;
  std::map<Operation, Error> failures_;
  std::vector<std::string> log_;
  Callbacks callbacks_;
  bool subscribed_ = false;
};

}  // namespace vipd::netlink
