#include "vip/host_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vipd::vip {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ArpSettings, SafeValuesSayNothing) {
  EXPECT_EQ(arp_settings_warning(1, 2), std::nullopt);
  EXPECT_EQ(arp_settings_warning(2, 2), std::nullopt);
  EXPECT_EQ(arp_settings_warning(-1, -1), std::nullopt);  // unreadable: not guessed
}

TEST(ArpSettings, TheDefaultsAreNamedWithTheFix) {
  const auto w = arp_settings_warning(0, 0);
  ASSERT_TRUE(w);
  EXPECT_THAT(*w, HasSubstr("arp_ignore is 0"));
  EXPECT_THAT(*w, HasSubstr("arp_announce is 0"));
  EXPECT_THAT(*w, HasSubstr("set net.ipv4.conf.all.arp_ignore=1 and "
                            "net.ipv4.conf.all.arp_announce=2"));
  EXPECT_THAT(*arp_settings_warning(1, 1), Not(HasSubstr("arp_ignore is")));
  EXPECT_THAT(*arp_settings_warning(0, 2), Not(HasSubstr("arp_announce is")));
}

}  // namespace
}  // namespace vipd::vip
