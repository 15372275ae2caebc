// One BFD session (RFC 5880 asynchronous mode), and two of them wired back to back through
// the codec, driven on a fake notion of time.
#include "bfd/session.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <tuple>
#include <utility>

namespace vipd::bfd {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);
constexpr std::uint32_t kLocal = 0x0a0b0c0d;
constexpr std::uint32_t kRemote = 0x01020304;

SessionConfig config(std::uint32_t discriminator = kLocal, std::uint32_t seed = 7) {
  SessionConfig c;
  c.desired_min_tx = 300ms;
  c.required_min_rx = 300ms;
  c.detect_mult = 3;
  c.local_discriminator = discriminator;
  c.jitter_seed = seed;
  return c;
}

Session make(const SessionConfig& c = config(), TimePoint now = kT0) {
  auto s = Session::create(c, now);
  EXPECT_TRUE(s) << s.error().message();
  return std::move(s).value();
}

// A packet from the peer (discriminator kRemote) to a session with discriminator kLocal.
ControlPacket from_peer(State state, std::uint32_t your = kLocal) {
  ControlPacket p;
  p.state = state;
  p.detect_mult = 3;
  p.my_discriminator = kRemote;
  p.your_discriminator = your;
  p.desired_min_tx_us = 300000;
  p.required_min_rx_us = 300000;
  return p;
}

Output receive(Session& s, const ControlPacket& p, TimePoint now) {
  auto out = s.on_packet(p, now);
  EXPECT_TRUE(out) << out.error().message();
  return out ? std::move(out).value() : Output{};
}

// ---- configuration ----

TEST(BfdSessionConfig, RefusesWhatIsNotImplementedNamingTheSetting) {
  auto c = config();
  c.echo_mode = true;
  auto r = Session::create(c, kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kUnsupported);
  EXPECT_EQ(r.error().message(), "echo mode is not supported");
  c = config();
  c.demand_mode = true;
  r = Session::create(c, kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kUnsupported);
  EXPECT_EQ(r.error().message(), "demand mode is not supported");
}

TEST(BfdSessionConfig, RefusesOutOfRangeValues) {
  const auto refused = [](SessionConfig c, const std::string& words) {
    auto r = Session::create(c, kT0);
    ASSERT_FALSE(r) << words;
    EXPECT_NE(r.error().message().find(words), std::string::npos) << r.error().message();
  };
  auto c = config(0);
  refused(c, "local discriminator 0");
  c = config();
  c.detect_mult = 0;
  refused(c, "detect multiplier 0");
  c = config();
  c.desired_min_tx = 0us;
  refused(c, "desired min TX interval 0 µs");
  c = config();
  c.required_min_rx = 0us;
  refused(c, "required min RX interval 0 µs");
  c = config();
  c.required_min_rx = Interval(std::int64_t{1} << 32);
  refused(c, "required min RX interval 4294967296 µs");
}

TEST(BfdSessionConfig, ReconfigureKeepsTheDiscriminator) {
  Session s = make();
  auto r = s.reconfigure(config(kLocal + 1), kT0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("local discriminator"), std::string::npos);
  auto c = config();
  c.echo_mode = true;
  EXPECT_FALSE(s.reconfigure(c, kT0));
}

TEST(BfdSession, RefusesAPacketForAnotherDiscriminator) {
  Session s = make();
  auto r = s.on_packet(from_peer(State::kUp, kLocal + 1), kT0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("Your Discriminator"), std::string::npos);
  EXPECT_EQ(s.remote_discriminator(), 0u);  // nothing was learnt from it
}

// ---- RFC 5880 §6.8.6: every local state × received state ----

struct TableRow {
  State local;
  State received;
  State expected;
  std::optional<Diag> diag;  // set when the state changes
};

Session in_state(State state) {
  Session s = make();
  switch (state) {
    case State::kAdminDown:
      s.disable(Diag::kAdministrativelyDown, kT0);
      break;
    case State::kDown:
      break;
    case State::kInit:
      receive(s, from_peer(State::kDown, 0), kT0);
      break;
    case State::kUp:
      receive(s, from_peer(State::kInit), kT0);
      break;
  }
  EXPECT_EQ(s.state(), state);
  return s;
}

class ReceptionTable : public ::testing::TestWithParam<TableRow> {};

TEST_P(ReceptionTable, NewState) {
  const TableRow row = GetParam();
  Session s = in_state(row.local);
  const Diag diag_before = s.local_diag();
  const Output out = receive(s, from_peer(row.received), kT0 + 10ms);
  EXPECT_EQ(s.state(), row.expected);
  if (row.diag) {
    ASSERT_EQ(out.changes.size(), 1u);
    EXPECT_EQ(out.changes[0], (StateChange{row.local, row.expected, *row.diag}));
    EXPECT_EQ(s.local_diag(), *row.diag);
  } else {
    EXPECT_TRUE(out.changes.empty());
    EXPECT_EQ(s.local_diag(), diag_before);
  }
  // Whatever the state, the peer's variables are learnt (§6.8.6 updates them before the
  // AdminDown discard).
  EXPECT_EQ(s.remote_discriminator(), kRemote);
  EXPECT_EQ(s.remote_state(), row.received);
}

constexpr auto kAdminDown = State::kAdminDown;
constexpr auto kDown = State::kDown;
constexpr auto kInit = State::kInit;
constexpr auto kUp = State::kUp;
constexpr auto kSignaled = Diag::kNeighborSignaledSessionDown;

INSTANTIATE_TEST_SUITE_P(
    Rfc5880, ReceptionTable,
    ::testing::Values(
        // AdminDown: every packet is discarded.
        TableRow{kAdminDown, kAdminDown, kAdminDown, {}},
        TableRow{kAdminDown, kDown, kAdminDown, {}}, TableRow{kAdminDown, kInit, kAdminDown, {}},
        TableRow{kAdminDown, kUp, kAdminDown, {}},
        // Down: Down → Init, Init → Up; AdminDown and Up change nothing.
        TableRow{kDown, kAdminDown, kDown, {}}, TableRow{kDown, kDown, kInit, Diag::kNone},
        TableRow{kDown, kInit, kUp, Diag::kNone}, TableRow{kDown, kUp, kDown, {}},
        // Init: AdminDown → Down (3); Init or Up → Up; Down changes nothing.
        TableRow{kInit, kAdminDown, kDown, kSignaled}, TableRow{kInit, kDown, kInit, {}},
        TableRow{kInit, kInit, kUp, Diag::kNone}, TableRow{kInit, kUp, kUp, Diag::kNone},
        // Up: AdminDown or Down → Down (3); Init and Up change nothing.
        TableRow{kUp, kAdminDown, kDown, kSignaled}, TableRow{kUp, kDown, kDown, kSignaled},
        TableRow{kUp, kInit, kUp, {}}, TableRow{kUp, kUp, kUp, {}}),
    [](const ::testing::TestParamInfo<TableRow>& test) {
      return std::string(to_string(test.param.local)) + "_receives_" +
             std::string(to_string(test.param.received));
    });

// ---- two sessions back to back ----

// Packets cross the wire as bytes (encode, decode) and arrive 1 ms after they were sent;
// `drop` loses the packets it picks.
class Pair {
 public:
  static constexpr auto kLatency = 1ms;

  explicit Pair(SessionConfig a_config = config(1, 11), SessionConfig b_config = config(2, 22))
      : a_(make(a_config)), b_(make(b_config)) {}

  Session& a() { return a_; }
  Session& b() { return b_; }
  TimePoint now() const { return now_; }
  std::function<bool(bool from_a, const ControlPacket&)> drop = [](bool, const ControlPacket&) {
    return false;
  };
  std::vector<StateChange> a_changes, b_changes;
  std::vector<std::pair<TimePoint, ControlPacket>> a_sent, b_sent;
  std::optional<TimePoint> a_last_rx;

  // Takes a call's output (from A when `from_a`): records it and puts its packets on the wire.
  void handle(Output out, bool from_a) {
    auto& changes = from_a ? a_changes : b_changes;
    changes.insert(changes.end(), out.changes.begin(), out.changes.end());
    for (const ControlPacket& p : out.send) {
      (from_a ? a_sent : b_sent).emplace_back(now_, p);
      if (drop(from_a, p)) continue;
      const auto bytes = encode(p);
      in_flight_.emplace(now_ + kLatency,
                         std::pair{from_a, std::vector(bytes.begin(), bytes.end())});
    }
  }

  // Delivers packets and wakes each session at its own deadlines, up to and including `end`.
  void run_until(TimePoint end) {
    for (int guard = 0; guard < 100000; ++guard) {
      std::optional<TimePoint> next = a_.wake_at();
      for (const auto w : {b_.wake_at(), arrival()}) {
        if (w && (!next || *w < *next)) next = w;
      }
      if (!next || *next > end) break;
      now_ = std::max(now_, *next);
      while (arrival() && *arrival() <= now_) {
        auto [from_a, bytes] = in_flight_.begin()->second;
        in_flight_.erase(in_flight_.begin());
        auto decoded = decode(bytes);
        ASSERT_TRUE(decoded) << decoded.error().message();
        if (!from_a) a_last_rx = now_;
        auto reply = (from_a ? b_ : a_).on_packet(decoded.value(), now_);
        ASSERT_TRUE(reply) << reply.error().message();
        handle(std::move(reply).value(), !from_a);
      }
      if (const auto w = a_.wake_at(); w && *w <= now_) handle(a_.on_time(now_), true);
      if (const auto w = b_.wake_at(); w && *w <= now_) handle(b_.on_time(now_), false);
    }
    now_ = std::max(now_, end);
  }
  void run_for(Clock::duration d) { run_until(now_ + d); }

 private:
  std::optional<TimePoint> arrival() const {
    if (in_flight_.empty()) return std::nullopt;
    return in_flight_.begin()->first;
  }

  Session a_;
  Session b_;
  TimePoint now_ = kT0;
  std::multimap<TimePoint, std::pair<bool, std::vector<std::uint8_t>>> in_flight_;
};

std::vector<State> path(const std::vector<StateChange>& changes) {
  std::vector<State> states;
  if (!changes.empty()) states.push_back(changes.front().from);
  for (const auto& c : changes) states.push_back(c.to);
  return states;
}

TEST(BfdSessionPair, ThreeWayHandshakeComesUp) {
  Pair pair;
  pair.run_for(5s);
  EXPECT_EQ(pair.a().state(), State::kUp);
  EXPECT_EQ(pair.b().state(), State::kUp);
  // Both sent Down at once, so both passed through Init.
  EXPECT_EQ(path(pair.a_changes), (std::vector<State>{kDown, kInit, kUp}));
  EXPECT_EQ(path(pair.b_changes), (std::vector<State>{kDown, kInit, kUp}));
  EXPECT_EQ(pair.a().remote_discriminator(), 2u);
  EXPECT_EQ(pair.b().remote_discriminator(), 1u);
  // Up with Diag 0; the first packets knew no Your Discriminator.
  EXPECT_EQ(pair.a_changes.back().diag, Diag::kNone);
  EXPECT_EQ(pair.a_sent.front().second.your_discriminator, 0u);
  EXPECT_EQ(pair.a_sent.front().second.state, State::kDown);
  EXPECT_EQ(pair.a_sent.front().first, kT0);
}

TEST(BfdSessionPair, PassiveSideWaitsForThePeer) {
  auto passive = config(2, 22);
  passive.passive = true;
  Pair pair(config(1, 11), passive);
  pair.drop = [](bool from_a, const ControlPacket&) { return from_a; };
  pair.run_for(10s);
  EXPECT_TRUE(pair.b_sent.empty()) << "the passive side sent first";
  EXPECT_FALSE(pair.b().wake_at());
  EXPECT_FALSE(pair.a_sent.empty());
  pair.drop = [](bool, const ControlPacket&) { return false; };
  pair.run_for(5s);
  ASSERT_FALSE(pair.b_sent.empty());
  // B's first packet answers A's: it already names A.
  EXPECT_EQ(pair.b_sent.front().second.your_discriminator, 1u);
  EXPECT_EQ(pair.b_sent.front().second.state, State::kInit);
  EXPECT_EQ(path(pair.b_changes), (std::vector<State>{kDown, kInit, kUp}));
  EXPECT_EQ(path(pair.a_changes), (std::vector<State>{kDown, kUp}));
}

std::vector<Clock::duration> gaps(const std::vector<std::pair<TimePoint, ControlPacket>>& sent,
                                  TimePoint from, bool periodic_only = true) {
  std::vector<Clock::duration> out;
  std::optional<TimePoint> last;
  for (const auto& [at, p] : sent) {
    if (at < from || (periodic_only && p.final)) continue;
    if (last) out.push_back(at - *last);
    last = at;
  }
  return out;
}

TEST(BfdSession, SendsSlowlyUntilUp) {
  // RFC 5880 §6.8.3: at least 1 s while not Up, whatever is configured; jittered to 75-100%.
  Pair pair;
  pair.drop = [](bool, const ControlPacket&) { return true; };
  pair.run_for(30s);
  const auto g = gaps(pair.a_sent, kT0);
  ASSERT_GE(g.size(), 25u);
  bool varied = false;
  for (const auto d : g) {
    EXPECT_GE(d, 750ms);
    EXPECT_LE(d, 1s);
    varied = varied || d != g.front();
  }
  EXPECT_TRUE(varied) << "no jitter";
  for (const auto& [at, p] : pair.a_sent) EXPECT_EQ(p.desired_min_tx_us, 1000000u);
  EXPECT_EQ(pair.a().desired_min_tx(), 1s);
}

TEST(BfdSession, KeepsAConfiguredIntervalAboveOneSecondWhileNotUp) {
  auto c = config();
  c.desired_min_tx = 2500ms;
  Session s = make(c);
  EXPECT_EQ(s.desired_min_tx(), 2500ms);
  EXPECT_EQ(s.on_time(kT0).send.at(0).desired_min_tx_us, 2500000u);
}

TEST(BfdSession, JitterIsAtMostNinetyPercentWithDetectMultOne) {
  auto c = config();
  c.detect_mult = 1;
  Session s = make(c);
  std::vector<TimePoint> sent;
  for (int i = 0; i < 50; ++i) {
    const TimePoint at = *s.next_transmit();
    ASSERT_EQ(s.on_time(at).send.size(), 1u);
    sent.push_back(at);
  }
  for (std::size_t i = 1; i < sent.size(); ++i) {
    EXPECT_GE(sent[i] - sent[i - 1], 750ms);
    EXPECT_LE(sent[i] - sent[i - 1], 900ms);
  }
}

TEST(BfdSessionPair, SendsFastOnceUpAfterAPoll) {
  Pair pair;
  pair.run_for(5s);
  ASSERT_EQ(pair.a().state(), State::kUp);
  const TimePoint up_at = pair.now();
  // Coming Up lowered bfd.DesiredMinTxInterval: a Poll announced it and was answered.
  bool polled = false;
  for (const auto& [at, p] : pair.a_sent) polled = polled || (p.poll && p.state == State::kUp);
  bool answered = false;
  for (const auto& [at, p] : pair.b_sent) answered = answered || p.final;
  EXPECT_TRUE(polled);
  EXPECT_TRUE(answered);
  EXPECT_FALSE(pair.a().poll_in_progress());
  EXPECT_EQ(pair.a().transmit_interval(), 300ms);
  EXPECT_EQ(pair.a().detection_time(), 900ms);
  pair.run_for(10s);
  const auto g = gaps(pair.a_sent, up_at);
  ASSERT_GE(g.size(), 30u);
  for (const auto d : g) {
    EXPECT_GE(d, 225ms);
    EXPECT_LE(d, 300ms);
  }
  EXPECT_EQ(pair.a_sent.back().second.desired_min_tx_us, 300000u);
  EXPECT_EQ(pair.a().state(), State::kUp);
  EXPECT_EQ(pair.b().state(), State::kUp);
}

TEST(BfdSessionPair, DetectionTimeoutAtExactlyDetectMultTimesTheInterval) {
  Pair pair;
  pair.run_for(5s);
  ASSERT_EQ(pair.a().state(), State::kUp);
  pair.drop = [](bool from_a, const ControlPacket&) { return !from_a; };  // B's are lost
  pair.run_for(Pair::kLatency);  // the last one already sent arrives
  const TimePoint last = *pair.a_last_rx;
  const TimePoint deadline = last + 3 * 300ms;
  ASSERT_EQ(pair.a().detection_deadline(), deadline);
  pair.run_until(deadline - 1ns);
  EXPECT_TRUE(pair.a().on_time(deadline - 1ns).changes.empty());
  EXPECT_EQ(pair.a().state(), State::kUp) << "detected one tick early";
  EXPECT_EQ(pair.a().wake_at(), std::min(deadline, *pair.a().next_transmit()));
  const Output out = pair.a().on_time(deadline);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0],
            (StateChange{State::kUp, State::kDown, Diag::kControlDetectionTimeExpired}));
  EXPECT_EQ(pair.a().remote_discriminator(), 0u);  // RFC 5880 §6.8.1
  // Down again: the slow rate.
  EXPECT_EQ(pair.a().desired_min_tx(), 1s);
  // A tells B, and B goes Down with "Neighbor Signaled Session Down".
  pair.handle(out, true);
  pair.run_for(2s);
  const StateChange signaled{State::kUp, State::kDown, Diag::kNeighborSignaledSessionDown};
  EXPECT_NE(std::find(pair.b_changes.begin(), pair.b_changes.end(), signaled),
            pair.b_changes.end());
}

TEST(BfdSessionPair, DetectionTimeUsesTheSlowerOfTheTwoSides) {
  auto slow = config(2, 22);
  slow.desired_min_tx = 700ms;
  slow.detect_mult = 5;
  Pair pair(config(1, 11), slow);
  pair.run_for(10s);
  ASSERT_EQ(pair.a().state(), State::kUp);
  // RFC 5880 §6.8.4: B's Detect Mult × max(A's required min RX, B's desired min TX).
  EXPECT_EQ(pair.a().detection_time(), 5 * 700ms);
  // RFC 5880 §6.8.7: max(A's desired min TX, B's required min RX).
  EXPECT_EQ(pair.a().transmit_interval(), 300ms);
  EXPECT_EQ(pair.b().transmit_interval(), 700ms);
  EXPECT_EQ(pair.b().detection_time(), 3 * 300ms);
}

TEST(BfdSessionPair, PollSequenceChangesTheIntervalsInTheRfcOrder) {
  // B could send every 50 ms, so A's required min RX sets A's Detection Time.
  auto fast = config(2, 22);
  fast.desired_min_tx = 50ms;
  Pair pair(config(1, 11), fast);
  pair.run_for(5s);
  ASSERT_EQ(pair.a().state(), State::kUp);
  ASSERT_FALSE(pair.a().poll_in_progress());
  ASSERT_EQ(pair.a().detection_time(), 3 * 300ms);
  ASSERT_EQ(pair.b().transmit_interval(), 300ms);
  // Lose B's Finals for a while (its periodic packets keep the session Up).
  pair.drop = [](bool from_a, const ControlPacket& p) { return !from_a && p.final; };

  // Slower TX and faster RX: neither takes effect before the Final.
  auto c = config(1, 11);
  c.desired_min_tx = 600ms;
  c.required_min_rx = 100ms;
  auto out = pair.a().reconfigure(c, pair.now());
  ASSERT_TRUE(out);
  EXPECT_TRUE(pair.a().poll_in_progress());
  EXPECT_EQ(pair.a().desired_min_tx(), 600ms);
  EXPECT_EQ(pair.a().transmit_interval(), 300ms);  // not yet 600
  EXPECT_EQ(pair.a().detection_time(), 900ms);     // not yet 3 × max(100, 50)
  pair.run_for(2s);
  EXPECT_TRUE(pair.a().poll_in_progress());
  EXPECT_EQ(pair.a().transmit_interval(), 300ms);
  EXPECT_EQ(pair.a().detection_time(), 900ms);
  // B honoured the new required min RX at once (RFC 5880 §6.8.3).
  EXPECT_EQ(pair.b().transmit_interval(), 100ms);
  // Every periodic packet of the sequence carries P and the new values, never F.
  const auto& [at, last] = pair.a_sent.back();
  EXPECT_TRUE(last.poll);
  EXPECT_FALSE(last.final);
  EXPECT_EQ(last.desired_min_tx_us, 600000u);
  EXPECT_EQ(last.required_min_rx_us, 100000u);
  // B answered every Poll at once with F (and no P), outside its own schedule.
  std::size_t finals = 0;
  for (const auto& [t, p] : pair.b_sent) {
    if (!p.final) continue;
    ++finals;
    EXPECT_FALSE(p.poll);
    EXPECT_TRUE(std::any_of(pair.a_sent.begin(), pair.a_sent.end(), [&](const auto& s) {
      return s.first + Pair::kLatency == t && s.second.poll;
    }));
  }
  EXPECT_GE(finals, 3u);

  pair.drop = [](bool, const ControlPacket&) { return false; };
  pair.run_for(1s);
  EXPECT_FALSE(pair.a().poll_in_progress());
  EXPECT_EQ(pair.a().transmit_interval(), 600ms);
  EXPECT_EQ(pair.a().detection_time(), 3 * 100ms);
  EXPECT_EQ(pair.b().detection_time(), 3 * 600ms);
  const TimePoint after = pair.now();
  pair.run_for(5s);
  for (const auto d : gaps(pair.a_sent, after)) {
    EXPECT_GE(d, 450ms);
    EXPECT_LE(d, 600ms);
  }
  EXPECT_FALSE(pair.a_sent.back().second.poll);
  EXPECT_EQ(pair.a().state(), State::kUp);
  EXPECT_EQ(pair.b().state(), State::kUp);
}

TEST(BfdSession, FasterTxAndSlowerRxApplyAtOnce) {
  Session s = in_state(State::kUp);
  // The peer's Up packet said 300 ms both ways; A's own are 300 ms.
  auto c = config();
  c.desired_min_tx = 100ms;  // but the peer wants no faster than 300 ms
  c.required_min_rx = 500ms;
  ASSERT_TRUE(s.reconfigure(c, kT0 + 1ms));
  EXPECT_TRUE(s.poll_in_progress());
  EXPECT_EQ(s.detection_time(), 3 * 500ms);
  ControlPacket p = from_peer(State::kUp);
  p.required_min_rx_us = 50000;
  receive(s, p, kT0 + 2ms);
  EXPECT_EQ(s.transmit_interval(), 100ms);  // honoured at once (RFC 5880 §6.8.3)
}

TEST(BfdSession, APacketReadAfterTheDetectionTimeComesAfterTheTimeout) {
  // Up at kT0 (detection 900 ms); the process sleeps and reads the peer's queued Up packet at
  // kT0 + 2 s, before its own timer ran: Down with diag 1 first, and an Up from the peer does
  // not bring a Down session back (§6.8.6).
  Session s = in_state(State::kUp);
  const Output out = receive(s, from_peer(State::kUp), kT0 + 2s);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0].from, State::kUp);
  EXPECT_EQ(out.changes[0].to, State::kDown);
  EXPECT_EQ(out.changes[0].diag, Diag::kControlDetectionTimeExpired);
  EXPECT_EQ(s.state(), State::kDown);
  // One in time changes nothing of the kind.
  Session t = in_state(State::kUp);
  EXPECT_TRUE(receive(t, from_peer(State::kUp), kT0 + 800ms).changes.empty());
  EXPECT_EQ(t.state(), State::kUp);
}

TEST(BfdSession, AnswersAPollWithAFinalAtOnce) {
  Session s = in_state(State::kUp);
  const TimePoint now = kT0 + 5ms;  // long before its next periodic packet
  ControlPacket p = from_peer(State::kUp);
  p.poll = true;
  const Output out = receive(s, p, now);
  ASSERT_EQ(out.send.size(), 1u);
  EXPECT_TRUE(out.send[0].final);
  EXPECT_FALSE(out.send[0].poll);
  EXPECT_EQ(out.send[0].state, State::kUp);
  EXPECT_EQ(out.send[0].your_discriminator, kRemote);
}

TEST(BfdSession, RemoteRequiredMinRxZeroStopsPeriodicTransmission) {
  Session s = in_state(State::kUp);
  ControlPacket quiet = from_peer(State::kUp);
  quiet.required_min_rx_us = 0;
  TimePoint now = kT0 + 10ms;
  receive(s, quiet, now);
  EXPECT_FALSE(s.next_transmit());
  EXPECT_EQ(s.transmit_interval(), Interval::zero());
  // The peer keeps sending (so the session stays Up) and expects nothing back...
  for (int i = 0; i < 20; ++i) {
    now += 250ms;
    EXPECT_TRUE(s.on_time(now).send.empty());
    receive(s, quiet, now);
  }
  EXPECT_EQ(s.state(), State::kUp);
  // ...except a Final for its Poll.
  quiet.poll = true;
  EXPECT_EQ(receive(s, quiet, now).send.size(), 1u);
  // Asking for packets again resumes transmission.
  receive(s, from_peer(State::kUp), now);
  ASSERT_TRUE(s.next_transmit());
  EXPECT_EQ(s.on_time(*s.next_transmit()).send.size(), 1u);
}

TEST(BfdSession, StopsPeriodicPacketsWhileThePeerRunsDemandMode) {
  // RFC 5880 §6.8.7: both Up, the peer in Demand mode, no Poll being sent: no periodic packets.
  Session s = in_state(State::kUp);
  ControlPacket final_answer = from_peer(State::kUp);
  final_answer.final = true;
  receive(s, final_answer, kT0 + 1ms);  // ends the Poll of coming Up
  ASSERT_FALSE(s.poll_in_progress());
  ASSERT_TRUE(s.next_transmit());
  ControlPacket demand = from_peer(State::kUp);
  demand.demand = true;
  receive(s, demand, kT0 + 2ms);
  EXPECT_FALSE(s.next_transmit());
  // A Poll Sequence is still transmitted.
  auto c = config();
  c.desired_min_tx = 200ms;
  ASSERT_TRUE(s.reconfigure(c, kT0 + 3ms));
  ASSERT_TRUE(s.next_transmit());
  const Output polled = s.on_time(*s.next_transmit());
  ASSERT_EQ(polled.send.size(), 1u);
  EXPECT_TRUE(polled.send[0].poll);
  demand.final = true;
  receive(s, demand, kT0 + 500ms);  // within the Detection Time of the Poll
  EXPECT_FALSE(s.poll_in_progress());
  EXPECT_FALSE(s.next_transmit());
  // The peer leaves Demand mode: periodic packets resume.
  receive(s, from_peer(State::kUp), kT0 + 900ms);
  EXPECT_EQ(s.state(), State::kUp);
  EXPECT_TRUE(s.next_transmit());
}

TEST(BfdSessionPair, AdminDownAndBack) {
  Pair pair;
  pair.run_for(5s);
  ASSERT_EQ(pair.a().state(), State::kUp);
  pair.handle(pair.a().disable(Diag::kAdministrativelyDown, pair.now()), true);
  EXPECT_EQ(pair.a().state(), State::kAdminDown);
  EXPECT_EQ(pair.a_changes.back(),
            (StateChange{State::kUp, State::kAdminDown, Diag::kAdministrativelyDown}));
  const std::size_t before = pair.a_sent.size();
  pair.run_for(10s);
  // A told B for one Detection Time (Detect Mult packets), then fell silent; B went Down.
  std::size_t admin_down = 0;
  for (std::size_t i = before; i < pair.a_sent.size(); ++i) {
    const ControlPacket& p = pair.a_sent[i].second;
    EXPECT_EQ(p.state, State::kAdminDown);
    EXPECT_EQ(p.diag, Diag::kAdministrativelyDown);
    ++admin_down;
  }
  EXPECT_EQ(admin_down, 3u);
  EXPECT_EQ(pair.b().state(), State::kDown);
  EXPECT_EQ(pair.b_changes.back(),
            (StateChange{State::kUp, State::kDown, Diag::kNeighborSignaledSessionDown}));
  EXPECT_EQ(pair.a().state(), State::kAdminDown);  // B's Down packets changed nothing
  EXPECT_FALSE(pair.a().next_transmit());

  pair.handle(pair.a().enable(pair.now()), true);
  EXPECT_EQ(pair.a_changes.back(), (StateChange{State::kAdminDown, State::kDown, Diag::kNone}));
  pair.run_for(5s);
  EXPECT_EQ(pair.a().state(), State::kUp);
  EXPECT_EQ(pair.b().state(), State::kUp);
}

TEST(BfdSession, SameSeedSameSchedule) {
  Session one = make(config(kLocal, 5));
  Session two = make(config(kLocal, 5));
  Session other = make(config(kLocal, 6));
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const TimePoint at = *one.next_transmit();
    EXPECT_EQ(two.next_transmit(), at);
    differs = differs || other.next_transmit() != at;
    one.on_time(at);
    two.on_time(at);
    other.on_time(*other.next_transmit());
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace vipd::bfd
