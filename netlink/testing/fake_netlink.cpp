#include "netlink/testing/fake_netlink.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "common/assert.hpp"
#include "netlink/vip_address.hpp"

namespace vipd::netlink {
namespace {

std::string with_prefix(const Address& address) {
  return address.address.to_string() + "/" + std::to_string(address.prefix_length);
}

}  // namespace

Result<std::vector<Link>> FakeNetlink::links() {
  if (auto error = take_failure(Operation::kLinks)) return failure(std::move(*error));
  std::vector<Link> links;
  for (const auto& [index, link] : links_) links.push_back(link);
  return links;
}

Result<std::vector<Address>> FakeNetlink::addresses() {
  if (auto error = take_failure(Operation::kAddresses)) return failure(std::move(*error));
  return addresses_;
}

Result<void> FakeNetlink::add_vip(int link, const IpAddress& address) {
  if (auto error = take_failure(Operation::kAddVip)) return failure(std::move(*error));
  std::string what = "add " + host_prefix(address) + " on link " + std::to_string(link);
  VIPD_TRY(check_vip(link, address, what));
  const Link* found = find_link(link);
  if (found == nullptr) return failure(Errc::kIoError, what + ": No such device");
  what = "add " + host_prefix(address) + " on " + found->name;
  if (auto existing = find_address(link, address); existing != addresses_.end()) {
    if (existing->vipd) return success();
    return failure(Errc::kAlreadyExists, what + ": " + with_prefix(*existing) +
                                             " is already there and not vipd's; left alone");
  }
  Address added;
  added.link = link;
  added.address = address;
  added.prefix_length = address.bits();
  added.vipd = true;
  addresses_.push_back(added);
  log_.push_back("add " + found->name + " " + address.to_string());
  emit(AddressEvent{added, false});
  return success();
}

Result<void> FakeNetlink::delete_vip(int link, const IpAddress& address) {
  if (auto error = take_failure(Operation::kDeleteVip)) return failure(std::move(*error));
  std::string what = "delete " + host_prefix(address) + " on link " + std::to_string(link);
  VIPD_TRY(check_vip(link, address, what));
  const Link* found = find_link(link);
  if (found == nullptr) return success();  // the link is gone, and its addresses with it
  what = "delete " + host_prefix(address) + " on " + found->name;
  const auto existing = find_address(link, address);
  if (existing == addresses_.end()) return success();
  if (!existing->vipd) {
    return failure(Errc::kAlreadyExists,
                   what + ": " + with_prefix(*existing) + " is not vipd's; left alone");
  }
  const Address removed = *existing;
  addresses_.erase(existing);
  log_.push_back("delete " + found->name + " " + address.to_string());
  emit(AddressEvent{removed, true});
  return success();
}

Result<void> FakeNetlink::subscribe(Callbacks callbacks) {
  if (auto error = take_failure(Operation::kSubscribe)) return failure(std::move(*error));
  callbacks_ = std::move(callbacks);
  subscribed_ = true;
  return success();
}

void FakeNetlink::add_link(Link link) {
  VIPD_ASSERT(link.index > 0, "FakeNetlink::add_link: link index must be positive");
  VIPD_ASSERT(!links_.contains(link.index), "FakeNetlink::add_link: index already present");
  links_[link.index] = link;
  emit(LinkEvent{std::move(link), false});
}

void FakeNetlink::set_link(Link link) {
  const int index = link.index;
  const auto it = links_.find(index);
  VIPD_ASSERT(it != links_.end(), "FakeNetlink::set_link: no such link");
  const bool went_down = it->second.up && !link.up;
  it->second = link;
  emit(LinkEvent{std::move(link), false});
  if (!went_down) return;
  // Linux (keep_addr_on_down = 0) deletes a link's IPv6 addresses when it goes down, and
  // reports them after the link.
  std::vector<Address> gone;
  std::erase_if(addresses_, [&](const Address& a) {
    if (a.link != index || !a.address.is_v6()) return false;
    gone.push_back(a);
    return true;
  });
  for (const auto& a : gone) emit(AddressEvent{a, true});
}

void FakeNetlink::remove_link(int index) {
  const auto it = links_.find(index);
  VIPD_ASSERT(it != links_.end(), "FakeNetlink::remove_link: no such link");
  const Link removed = it->second;
  links_.erase(it);
  std::vector<Address> gone;
  std::erase_if(addresses_, [&](const Address& a) {
    if (a.link != index) return false;
    gone.push_back(a);
    return true;
  });
  // Linux reports the addresses' removal first, then the link's (RTM_DELADDR, RTM_DELLINK).
  for (const auto& a : gone) emit(AddressEvent{a, true});
  emit(LinkEvent{removed, true});
}

void FakeNetlink::add_foreign_address(Address address) {
  VIPD_ASSERT(links_.contains(address.link), "FakeNetlink::add_foreign_address: no such link");
  const auto same = std::find_if(addresses_.begin(), addresses_.end(), [&](const Address& a) {
    return a.link == address.link && a.address == address.address &&
           a.prefix_length == address.prefix_length;
  });
  if (same != addresses_.end()) {
    *same = address;
  } else {
    addresses_.push_back(address);
  }
  emit(AddressEvent{address, false});
}

void FakeNetlink::remove_address(int link, const IpAddress& address) {
  const auto it = find_address(link, address);
  if (it == addresses_.end()) return;
  const Address removed = *it;
  addresses_.erase(it);
  emit(AddressEvent{removed, true});
}

void FakeNetlink::fail_next(Operation operation, Error error) {
  failures_.insert_or_assign(operation, std::move(error));
}

void FakeNetlink::emit_resync() {
  if (auto callback = callbacks_.resync) callback();
}

std::optional<Error> FakeNetlink::take_failure(Operation operation) {
  const auto it = failures_.find(operation);
  if (it == failures_.end()) return std::nullopt;
  Error error = std::move(it->second);
  failures_.erase(it);
  return error;
}

const Link* FakeNetlink::find_link(int index) const {
  const auto it = links_.find(index);
  return it == links_.end() ? nullptr : &it->second;
}

std::vector<Address>::iterator FakeNetlink::find_address(int link, const IpAddress& address) {
  auto found = addresses_.end();
  for (auto it = addresses_.begin(); it != addresses_.end(); ++it) {
    if (it->link != link || it->address != address) continue;
    if (found == addresses_.end() || (it->vipd && !found->vipd)) found = it;
  }
  return found;
}

// Copies of the callback: a callback may replace the callbacks (subscribe) while it runs.
void FakeNetlink::emit(const LinkEvent& event) {
  if (auto callback = callbacks_.link) callback(event);
}

void FakeNetlink::emit(const AddressEvent& event) {
  if (auto callback = callbacks_.address) callback(event);
}

}  // namespace vipd::netlink
