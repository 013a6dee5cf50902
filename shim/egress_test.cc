// The egress annotation parser, the rule text, and PodEgress with a fake resolver and restorer.
#include "shim/egress.h"

#include <gtest/gtest.h>

#include <map>

namespace see::shim::egress {
namespace {

Cidr C(const std::string& s) { return ParseCidr(s).value(); }

TEST(EgressParse, AllEntryForms) {
  auto p = ParsePolicy(" 10.0.0.0/8, 10.1.2.3:443  [fd00::/8]:53,fd00::1 example.internal:8080,dns ");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->entries.size(), 6u);
  EXPECT_EQ(p->entries[0].cidr.ToString(), "10.0.0.0/8");
  EXPECT_EQ(p->entries[0].port, 0);
  EXPECT_EQ(p->entries[1].cidr.ToString(), "10.1.2.3/32");
  EXPECT_EQ(p->entries[1].port, 443);
  EXPECT_EQ(p->entries[2].cidr.ToString(), "fd00::/8");
  EXPECT_EQ(p->entries[2].port, 53);
  EXPECT_EQ(p->entries[3].cidr.ToString(), "fd00::1/128");
  EXPECT_EQ(p->entries[4].kind, Entry::Kind::kHost);
  EXPECT_EQ(p->entries[4].host, "example.internal");
  EXPECT_EQ(p->entries[4].port, 8080);
  EXPECT_EQ(p->entries[5].kind, Entry::Kind::kDns);
  EXPECT_TRUE(p->dns());
  EXPECT_EQ(p->hosts(), std::vector<std::string>{"example.internal"});
}

TEST(EgressParse, HostBitsAreCleared) {
  EXPECT_EQ(C("10.1.2.3/8").ToString(), "10.0.0.0/8");
  EXPECT_EQ(C("192.168.77.1/20").ToString(), "192.168.64.0/20");
  EXPECT_EQ(C("fd00:1:2::5/33").ToString(), "fd00:1::/33");
  EXPECT_EQ(C("fd00:1:2::5/16").ToString(), "fd00::/16");
  EXPECT_EQ(C("0.0.0.0/0").ToString(), "0.0.0.0/0");
}

TEST(EgressParse, EmptyMeansNothingAllowed) {
  auto p = ParsePolicy("  , ");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->entries.empty());
}

TEST(EgressParse, MalformedEntriesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0.256", "10.0.0.1:0", "10.0.0.1:65536",
                          "10.0.0.1:http", "[fd00::1", "[fd00::1]x", "[fd00::1]:", "host:",
                          "-bad.example", "under_score.example", "fd00::/129", "10.0.0.0/",
                          "a..b", ":80"}) {
    auto p = ParsePolicy(std::string("10.0.0.0/8, ") + bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(p.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << p.status().message();
  }
}

TEST(EgressParse, NameServers) {
  auto ns = NameServers("# comment\nsearch x.local\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\n"
                        "nameserver bogus\noptions ndots:5\n");
  ASSERT_EQ(ns.size(), 2u);
  EXPECT_EQ(ns[0].ToString(), "10.96.0.10/32");
  EXPECT_EQ(ns[1].ToString(), "fe80::1/128");
}

TEST(EgressRules, AllowedMergesResolvedAndDns) {
  auto p = ParsePolicy("svc.example:80 10.0.0.0/8 10.0.0.0/8 dns").value();
  auto allowed = Allowed(p, {{C("192.0.2.7"), C("2001:db8::7")}}, {C("10.96.0.10")});
  std::vector<std::string> got;
  for (const auto& a : allowed) got.push_back(a.cidr.ToString() + ":" + std::to_string(a.port));
  EXPECT_EQ(got, (std::vector<std::string>{"10.0.0.0/8:0", "10.96.0.10/32:53", "192.0.2.7/32:80",
                                           "2001:db8::7/128:80"}));
}

TEST(EgressRules, RestoreInputPerFamily) {
  std::vector<Allow> allowed = {{C("10.0.0.0/8"), 0}, {C("10.1.2.3"), 443}, {C("fd00::/8"), 0}};
  std::string v4 = RestoreInput(AF_INET, allowed, /*hook=*/true);
  EXPECT_EQ(v4,
            "*filter\n:SEE-EGRESS - [0:0]\n-I OUTPUT 1 -j SEE-EGRESS\n"
            "-A SEE-EGRESS -o lo -j RETURN\n"
            "-A SEE-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN\n"
            "-A SEE-EGRESS -d 10.0.0.0/8 -j RETURN\n"
            "-A SEE-EGRESS -d 10.1.2.3/32 -p tcp --dport 443 -j RETURN\n"
            "-A SEE-EGRESS -d 10.1.2.3/32 -p udp --dport 443 -j RETURN\n"
            "-A SEE-EGRESS -p tcp -j REJECT --reject-with tcp-reset\n"
            "-A SEE-EGRESS -j REJECT --reject-with icmp-admin-prohibited\nCOMMIT\n");
  std::string v6 = RestoreInput(AF_INET6, allowed, /*hook=*/false);
  EXPECT_EQ(v6.find("-I OUTPUT"), std::string::npos);
  EXPECT_NE(v6.find("-A SEE-EGRESS -d fd00::/8 -j RETURN\n"), std::string::npos);
  EXPECT_EQ(v6.find("10.0.0.0"), std::string::npos);
  EXPECT_NE(v6.find("icmp6-adm-prohibited"), std::string::npos);
}

// PodEgress with fakes: what it installs at start, on new name servers and on new answers.
class PodEgressTest : public ::testing::Test {
 protected:
  PodEgress::Options Fakes() {
    PodEgress::Options o;
    o.resolve = [this](const std::string& h) -> Result<std::vector<Cidr>> {
      auto it = dns_.find(h);
      if (it == dns_.end()) return NotFound("no such host " + h);
      return it->second;
    };
    o.restore = [this](int, int family, const std::string& input) {
      (family == AF_INET ? v4_ : v6_).push_back(input);
      return Status::Ok();
    };
    return o;
  }
  std::map<std::string, std::vector<Cidr>> dns_;
  std::vector<std::string> v4_, v6_;
};

TEST_F(PodEgressTest, FollowsNamesAndNameServers) {
  dns_["svc.example"] = {C("192.0.2.1")};
  auto e = PodEgress::Start(ParsePolicy("svc.example:443 gone.example dns").value(), UniqueFd(),
                            Fakes());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(v4_.size(), 1u);
  ASSERT_EQ(v6_.size(), 1u);
  EXPECT_NE(v4_[0].find("-I OUTPUT 1"), std::string::npos);
  EXPECT_NE(v4_[0].find("-d 192.0.2.1/32 -p tcp --dport 443"), std::string::npos);

  ASSERT_TRUE((*e)->AddNameServers({C("10.96.0.10")}).ok());
  ASSERT_EQ(v4_.size(), 2u);
  EXPECT_EQ(v4_[1].find("-I OUTPUT"), std::string::npos) << "the jump is added once";
  EXPECT_NE(v4_[1].find("-d 10.96.0.10/32 -p udp --dport 53"), std::string::npos);
  ASSERT_TRUE((*e)->AddNameServers({C("10.96.0.10")}).ok());
  EXPECT_EQ(v4_.size(), 2u) << "same servers: nothing re-installed";

  ASSERT_TRUE((*e)->Update((*e)->Resolve()).ok());
  EXPECT_EQ(v4_.size(), 2u) << "same answers: nothing re-installed";
  dns_["svc.example"] = {C("192.0.2.2")};
  dns_["gone.example"] = {C("198.51.100.9")};
  ASSERT_TRUE((*e)->Update((*e)->Resolve()).ok());
  ASSERT_EQ(v4_.size(), 3u);
  EXPECT_EQ(v4_[2].find("192.0.2.1/32"), std::string::npos);
  EXPECT_NE(v4_[2].find("-d 192.0.2.2/32 -p tcp --dport 443"), std::string::npos);
  EXPECT_NE(v4_[2].find("-d 198.51.100.9/32 -j RETURN"), std::string::npos);

  dns_.clear();  // DNS outage: the previous answers stay
  ASSERT_TRUE((*e)->Update((*e)->Resolve()).ok());
  EXPECT_EQ(v4_.size(), 3u);
}

TEST_F(PodEgressTest, RestoreFailureFailsStart) {
  auto o = Fakes();
  o.restore = [](int, int, const std::string&) { return Internal("iptables-restore failed"); };
  auto e = PodEgress::Start(ParsePolicy("10.0.0.0/8").value(), UniqueFd(), o);
  EXPECT_FALSE(e.ok());
}

TEST(EgressResolve, Localhost) {
  auto r = ResolveHost("localhost");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  bool has_loopback = false;
  for (const auto& c : *r) has_loopback |= c.ToString() == "127.0.0.1/32" || c.ToString() == "::1/128";
  EXPECT_TRUE(has_loopback);
}

}  // namespace
}  // namespace see::shim::egress
