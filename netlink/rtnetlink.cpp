#include "netlink/rtnetlink.hpp"

#include <linux/if.h>  // not <net/if.h>: the two clash, and only this one has IF_OPER_UP
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "netlink/vip_address.hpp"

namespace vipd::netlink {
namespace {

// RFC 4862 / Linux: a lifetime of all ones means "forever".
constexpr std::uint32_t kInfiniteLifetime = 0xffffffffu;
// The kernel answers a request at once; this only bounds a kernel that does not.
constexpr auto kRequestTimeout = std::chrono::seconds(5);
// A dump that races with changes comes back marked NLM_F_DUMP_INTR; it is run again.
constexpr int kDumpAttempts = 5;
// Reads per readable event before yielding to the executor (the wait fires again at once).
constexpr int kReadsPerWakeup = 64;
// Receive buffer of the event socket (the kernel caps it at net.core.rmem_max).
constexpr int kEventBufferBytes = 1 << 20;

struct SocketFree {
  void operator()(nl_sock* socket) const { nl_socket_free(socket); }
};
using SocketPtr = std::unique_ptr<nl_sock, SocketFree>;
struct MessageFree {
  void operator()(nl_msg* message) const { nlmsg_free(message); }
};
using MessagePtr = std::unique_ptr<nl_msg, MessageFree>;
struct CallbacksPut {
  void operator()(nl_cb* cb) const { nl_cb_put(cb); }
};
using CallbacksPtr = std::unique_ptr<nl_cb, CallbacksPut>;

std::string libnl_error(int code) { return nl_geterror(code); }
std::string system_error(int error) { return std::system_category().message(error); }

std::optional<Link> parse_link(nlmsghdr* header) {
  if (nlmsg_valid_hdr(header, sizeof(ifinfomsg)) == 0) return std::nullopt;
  const auto* info = static_cast<const ifinfomsg*>(nlmsg_data(header));
  // AF_BRIDGE port messages share RTNLGRP_LINK; their RTM_DELLINK means "left the bridge".
  if (info->ifi_family != AF_UNSPEC) return std::nullopt;
  static const auto policy = [] {
    std::array<nla_policy, IFLA_MAX + 1> p{};
    p[IFLA_IFNAME].type = NLA_STRING;
    p[IFLA_OPERSTATE].type = NLA_U8;
    return p;
  }();
  std::array<nlattr*, IFLA_MAX + 1> attributes{};
  if (nlmsg_parse(header, sizeof(ifinfomsg), attributes.data(), IFLA_MAX, policy.data()) < 0) {
    return std::nullopt;
  }
  if (attributes[IFLA_IFNAME] == nullptr) return std::nullopt;
  Link link;
  link.index = info->ifi_index;
  link.name = nla_get_string(attributes[IFLA_IFNAME]);
  if (const nlattr* a = attributes[IFLA_ADDRESS]; a != nullptr && nla_len(a) == 6) {
    MacAddress mac;
    std::memcpy(mac.data(), nla_data(a), mac.size());
    // The loopback device reports 00:00:00:00:00:00: no Ethernet address to announce.
    if (mac != MacAddress{}) link.mac = mac;
  }
  link.up = (info->ifi_flags & IFF_UP) != 0;
  link.running = (info->ifi_flags & IFF_RUNNING) != 0 ||
                 (attributes[IFLA_OPERSTATE] != nullptr &&
                  nla_get_u8(attributes[IFLA_OPERSTATE]) == IF_OPER_UP);
  link.loopback = (info->ifi_flags & IFF_LOOPBACK) != 0;
  return link;
}

std::optional<Address> parse_address(nlmsghdr* header) {
  if (nlmsg_valid_hdr(header, sizeof(ifaddrmsg)) == 0) return std::nullopt;
  const auto* info = static_cast<const ifaddrmsg*>(nlmsg_data(header));
  if (info->ifa_family != AF_INET && info->ifa_family != AF_INET6) return std::nullopt;
  static const auto policy = [] {
    std::array<nla_policy, IFA_MAX + 1> p{};
    p[IFA_FLAGS].type = NLA_U32;
    p[IFA_PROTO].type = NLA_U8;
    return p;
  }();
  std::array<nlattr*, IFA_MAX + 1> attributes{};
  if (nlmsg_parse(header, sizeof(ifaddrmsg), attributes.data(), IFA_MAX, policy.data()) < 0) {
    return std::nullopt;
  }
  // IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point links, and the
  // only one present on IPv6 without a peer.
  const nlattr* local = attributes[IFA_LOCAL] ? attributes[IFA_LOCAL] : attributes[IFA_ADDRESS];
  if (local == nullptr) return std::nullopt;
  const auto ip = IpAddress::from_bytes({static_cast<const std::uint8_t*>(nla_data(local)),
                                         static_cast<std::size_t>(nla_len(local))});
  if (!ip || ip->is_v4() != (info->ifa_family == AF_INET)) return std::nullopt;
  const std::uint32_t flags =
      attributes[IFA_FLAGS] ? nla_get_u32(attributes[IFA_FLAGS]) : info->ifa_flags;
  Address address;
  address.link = static_cast<int>(info->ifa_index);
  address.address = *ip;
  address.prefix_length = info->ifa_prefixlen;
  address.vipd =
      attributes[IFA_PROTO] != nullptr && nla_get_u8(attributes[IFA_PROTO]) == kVipdAddressProtocol;
  address.tentative = (flags & IFA_F_TENTATIVE) != 0;
  address.dad_failed = (flags & IFA_F_DADFAILED) != 0;
  return address;
}

// The kernel's text for a refused request (NETLINK_EXT_ACK), e.g. "ipv6: address not found".
std::string extended_ack(const nlmsgerr* error) {
  const auto* header =
      reinterpret_cast<const nlmsghdr*>(reinterpret_cast<const char*>(error) - NLMSG_HDRLEN);
  if ((header->nlmsg_flags & NLM_F_ACK_TLVS) == 0) return {};
  // The TLVs follow the echoed request: its header only when capped (NETLINK_CAP_ACK).
  std::size_t offset = sizeof(nlmsgerr);
  if ((header->nlmsg_flags & NLM_F_CAPPED) == 0) {
    offset = offsetof(nlmsgerr, msg) + NLMSG_ALIGN(error->msg.nlmsg_len);
  }
  if (header->nlmsg_len <= NLMSG_HDRLEN) return {};
  const std::size_t length = header->nlmsg_len - NLMSG_HDRLEN;
  if (offset >= length) return {};
  std::array<nlattr*, NLMSGERR_ATTR_MAX + 1> attributes{};
  auto* first =
      reinterpret_cast<nlattr*>(const_cast<char*>(reinterpret_cast<const char*>(error)) + offset);
  if (nla_parse(attributes.data(), NLMSGERR_ATTR_MAX, first, static_cast<int>(length - offset),
                nullptr) < 0 ||
      attributes[NLMSGERR_ATTR_MSG] == nullptr) {
    return {};
  }
  const auto* text = static_cast<const char*>(nla_data(attributes[NLMSGERR_ATTR_MSG]));
  return std::string(
      text, strnlen(text, static_cast<std::size_t>(nla_len(attributes[NLMSGERR_ATTR_MSG]))));
}

// What the kernel answered to one request.
struct Answer {
  int error = 0;             // errno of its NLMSG_ERROR; 0 = acknowledged / dump complete
  std::string detail;        // its extended ack text, if any
  bool interrupted = false;  // NLM_F_DUMP_INTR: the dump raced with a change
  std::string describe() const {
    return detail.empty() ? system_error(error) : system_error(error) + " (" + detail + ")";
  }
};

// One blocking NETLINK_ROUTE socket for requests, answered in order.
class Requester {
 public:
  static Result<Requester> open() {
    SocketPtr socket(nl_socket_alloc());
    if (!socket) return failure(Errc::kIoError, "netlink: cannot allocate a socket");
    nl_socket_disable_auto_ack(socket.get());  // NLM_F_ACK is set per request
    if (const int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0) {
      return failure(Errc::kIoError, "netlink: connect NETLINK_ROUTE: " + libnl_error(rc));
    }
    const int fd = nl_socket_get_fd(socket.get());
    // Best effort: older kernels lack them and work without (the dump filter is applied here
    // too, and errors then carry no kernel text).
    const int on = 1;
    ::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    ::setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof on);
    const timeval timeout{std::chrono::seconds(kRequestTimeout).count(), 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return Requester(std::move(socket));
  }

  // Sends `message` and reads until its answer is complete (ACK, error or NLMSG_DONE), giving
  // each data message to `on_message`. Leftovers of an earlier request are skipped by their
  // sequence number. Errors here are local (the kernel's refusals are in the Answer).
  Result<Answer> transact(nl_msg* message, const std::function<void(nlmsghdr*)>& on_message) {
    Exchange exchange{&on_message};
    CallbacksPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) return failure(Errc::kIoError, "netlink: cannot allocate callbacks");
    nl_cb_set(cb.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, &Exchange::on_sequence, &exchange);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &Exchange::on_valid, &exchange);
    nl_cb_set(cb.get(), NL_CB_FINISH, NL_CB_CUSTOM, &Exchange::on_finish, &exchange);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, &Exchange::on_done, &exchange);
    nl_cb_set(cb.get(), NL_CB_DUMP_INTR, NL_CB_CUSTOM, &Exchange::on_interrupted, &exchange);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, &Exchange::on_error, &exchange);

    if (const int rc = nl_send_auto(socket_.get(), message); rc < 0) {
      return failure(Errc::kIoError, "netlink: send: " + libnl_error(rc));
    }
    exchange.sequence = nlmsg_hdr(message)->nlmsg_seq;
    const auto deadline = std::chrono::steady_clock::now() + kRequestTimeout;
    while (!exchange.done) {
      const int rc = nl_recvmsgs_report(socket_.get(), cb.get());
      if (exchange.done) break;
      if (rc < 0 && rc != -NLE_AGAIN) {
        return failure(Errc::kIoError, "netlink: receive: " + libnl_error(rc));
      }
      if (rc <= 0 || std::chrono::steady_clock::now() >= deadline) {
        return failure(Errc::kTimedOut, "netlink: no answer from the kernel");
      }
    }
    return exchange.answer;
  }

 private:
  struct Exchange {
    const std::function<void(nlmsghdr*)>* on_message;
    std::uint32_t sequence = 0;
    Answer answer;
    bool done = false;

    static int on_sequence(nl_msg* message, void* self) {
      return nlmsg_hdr(message)->nlmsg_seq == static_cast<Exchange*>(self)->sequence ? NL_OK
                                                                                     : NL_SKIP;
    }
    static int on_valid(nl_msg* message, void* self) {
      (*static_cast<Exchange*>(self)->on_message)(nlmsg_hdr(message));
      return NL_OK;
    }
    static int on_done(nl_msg*, void* self) {
      static_cast<Exchange*>(self)->done = true;
      return NL_STOP;
    }
    // A dump that fails part of the way says so in NLMSG_DONE's payload (a negative errno).
    static int on_finish(nl_msg* message, void* self) {
      const nlmsghdr* header = nlmsg_hdr(message);
      if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
        int error = 0;
        std::memcpy(&error, nlmsg_data(header), sizeof error);
        if (error < 0) static_cast<Exchange*>(self)->answer.error = -error;
      }
      return on_done(message, self);
    }
    static int on_interrupted(nl_msg*, void* self) {
      static_cast<Exchange*>(self)->answer.interrupted = true;
      return NL_OK;
    }
    static int on_error(sockaddr_nl*, nlmsgerr* error, void* self) {
      auto* exchange = static_cast<Exchange*>(self);
      exchange->answer.error = -error->error;
      exchange->answer.detail = extended_ack(error);
      exchange->done = true;
      return NL_STOP;
    }
  };

  explicit Requester(SocketPtr socket) : socket_(std::move(socket)) {}
  SocketPtr socket_;
};

using Event = std::variant<LinkEvent, AddressEvent>;

// The event socket and its wait on the executor. Shared with the pending wait's handler (which
// holds it weakly), so that destroying the Netlink never leaves the handler a dangling object.
class EventWatcher : public std::enable_shared_from_this<EventWatcher> {
 public:
  static Result<std::shared_ptr<EventWatcher>> open(asio::any_io_executor executor) {
    SocketPtr socket(nl_socket_alloc());
    if (!socket) return failure(Errc::kIoError, "netlink events: cannot allocate a socket");
    nl_socket_disable_auto_ack(socket.get());
    if (const int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0) {
      return failure(Errc::kIoError, "netlink events: connect: " + libnl_error(rc));
    }
    if (const int rc = nl_socket_add_memberships(socket.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                                 RTNLGRP_IPV6_IFADDR, 0);
        rc < 0) {
      return failure(Errc::kIoError, "netlink events: join groups: " + libnl_error(rc));
    }
    if (const int rc = nl_socket_set_nonblocking(socket.get()); rc < 0) {
      return failure(Errc::kIoError, "netlink events: non-blocking: " + libnl_error(rc));
    }
    nl_socket_set_buffer_size(socket.get(), kEventBufferBytes, 0);  // best effort
    CallbacksPtr cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) return failure(Errc::kIoError, "netlink events: cannot allocate callbacks");
    auto watcher =
        std::make_shared<EventWatcher>(std::move(executor), std::move(socket), std::move(cb));
    nl_cb_set(watcher->cb_.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, &EventWatcher::on_any, nullptr);
    nl_cb_set(watcher->cb_.get(), NL_CB_VALID, NL_CB_CUSTOM, &EventWatcher::on_message,
              watcher.get());
    return watcher;
  }

  EventWatcher(asio::any_io_executor executor, SocketPtr socket, CallbacksPtr cb)
      : socket_(std::move(socket)),
        cb_(std::move(cb)),
        descriptor_(std::move(executor), nl_socket_get_fd(socket_.get())) {}
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;
  ~EventWatcher() { close(); }

  void set_callbacks(Netlink::Callbacks callbacks) { callbacks_ = std::move(callbacks); }
  void start() { arm(); }

  // Stops for good: no callback runs after this, even from a batch being delivered.
  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    descriptor_.cancel(ignored);
    descriptor_.release();  // the fd belongs to the libnl socket, which closes it
    socket_.reset();
  }

 private:
  void arm() {
    descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [weak = weak_from_this()](const boost::system::error_code& ec) {
                             const auto self = weak.lock();
                             if (!self || self->closed_ || ec) return;
                             self->on_readable();
                           });
  }

  void on_readable() {
    bool drained = false;
    for (int i = 0; i < kReadsPerWakeup && !drained; ++i) {
      const int rc = nl_recvmsgs_report(socket_.get(), cb_.get());
      if (rc > 0) continue;
      if (rc == 0 || rc == -NLE_AGAIN) {
        drained = true;
      } else {
        // ENOBUFS (reported as -NLE_NOMEM): the kernel dropped events; the socket reads on.
        // Any other error also means events may be missing: the same answer, list again.
        lost_ = true;
        drained = rc != -NLE_NOMEM;
      }
    }
    std::vector<Event> batch;
    batch.swap(batch_);
    for (const auto& event : batch) {
      if (closed_) return;  // a callback destroyed the Netlink
      if (const auto* link = std::get_if<LinkEvent>(&event)) {
        if (auto callback = callbacks_.link) callback(*link);
      } else if (auto callback = callbacks_.address) {
        callback(std::get<AddressEvent>(event));
      }
    }
    if (closed_) return;
    // The resync waits until what was queued before it has been read: its listing is then
    // newer than every event delivered before it, and the buffer has room again.
    if (lost_ && drained) {
      lost_ = false;
      if (auto callback = callbacks_.resync) callback();
      if (closed_) return;
    }
    arm();
  }

  static int on_any(nl_msg*, void*) { return NL_OK; }  // multicast: no sequence to check

  static int on_message(nl_msg* message, void* self) {
    auto* watcher = static_cast<EventWatcher*>(self);
    nlmsghdr* header = nlmsg_hdr(message);
    switch (header->nlmsg_type) {
      case RTM_NEWLINK:
      case RTM_DELLINK:
        if (auto link = parse_link(header)) {
          watcher->batch_.emplace_back(
              LinkEvent{std::move(*link), header->nlmsg_type == RTM_DELLINK});
        }
        break;
      case RTM_NEWADDR:
      case RTM_DELADDR:
        if (auto address = parse_address(header)) {
          watcher->batch_.emplace_back(AddressEvent{*address, header->nlmsg_type == RTM_DELADDR});
        }
        break;
      default:
        break;
    }
    return NL_OK;
  }

  SocketPtr socket_;
  CallbacksPtr cb_;
  asio::posix::stream_descriptor descriptor_;
  Netlink::Callbacks callbacks_;
  std::vector<Event> batch_;  // parsed by on_message, delivered after each read burst
  bool lost_ = false;         // events were dropped; resync once the socket is drained
  bool closed_ = false;
};

class RtNetlink final : public Netlink {
 public:
  RtNetlink(asio::any_io_executor executor, Requester requester)
      : executor_(std::move(executor)), requester_(std::move(requester)) {}
  RtNetlink(const RtNetlink&) = delete;
  RtNetlink& operator=(const RtNetlink&) = delete;
  ~RtNetlink() override {
    if (events_) events_->close();
  }

  Result<std::vector<Link>> links() override {
    std::vector<Link> links;
    ifinfomsg request{};
    request.ifi_family = AF_UNSPEC;
    VIPD_TRY(dump(
        RTM_GETLINK, &request, sizeof request, true,
        [&](nlmsghdr* header) {
          if (auto link = parse_link(header)) links.push_back(std::move(*link));
        },
        [&] { links.clear(); }, "list links"));
    return links;
  }

  Result<std::vector<Address>> addresses() override {
    return dump_addresses(AF_UNSPEC, 0, "list addresses");
  }

  Result<void> add_vip(int link, const IpAddress& address) override {
    std::string what = "add " + host_prefix(address) + " on link " + std::to_string(link);
    VIPD_TRY(check_vip(link, address, what));
    VIPD_TRY(auto found, get_link(link, what));
    if (!found) return failure(Errc::kIoError, what + ": " + system_error(ENODEV));
    what = "add " + host_prefix(address) + " on " + found->name;
    VIPD_TRY(auto existing, find(link, address, what));
    if (existing) return already_there(*existing, what);

    MessagePtr message(
        nlmsg_alloc_simple(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
    VIPD_TRY(build_address(message.get(), link, address, address.bits(), found->name, what));
    VIPD_TRY(auto answer, requester_.transact(message.get(), ignore_data));
    if (answer.error == EEXIST) {  // added by someone else since we looked
      VIPD_TRY(auto now, find(link, address, what));
      if (now) return already_there(*now, what);
    }
    if (answer.error != 0) return failure(Errc::kIoError, what + ": " + answer.describe());
    return success();
  }

  Result<void> delete_vip(int link, const IpAddress& address) override {
    std::string what = "delete " + host_prefix(address) + " on link " + std::to_string(link);
    VIPD_TRY(check_vip(link, address, what));
    VIPD_TRY(auto found, get_link(link, what));
    if (!found) return success();  // the link is gone, and its addresses with it
    what = "delete " + host_prefix(address) + " on " + found->name;
    VIPD_TRY(auto existing, find(link, address, what));
    if (!existing) return success();
    if (!existing->vipd) return refuse_foreign(*existing, what);

    MessagePtr message(nlmsg_alloc_simple(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK));
    VIPD_TRY(build_address(message.get(), link, address, existing->prefix_length, {}, what));
    VIPD_TRY(auto answer, requester_.transact(message.get(), ignore_data));
    // Gone since we looked (deleted by someone else, or with its link): what was asked for.
    if (answer.error == EADDRNOTAVAIL || answer.error == ENODEV) return success();
    if (answer.error != 0) return failure(Errc::kIoError, what + ": " + answer.describe());
    return success();
  }

  Result<void> subscribe(Callbacks callbacks) override {
    if (!events_) {
      VIPD_TRY(auto watcher, EventWatcher::open(executor_));
      events_ = std::move(watcher);
      events_->set_callbacks(std::move(callbacks));
      events_->start();
    } else {
      events_->set_callbacks(std::move(callbacks));
    }
    return success();
  }

 private:
  static void ignore_data(nlmsghdr*) {}

  // Runs a dump, again while the kernel marks it interrupted (`restart` clears what the
  // interrupted attempt collected).
  Result<void> dump(int type, void* request, std::size_t size, bool skip_stats,
                    const std::function<void(nlmsghdr*)>& on_message,
                    const std::function<void()>& restart, const std::string& what) {
    for (int attempt = 0; attempt < kDumpAttempts; ++attempt) {
      restart();
      MessagePtr message(nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_DUMP));
      if (!message || nlmsg_append(message.get(), request, size, NLMSG_ALIGNTO) < 0 ||
          (skip_stats && nla_put_u32(message.get(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)) {
        return failure(Errc::kIoError, what + ": cannot build the request");
      }
      auto answer = requester_.transact(message.get(), on_message);
      if (!answer) return failure(answer.error().with_context(what));
      if (answer.value().error != 0) {
        return failure(Errc::kIoError, what + ": " + answer.value().describe());
      }
      if (!answer.value().interrupted) return success();
    }
    return failure(Errc::kIoError, what + ": interrupted by changes " +
                                       std::to_string(kDumpAttempts) + " times in a row");
  }

  // `link` 0: every link.
  Result<std::vector<Address>> dump_addresses(int family, int link, const std::string& what) {
    std::vector<Address> addresses;
    ifaddrmsg request{};
    request.ifa_family = static_cast<std::uint8_t>(family);
    request.ifa_index = static_cast<std::uint32_t>(link);  // filtered by the kernel (strict)
    VIPD_TRY(dump(
        RTM_GETADDR, &request, sizeof request, false,
        [&](nlmsghdr* header) {
          auto address = parse_address(header);
          if (address && (link == 0 || address->link == link)) addresses.push_back(*address);
        },
        [&] { addresses.clear(); }, what));
    return addresses;
  }

  // The link, or nullopt when there is no such link.
  Result<std::optional<Link>> get_link(int index, const std::string& what) {
    ifinfomsg request{};
    request.ifi_family = AF_UNSPEC;
    request.ifi_index = index;
    MessagePtr message(nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK));
    if (!message || nlmsg_append(message.get(), &request, sizeof request, NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(message.get(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0) {
      return failure(Errc::kIoError, what + ": cannot build the request");
    }
    std::optional<Link> link;
    auto answer = requester_.transact(message.get(), [&](nlmsghdr* header) {
      if (header->nlmsg_type == RTM_NEWLINK) link = parse_link(header);
    });
    if (!answer) return failure(answer.error().with_context(what));
    if (answer.value().error == ENODEV) return std::optional<Link>();
    if (answer.value().error != 0) {
      return failure(Errc::kIoError, what + ": " + answer.value().describe());
    }
    if (!link) return failure(Errc::kProtocolError, what + ": the kernel sent no usable link");
    return link;
  }

  // The copy of `address` on `link` (any prefix length), vipd's first.
  Result<std::optional<Address>> find(int link, const IpAddress& address, const std::string& what) {
    VIPD_TRY(auto all, dump_addresses(address.is_v4() ? AF_INET : AF_INET6, link, what));
    std::optional<Address> found;
    for (const auto& a : all) {
      if (a.address != address) continue;
      if (!found || (a.vipd && !found->vipd)) found = a;
    }
    return found;
  }

  static Result<void> already_there(const Address& existing, const std::string& what) {
    if (existing.vipd) return success();
    return failure(Errc::kAlreadyExists, what + ": " + existing.address.to_string() + "/" +
                                             std::to_string(existing.prefix_length) +
                                             " is already there and not vipd's; left alone");
  }

  static Result<void> refuse_foreign(const Address& existing, const std::string& what) {
    return failure(Errc::kAlreadyExists, what + ": " + existing.address.to_string() + "/" +
                                             std::to_string(existing.prefix_length) +
                                             " is not vipd's; left alone");
  }

  // The body of an RTM_NEWADDR (a VIP, with the flags and attributes described in the
  // header; `link_name` makes the IPv4 label) or of an RTM_DELADDR (address and prefix only).
  static Result<void> build_address(nl_msg* message, int link, const IpAddress& address,
                                    int prefix_length, const std::string& link_name,
                                    const std::string& what) {
    if (message == nullptr) return failure(Errc::kIoError, what + ": cannot allocate a message");
    const bool add = nlmsg_hdr(message)->nlmsg_type == RTM_NEWADDR;
    std::uint32_t flags = 0;
    if (add) flags = IFA_F_NOPREFIXROUTE | (address.is_v6() ? IFA_F_NODAD : 0u);
    ifaddrmsg header{};
    header.ifa_family = address.is_v4() ? AF_INET : AF_INET6;
    header.ifa_prefixlen = static_cast<std::uint8_t>(prefix_length);
    header.ifa_flags = static_cast<std::uint8_t>(flags & 0xff);
    header.ifa_scope = RT_SCOPE_UNIVERSE;
    header.ifa_index = static_cast<std::uint32_t>(link);
    const AddressBytes bytes = address.bytes();
    const int size = static_cast<int>(bytes.size);
    bool ok = nlmsg_append(message, &header, sizeof header, NLMSG_ALIGNTO) == 0 &&
              nla_put(message, IFA_LOCAL, size, bytes.data.data()) == 0 &&
              nla_put(message, IFA_ADDRESS, size, bytes.data.data()) == 0;
    if (add) {
      ok = ok && nla_put_u32(message, IFA_FLAGS, flags) == 0 &&
           nla_put_u8(message, IFA_PROTO, kVipdAddressProtocol) == 0;
      const std::string label = link_name + ":vip";
      if (address.is_v4() && label.size() <= IFNAMSIZ - 1) {
        ok = ok && nla_put_string(message, IFA_LABEL, label.c_str()) == 0;
      }
      if (address.is_v6()) {
        // Preferred 0: deprecated from the start, never a source address; valid forever.
        ifa_cacheinfo lifetimes{};
        lifetimes.ifa_prefered = 0;
        lifetimes.ifa_valid = kInfiniteLifetime;
        ok = ok && nla_put(message, IFA_CACHEINFO, sizeof lifetimes, &lifetimes) == 0;
      }
    }
    if (!ok) return failure(Errc::kIoError, what + ": cannot build the request");
    return success();
  }

  asio::any_io_executor executor_;
  Requester requester_;
  std::shared_ptr<EventWatcher> events_;
};

}  // namespace

Result<std::unique_ptr<Netlink>> open_rtnetlink(asio::any_io_executor executor) {
  VIPD_TRY(auto requester, Requester::open());
  return std::unique_ptr<Netlink>(
      std::make_unique<RtNetlink>(std::move(executor), std::move(requester)));
}

}  // namespace vipd::netlink
