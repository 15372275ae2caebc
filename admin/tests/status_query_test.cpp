// Reading /status query strings, the matching rules and the paging of a list.
#include "admin/status_query.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vipd::admin {
namespace {

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }
Prefix prefix(std::string_view text) { return Prefix::parse(text).value(); }

std::string error_of(std::string_view query) {
  auto parsed = parse_status_query(query);
  return parsed ? std::string("(accepted)") : parsed.error().message();
}

TEST(StatusQuery, NoQueryIsTheFirstPageOfEverything) {
  const auto q = parse_status_query("").value();
  EXPECT_EQ(q.offset, 0u);
  EXPECT_EQ(q.limit, kDefaultStatusLimit);
  EXPECT_TRUE(q.service_matches("default/web"));
  EXPECT_TRUE(q.peer_matches("tor1", "192.0.2.1"));
  EXPECT_TRUE(q.address_matches(ip("2001:db8::1")));
  EXPECT_TRUE(q.any_address_matches({}));
  EXPECT_TRUE(q.announcements);
  EXPECT_FALSE(q.only_checked_services);
  EXPECT_EQ(format_status_query(q), "");
}

TEST(StatusQuery, ReadsEveryParameterPercentDecoded) {
  const auto q = parse_status_query(
                     "service=default%2Fweb&peer=tor+1&prefix=198.18.0.0%2F24&offset=200&"
                     "limit=50")
                     .value();
  EXPECT_EQ(q.service, "default/web");
  EXPECT_EQ(q.peer, "tor 1");
  EXPECT_EQ(q.prefix, prefix("198.18.0.0/24"));
  EXPECT_EQ(q.offset, 200u);
  EXPECT_EQ(q.limit, 50u);
  // Written back the same way, and read again to the same query.
  const auto text = format_status_query(q);
  EXPECT_EQ(text, "service=default%2Fweb&peer=tor%201&prefix=198.18.0.0%2F24&offset=200&limit=50");
  const auto again = parse_status_query(text).value();
  EXPECT_EQ(again.service, q.service);
  EXPECT_EQ(again.peer, q.peer);
  EXPECT_EQ(again.prefix, q.prefix);
  EXPECT_EQ(again.offset, q.offset);
  EXPECT_EQ(again.limit, q.limit);
}

TEST(StatusQuery, AnAddressStandsForItsHostPrefixAndHostBitsAreMasked) {
  EXPECT_EQ(parse_status_query("prefix=2001:db8::7").value().prefix, prefix("2001:db8::7/128"));
  EXPECT_EQ(parse_status_query("prefix=198.18.3.9/16").value().prefix, prefix("198.18.0.0/16"));
  // Empty pairs (a trailing '&') are nothing.
  EXPECT_EQ(parse_status_query("limit=5&&").value().limit, 5u);
  EXPECT_EQ(parse_status_query("limit=0").value().limit, 0u);
  EXPECT_EQ(parse_status_query("limit=10000").value().limit, kMaxStatusLimit);
}

TEST(StatusQuery, RefusesWhatItCannotRead) {
  EXPECT_EQ(error_of("services=a"),
            "unknown parameter 'services' (known: service, peer, prefix, offset, limit)");
  EXPECT_EQ(error_of("limit=5&limit=6"), "limit: given twice");
  EXPECT_EQ(error_of("limit=many"), "limit: 'many' is not a whole number");
  EXPECT_EQ(error_of("offset=-1"), "offset: '-1' is not a whole number");
  EXPECT_EQ(error_of("offset="), "offset: '' is not a whole number");
  EXPECT_EQ(error_of("offset=99999999999999999999999"),
            "offset: '99999999999999999999999' is not a whole number");
  EXPECT_EQ(error_of("limit=10001"), "limit: 10001 is over the largest page, 10000");
  EXPECT_EQ(error_of("service=a%2"), "'%2' is not a percent-encoded octet");
  EXPECT_EQ(error_of("service=%zz"), "'%zz' is not a percent-encoded octet");
  EXPECT_NE(error_of("prefix=198.18.0.0/33").find("prefix: '198.18.0.0/33' is not"),
            std::string::npos);
  EXPECT_NE(error_of("prefix=web").find("prefix: 'web' is not"), std::string::npos);
}

TEST(StatusQuery, MatchingRules) {
  StatusQuery q;
  q.service = "default/web";
  EXPECT_TRUE(q.service_matches("default/web"));
  EXPECT_FALSE(q.service_matches("default/web2"));
  EXPECT_FALSE(q.service_matches("default/"));
  q.service = "default/";  // a namespace
  EXPECT_TRUE(q.service_matches("default/web"));
  EXPECT_FALSE(q.service_matches("defaults/web"));

  q.peer = "tor1";
  EXPECT_TRUE(q.peer_matches("tor1", "192.0.2.1"));
  EXPECT_FALSE(q.peer_matches("tor2", "192.0.2.2"));
  EXPECT_TRUE(q.peer_matches("", ""));  // a decision for every peer
  q.peer = "192.0.2.2";
  EXPECT_TRUE(q.peer_matches("tor2", "192.0.2.2"));

  q.prefix = prefix("198.18.0.0/24");
  EXPECT_TRUE(q.address_matches(ip("198.18.0.255")));
  EXPECT_FALSE(q.address_matches(ip("198.18.1.0")));
  EXPECT_FALSE(q.address_matches(ip("2001:db8::1")));
  EXPECT_TRUE(q.any_address_matches({ip("2001:db8::1"), ip("198.18.0.9")}));
  EXPECT_FALSE(q.any_address_matches({ip("2001:db8::1")}));
  EXPECT_FALSE(q.any_address_matches({}));                 // nothing assigned: not in any prefix
  EXPECT_TRUE(q.prefix_matches(prefix("198.18.0.7/32")));  // inside
  EXPECT_TRUE(q.prefix_matches(prefix("198.18.0.0/16")));  // around: it announces the address
  EXPECT_FALSE(q.prefix_matches(prefix("198.19.0.0/24")));
}

TEST(StatusQuery, MetricsAskForEveryCheckedServiceAndNoAnnouncement) {
  const auto q = metrics_query();
  EXPECT_FALSE(q.announcements);
  EXPECT_TRUE(q.only_checked_services);
  ListPage page(q);
  for (int i = 0; i < 100'000; ++i) {
    page.entry();
    ASSERT_TRUE(page.admit());
  }
  EXPECT_EQ(page.count().shown, 100'000u);
}

TEST(ListPage, CountsEverythingAndKeepsOnePage) {
  ListPage page(3, 2);  // offset 3, limit 2
  std::vector<int> kept;
  for (int i = 0; i < 10; ++i) {
    page.entry();
    if (i % 2 == 1) continue;  // the odd ones do not match
    if (page.admit()) kept.push_back(i);
  }
  EXPECT_EQ(kept, (std::vector<int>{6, 8}));  // matches 0 2 4 | 6 8
  const auto c = page.count();
  EXPECT_EQ(c.total, 10u);
  EXPECT_EQ(c.matched, 5u);
  EXPECT_EQ(c.offset, 3u);
  EXPECT_EQ(c.shown, 2u);

  ListPage past(50, 10);
  for (int i = 0; i < 10; ++i) {
    past.entry();
    EXPECT_FALSE(past.admit());
  }
  EXPECT_EQ(past.count().shown, 0u);
  EXPECT_EQ(past.count().matched, 10u);

  ListPage none(0, 0);  // limit 0: counts only
  none.entry();
  EXPECT_FALSE(none.admit());
  EXPECT_EQ(none.count().matched, 1u);
}

}  // namespace
}  // namespace vipd::admin
