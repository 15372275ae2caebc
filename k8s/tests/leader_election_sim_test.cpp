// The Lease elector in a simulated cluster: several electors against one in-memory Lease store
// with resourceVersions and 409s, each elector with its own clock (offset up to an hour, rate
// off by up to 0.5 %), random latencies, failures, lost and late requests, frozen processes,
// crashes and clean stops. Checked at every step, in true (simulated global) time: never two
// electors for which leading(own local time) holds at once; and in calm periods (no new faults)
// someone leads. Then the same simulation with one rule broken must find an overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "k8s/leader_election.hpp"

namespace vipd::k8s {
namespace {

using namespace std::chrono_literals;
namespace ev = election_event;
namespace act = election_action;
using TrueTime = std::chrono::nanoseconds;  // simulated global time since the start

// What a node is shown when it reads the Lease; lets a test break a rule from the outside.
struct ReadContext {
  const LeaderElectionConfig& config;
  MicroTime wall_now;
};
using Tamper = std::function<void(const ReadContext&, StoredLease&)>;

struct SimOptions {
  int nodes = 2;
  TrueTime run = 10min;
  LeaderElectionConfig timing;  // identity and seed are set per node
  double max_rate_skew = 0.005;
  std::vector<double> rates;  // when set: node i's clock rate, instead of a random one
  TrueTime max_offset = 1h;
  TrueTime request_timeout = 5s;
  double latency_scale = 1.0;  // latencies: mostly under 1 s, 20 % 1-3 s, in chaos 5 % 3-8 s
  double failure = 0.15;       // per request in chaos: half 5xx (not applied), half lost or late
  bool faults = true;          // pauses, crashes, clean stops
  TrueTime max_pause = 20s;
  // Chaos then calm, repeated: faults start only in chaos and end before the calm begins.
  TrueTime chaos = 90s;
  TrueTime calm = 60s;
  TrueTime calm_settle = 30s;  // someone must lead from calm start + this to calm end
  Tamper tamper;
};

struct SimStats {
  std::uint64_t renewals = 0;           // renewals applied by the store
  std::uint64_t creates = 0;            // the Lease created
  std::uint64_t takeovers = 0;          // acquired from another (expired) holder
  std::uint64_t after_release = 0;      // acquired after a clean release
  std::uint64_t releases = 0;           // clean releases applied
  std::uint64_t conflicts = 0;          // 409s answered
  std::uint64_t overlaps = 0;           // steps with two electors leading
  std::uint64_t callback_overlaps = 0;  // samples where two electors' callbacks said leading
  std::uint64_t calm_failures = 0;      // calm samples without exactly one leader
  std::uint64_t pauses = 0, crashes = 0, stops = 0;
  TrueTime worst_gap{0};          // longest time without a leader (after the first one)
  TrueTime worst_calm_settle{0};  // calm start → a leader for the rest of the calm
  TrueTime worst_handover{0};     // release applied → next holder applied
  std::string first_problem;

  void add(const SimStats& o) {
    renewals += o.renewals;
    creates += o.creates;
    takeovers += o.takeovers;
    after_release += o.after_release;
    releases += o.releases;
    conflicts += o.conflicts;
    overlaps += o.overlaps;
    callback_overlaps += o.callback_overlaps;
    calm_failures += o.calm_failures;
    pauses += o.pauses;
    crashes += o.crashes;
    stops += o.stops;
    worst_gap = std::max(worst_gap, o.worst_gap);
    worst_calm_settle = std::max(worst_calm_settle, o.worst_calm_settle);
    worst_handover = std::max(worst_handover, o.worst_handover);
    if (first_problem.empty()) first_problem = o.first_problem;
  }
};

double seconds_of(TrueTime t) { return std::chrono::duration<double>(t).count(); }

class Simulation {
 public:
  Simulation(SimOptions options, std::uint64_t seed) : options_(std::move(options)), rng_(seed) {
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    const auto offset = [&] {
      return TrueTime(static_cast<std::int64_t>(unit(rng_) * options_.max_offset.count()));
    };
    for (int i = 0; i < options_.nodes; ++i) {
      Node n;
      n.name = "node-" + std::to_string(i);
      n.identity = n.name;
      n.rate = 1.0 + unit(rng_) * options_.max_rate_skew;
      if (static_cast<std::size_t>(i) < options_.rates.size()) n.rate = options_.rates[i];
      n.mono_offset = offset();
      n.wall_offset = offset();
      nodes_.push_back(std::move(n));
    }
  }

  SimStats run() {
    for (int i = 0; i < options_.nodes; ++i) {
      at(uniform(0s, 1s), [this, i] { start(i); });
      if (options_.faults) at(uniform(1s, 30s), [this, i] { fault(i); });
    }
    for (TrueTime t = 0s; t < options_.run; t += 100ms) at(t, [this] { sample(); });
    for (std::uint64_t steps = 0; !queue_.empty() && queue_.top().when < options_.run; ++steps) {
      if (steps > 20'000'000) {  // a bound, so that an elector that spins fails instead of hangs
        ADD_FAILURE() << "the simulation does not advance at t=" << seconds_of(now_) << " s";
        break;
      }
      auto item = queue_.top();
      queue_.pop();
      now_ = item.when;
      item.fn();
    }
    return stats_;
  }

 private:
  struct Node {
    std::string name;
    std::string identity;  // the name, or after some restarts the name and a new suffix
    int restarts = 0;
    double rate = 1.0;  // local seconds per true second
    TrueTime mono_offset{0};
    TrueTime wall_offset{0};
    std::optional<LeaderElector> elector;  // nullopt: not running
    int incarnation = 0;
    std::uint64_t tick_generation = 0;
    TrueTime paused_until{0};
    bool callbacks_say_leading = false;
    bool stopping = false;
  };
  struct Item {
    TrueTime when;
    std::uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Item& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };

  static constexpr Clock::time_point kBase = Clock::time_point{} + std::chrono::hours(100);

  Clock::time_point local(const Node& n, TrueTime t) const {
    const auto elapsed = static_cast<std::int64_t>(std::floor(t.count() * n.rate));
    return kBase + n.mono_offset + std::chrono::nanoseconds(elapsed);
  }
  MicroTime wall(const Node& n, TrueTime t) const {
    const auto elapsed = std::chrono::nanoseconds(static_cast<std::int64_t>(t.count() * n.rate));
    const MicroTime start = std::chrono::sys_days{std::chrono::year{2026} / 3 / 2};
    return start + std::chrono::duration_cast<std::chrono::microseconds>(n.wall_offset + elapsed);
  }
  // The first true time at which node `n`'s clock shows `when` (never before now).
  TrueTime true_time(const Node& n, Clock::time_point when) const {
    const double since = static_cast<double>((when - kBase - n.mono_offset).count());
    auto t = TrueTime(static_cast<std::int64_t>(std::ceil(since / n.rate)));
    while (local(n, t) < when) t += 1ns;
    return std::max(t, now_);
  }

  TrueTime uniform(TrueTime lo, TrueTime hi) {
    return TrueTime(std::uniform_int_distribution<std::int64_t>(lo.count(), hi.count())(rng_));
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  TrueTime period() const { return options_.chaos + options_.calm; }
  bool in_chaos(TrueTime t) const { return t % period() < options_.chaos; }
  TrueTime chaos_end(TrueTime t) const { return t - t % period() + options_.chaos; }

  void at(TrueTime when, std::function<void()> fn) {
    queue_.push(Item{std::max(when, now_), seq_++, std::move(fn)});
  }

  // ---- nodes ----
  void start(int i) {
    Node& n = nodes_[i];
    // Half the restarts keep the identity (a StatefulSet pod; it finds the Lease already its
    // own), half come back as someone new (a Deployment pod).
    if (n.restarts++ > 0 && chance(0.5)) n.identity = n.name + "-" + std::to_string(n.restarts);
    auto timing = options_.timing;
    timing.identity = n.identity;
    timing.jitter_seed = rng_();
    auto elector = LeaderElector::create(timing);
    ASSERT_TRUE(elector) << elector.error().message();
    n.elector.emplace(std::move(elector).value());
    n.stopping = false;
    ++n.incarnation;
    handle(i, ev::Tick{});
  }

  // Delivers `event` to incarnation `incarnation` of node `i`, after any pause; a node that died
  // since never sees it.
  void deliver(int i, int incarnation, ElectionEvent event) {
    Node& n = nodes_[i];
    if (n.incarnation != incarnation || !n.elector) return;
    if (now_ < n.paused_until) {
      at(n.paused_until, [this, i, incarnation, event] { deliver(i, incarnation, event); });
      return;
    }
    handle(i, event);
  }

  void handle(int i, const ElectionEvent& event) {
    Node& n = nodes_[i];
    const auto actions = n.elector->handle(event, Now{local(n, now_), wall(n, now_)});
    for (const auto& action : actions) perform(i, action);
    check_safety();
  }

  void perform(int i, const ElectionAction& action) {
    Node& n = nodes_[i];
    if (std::holds_alternative<act::StartedLeading>(action)) {
      n.callbacks_say_leading = true;
    } else if (std::holds_alternative<act::StoppedLeading>(action)) {
      n.callbacks_say_leading = false;
    } else if (const auto* tick = std::get_if<act::ScheduleTick>(&action)) {
      const auto generation = ++n.tick_generation;
      const int incarnation = n.incarnation;
      at(true_time(n, tick->at), [this, i, incarnation, generation] {
        if (nodes_[i].tick_generation == generation) deliver(i, incarnation, ev::Tick{});
      });
    } else if (std::holds_alternative<act::Finished>(action)) {
      n.elector.reset();
      ++n.incarnation;
      const auto restart = std::min(now_ + uniform(500ms, 20s), std::max(now_, chaos_end(now_)));
      at(restart, [this, i] { start(i); });
    } else {
      send(i, action);
    }
  }

  // ---- the API server and the network ----
  void send(int i, const ElectionAction& request) {
    const int incarnation = nodes_[i].incarnation;
    const bool is_read = std::holds_alternative<act::ReadLease>(request);
    const auto failed = [is_read](std::string why) -> ElectionEvent {
      if (is_read) return ev::ReadFailed{std::move(why)};
      return ev::WriteFailed{std::move(why)};
    };
    const bool chaotic = in_chaos(now_);
    if (chaotic && chance(options_.failure)) {
      if (chance(0.5)) {  // 5xx: not applied
        at(now_ + uniform(0s, 1s), [=, this] { deliver(i, incarnation, failed("HTTP 503")); });
      } else {  // lost or late: the client gives up; the server may still apply it much later
        at(now_ + options_.request_timeout,
           [=, this] { deliver(i, incarnation, failed("timed out")); });
        if (chance(0.5)) {
          at(now_ + uniform(0s, 2 * options_.request_timeout), [=, this] { apply(request); });
        }
      }
      return;
    }
    // Latency: mostly short, some longer than the retry period, a few past the timeout.
    TrueTime latency = uniform(0s, 1s);
    if (chance(0.2)) latency = uniform(1s, 3s);
    if (chaotic && chance(0.05)) latency = uniform(3s, 8s);
    latency = TrueTime(static_cast<std::int64_t>(latency.count() * options_.latency_scale));
    const TrueTime up = uniform(0s, latency);
    if (latency > options_.request_timeout) {
      at(now_ + options_.request_timeout,
         [=, this] { deliver(i, incarnation, failed("timed out")); });
      at(now_ + up, [=, this] { apply(request); });
      return;
    }
    at(now_ + up, [=, this] {
      auto answer = apply(request);
      if (auto* read = std::get_if<ev::ReadDone>(&answer); read && read->lease && options_.tamper) {
        const Node& n = nodes_[i];
        if (n.elector)
          options_.tamper(ReadContext{n.elector->config(), wall(n, now_)}, *read->lease);
      }
      at(now_ + (latency - up), [=, this] { deliver(i, incarnation, answer); });
    });
  }

  ElectionEvent apply(const ElectionAction& request) {
    if (std::holds_alternative<act::ReadLease>(request)) return ev::ReadDone{lease_};
    const auto& write = std::get<act::WriteLease>(request);
    if (write.purpose == WritePurpose::kCreate) {
      if (lease_) {
        ++stats_.conflicts;
        return ev::WriteConflict{};
      }
    } else if (!lease_) {
      return ev::WriteFailed{"HTTP 404"};
    } else if (lease_->resource_version != write.resource_version) {
      ++stats_.conflicts;
      return ev::WriteConflict{};
    }
    count_write(write);
    lease_ = StoredLease{write.spec, std::to_string(++version_)};
    return ev::WriteDone{lease_->resource_version};
  }

  void count_write(const act::WriteLease& write) {
    const std::string before = lease_ ? lease_->spec.holder_identity : "";
    switch (write.purpose) {
      case WritePurpose::kCreate:
        ++stats_.creates;
        break;
      case WritePurpose::kAcquire:
        if (before.empty()) {
          ++stats_.after_release;
          if (released_at_)
            stats_.worst_handover = std::max(stats_.worst_handover, now_ - *released_at_);
        } else {
          ++stats_.takeovers;
        }
        break;
      case WritePurpose::kRenew:
        ++stats_.renewals;
        break;
      case WritePurpose::kRelease:
        ++stats_.releases;
        break;
    }
    released_at_.reset();
    if (write.purpose == WritePurpose::kRelease) released_at_ = now_;
  }

  // ---- faults ----
  void fault(int i) {
    const TrueTime next = now_ + uniform(5s, 40s);
    at(next, [this, i] { fault(i); });
    Node& n = nodes_[i];
    if (!in_chaos(now_) || !n.elector || n.stopping || now_ < n.paused_until) return;
    const TrueTime end = chaos_end(now_);
    const int kind = std::uniform_int_distribution<int>(0, 3)(rng_);
    if (kind <= 1) {  // frozen, like a stopped process: its clock runs on, it does nothing
      const TrueTime until = std::min(now_ + uniform(0s, options_.max_pause), end);
      n.paused_until = until;
      ++stats_.pauses;
    } else if (kind == 2) {  // killed: no release; whatever it sent is still on its way
      n.elector.reset();
      n.callbacks_say_leading = false;
      ++n.incarnation;
      ++stats_.crashes;
      at(std::min(now_ + uniform(500ms, 20s), end), [this, i] { start(i); });
    } else {  // a clean stop: StoppedLeading, release, Finished; restarted later
      n.stopping = true;
      ++stats_.stops;
      handle(i, ev::Stop{});
    }
  }

  // ---- checks ----
  int leaders() const {
    int count = 0;
    for (const auto& n : nodes_) {
      if (n.elector && n.elector->leading(local(n, now_))) ++count;
    }
    return count;
  }

  void check_safety() {
    if (leaders() > 1) {
      ++stats_.overlaps;
      problem("two leaders");
    }
  }

  void sample() {
    check_safety();
    const int count = leaders();
    if (count > 0) {
      if (gap_start_) stats_.worst_gap = std::max(stats_.worst_gap, now_ - *gap_start_);
      gap_start_.reset();
      led_once_ = true;
    } else if (led_once_ && !gap_start_) {
      gap_start_ = now_;
    }
    int said = 0;
    for (const auto& n : nodes_) said += n.callbacks_say_leading ? 1 : 0;
    if (said > 1) ++stats_.callback_overlaps;
    const TrueTime into_calm = now_ % period() - options_.chaos;
    if (!in_chaos(now_) && count != 1) {
      stats_.worst_calm_settle = std::max(stats_.worst_calm_settle, into_calm + 100ms);
      if (into_calm >= options_.calm_settle) {
        ++stats_.calm_failures;
        problem("no leader in a calm period");
      }
    }
  }

  void problem(const std::string& what) {
    if (!stats_.first_problem.empty()) return;
    std::ostringstream out;
    out << what << " at t=" << seconds_of(now_) << "s:";
    for (const auto& n : nodes_) {
      out << " " << n.identity << "(rate " << n.rate << ", "
          << (n.elector ? (n.elector->leading(local(n, now_)) ? "leading" : "not leading") : "down")
          << (now_ < n.paused_until ? ", frozen" : "") << ")";
    }
    stats_.first_problem = out.str();
  }

  SimOptions options_;
  std::mt19937_64 rng_;
  std::vector<Node> nodes_;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue_;
  std::uint64_t seq_ = 0;
  TrueTime now_{0};
  std::optional<StoredLease> lease_;
  std::uint64_t version_ = 0;
  std::optional<TrueTime> released_at_;
  std::optional<TrueTime> gap_start_;
  bool led_once_ = false;
  SimStats stats_;
};

SimStats simulate(const SimOptions& options, int seeds) {
  SimStats total;
  for (int seed = 1; seed <= seeds; ++seed) {
    total.add(Simulation(options, static_cast<std::uint64_t>(seed)).run());
  }
  return total;
}

void report(const std::string& name, const SimStats& s, int seeds, const SimOptions& o) {
  std::cout << "[ sim      ] " << name << ": " << seeds << " seeds x " << seconds_of(o.run)
            << " s, " << o.nodes << " electors: " << s.renewals << " renewals, " << s.creates
            << " creates, " << s.takeovers << " takeovers after expiry, " << s.after_release
            << " after a release (" << s.releases << " releases), " << s.conflicts
            << " conflicts; faults: " << s.pauses << " pauses, " << s.crashes << " kills, "
            << s.stops << " stops; overlaps " << s.overlaps << "; worst gap without a leader "
            << seconds_of(s.worst_gap) << " s; worst release handover "
            << seconds_of(s.worst_handover) << " s; worst calm settle "
            << seconds_of(s.worst_calm_settle) << " s; callback-only overlaps "
            << s.callback_overlaps << " samples; calm failures " << s.calm_failures << "\n";
  if (!s.first_problem.empty()) std::cout << "[ sim      ]   first: " << s.first_problem << "\n";
}

constexpr int kSeeds = 200;

TEST(LeaderElectionSimulationTest, TwoElectorsNeverLeadTogetherAndSomeoneLeadsWhenCalm) {
  SimOptions o;
  const auto s = simulate(o, kSeeds);
  report("2 electors", s, kSeeds, o);
  EXPECT_EQ(s.overlaps, 0u) << s.first_problem;
  EXPECT_EQ(s.calm_failures, 0u) << s.first_problem;
  // The simulation did what it claims: many renewals, holder changes of every kind, faults.
  EXPECT_GT(s.renewals, 20'000u);
  EXPECT_GT(s.takeovers, 100u);
  EXPECT_GT(s.after_release, 100u);
  EXPECT_GT(s.conflicts, 100u);
  EXPECT_GT(s.pauses, 100u);
  // Frozen leaders: their callbacks lag while leading(now) already says no.
  EXPECT_GT(s.callback_overlaps, 0u);
  // A gap can last at most through one chaos period and the settling of the calm after it.
  EXPECT_LE(s.worst_gap, o.chaos + o.calm_settle);
  EXPECT_LE(s.worst_calm_settle, o.calm_settle);
}

TEST(LeaderElectionSimulationTest, ThreeElectorsNeverLeadTogetherAndSomeoneLeadsWhenCalm) {
  SimOptions o;
  o.nodes = 3;
  const auto s = simulate(o, kSeeds);
  report("3 electors", s, kSeeds, o);
  EXPECT_EQ(s.overlaps, 0u) << s.first_problem;
  EXPECT_EQ(s.calm_failures, 0u) << s.first_problem;
  EXPECT_GT(s.renewals, 20'000u);
  EXPECT_GT(s.takeovers, 100u);
}

TEST(LeaderElectionSimulationTest, ShortTimingsHoldToo) {
  SimOptions o;
  o.nodes = 3;
  o.timing.lease_duration = 3s;
  o.timing.renew_deadline = 2s;
  o.timing.retry_period = 500ms;
  o.request_timeout = 1s;
  o.latency_scale = 0.25;
  o.max_pause = 6s;
  o.calm_settle = 15s;
  const auto s = simulate(o, 50);
  report("3 electors, lease 3 s / renew 2 s / retry 0.5 s", s, 50, o);
  EXPECT_EQ(s.overlaps, 0u) << s.first_problem;
  EXPECT_EQ(s.calm_failures, 0u) << s.first_problem;
  EXPECT_GT(s.takeovers, 100u);
}

// ---- the same simulation with a rule broken must find two leaders ----

TEST(LeaderElectionSimulationTest, TrustingTheRemoteRenewTimeIsCaught) {
  SimOptions o;
  o.faults = false;  // not even a fault is needed: the clocks are an hour apart
  // A candidate that judges expiry by the holder's renewTime against its own wall clock (shown
  // to the elector as a released Lease, which it then takes at once).
  o.tamper = [](const ReadContext& c, StoredLease& lease) {
    auto& r = lease.spec;
    if (!r.holder_identity.empty() && r.holder_identity != c.config.identity && r.renew_time &&
        *r.renew_time + std::chrono::seconds(r.lease_duration_seconds.value_or(0)) < c.wall_now) {
      r.holder_identity.clear();
    }
  };
  const auto s = simulate(o, 20);
  report("broken: trusts the remote renewTime", s, 20, o);
  EXPECT_GT(s.overlaps, 0u);
}

TEST(LeaderElectionSimulationTest, ALeaseShorterThanTheRenewDeadlineIsCaught) {
  SimOptions o;
  // Candidates are shown leaseDurationSeconds 8 while holders keep leading for 10 s.
  o.tamper = [](const ReadContext&, StoredLease& lease) {
    if (!lease.spec.holder_identity.empty()) lease.spec.lease_duration_seconds = 8;
  };
  const auto s = simulate(o, kSeeds);
  report("broken: lease 8 s < renew deadline 10 s", s, kSeeds, o);
  EXPECT_GT(s.overlaps, 0u);
}

TEST(LeaderElectionSimulationTest, ClockRatesApartByMoreThanLeaseOverRenewDeadlineAreCaught) {
  SimOptions o;
  // 1.4 / 0.6 = 2.3, well past 15 s / 10 s = 1.5 (the delays between a change and a
  // candidate's reading of it add some margin: 0.75 / 1.25 still found nothing).
  o.rates = {0.6, 1.4};
  const auto s = simulate(o, 100);
  report("broken: clock rates 0.6 and 1.4", s, 100, o);
  EXPECT_GT(s.overlaps, 0u);
}

}  // namespace
}  // namespace vipd::k8s
