// Egress policy in a real network namespace (root): a "pod" netns and a "server" netns joined by a
// veth pair on private addresses; TCP servers on two ports of two server addresses; the policy is
// installed with the real iptables-restore and connections from the pod are tried with python3.
// Host names go through a fake resolver (the test must not depend on the host's DNS).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "base/child_process.h"
#include "shim/egress.h"

namespace see::shim::egress {
namespace {

int Sh(const std::string& cmd) {
  int rc = system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

// Accepts on every address of the server netns, ports 8080 and 9090, answering "ok".
constexpr char kServer[] = R"(
import socket, select
ls = []
for port in (8080, 9090):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16); ls.append(s)
open("READY", "w").close()
while True:
    for s in select.select(ls, [], [])[0]:
        c, _ = s.accept(); c.sendall(b"ok"); c.close()
)";

class EgressNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root";
    if (access("/usr/sbin/iptables-restore", X_OK) != 0) GTEST_SKIP() << "no iptables";
    std::string tag = std::to_string(getpid());
    pod_ = "see-eg-pod-" + tag;
    srv_ = "see-eg-srv-" + tag;
    dir_ = "/tmp/see-egress-" + tag;
    created_ = true;
    ASSERT_EQ(Sh("ip netns add " + pod_ + " && ip netns add " + srv_ +
                 " && ip link add eg" + tag + "p type veth peer name eg" + tag + "s" +
                 " && ip link set eg" + tag + "p netns " + pod_ + " && ip link set eg" + tag +
                 "s netns " + srv_ + " && ip -n " + pod_ + " addr add 10.251.0.1/24 dev eg" +
                 tag + "p && ip -n " + srv_ + " addr add 10.251.0.2/24 dev eg" + tag + "s" +
                 " && ip -n " + srv_ + " addr add 10.251.0.3/24 dev eg" + tag + "s" +
                 " && ip -n " + pod_ + " link set eg" + tag + "p up && ip -n " + pod_ +
                 " link set lo up && ip -n " + srv_ + " link set eg" + tag + "s up && mkdir -p " +
                 dir_),
              0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (chdir(dir_.c_str()) != 0) _exit(126);
      execlp("ip", "ip", "netns", "exec", srv_.c_str(), "/usr/bin/python3", "-c", kServer,
             nullptr);
      _exit(127);
    }
    server_ = ChildProcess(pid);
    for (int i = 0; i < 500 && access((dir_ + "/READY").c_str(), F_OK) != 0; ++i) usleep(10000);
    ASSERT_EQ(access((dir_ + "/READY").c_str(), F_OK), 0) << "server did not start";
    netns_ = UniqueFd(open(("/run/netns/" + pod_).c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(netns_.valid());
  }
  void TearDown() override {
    server_ = ChildProcess();  // kills and reaps
    netns_.Reset();
    if (!created_) return;
    (void)Sh("ip netns del " + pod_ + " 2>/dev/null; ip netns del " + srv_ +
             " 2>/dev/null; rm -rf " + dir_);
  }

  // True when a TCP connection from the pod netns to addr:port gets the server's "ok".
  bool Connects(const std::string& addr, int port) {
    std::string py = "import socket; s = socket.create_connection(('" + addr + "', " +
                     std::to_string(port) + "), timeout=5); assert s.recv(2) == b'ok'";
    return Sh("ip netns exec " + pod_ + " /usr/bin/python3 -c \"" + py + "\" 2>/dev/null") == 0;
  }

  PodEgress::Options WithDns() {
    PodEgress::Options o;
    o.resolve = [this](const std::string& h) -> Result<std::vector<Cidr>> {
      auto it = dns_.find(h);
      if (it == dns_.end()) return NotFound("no such host " + h);
      return std::vector<Cidr>{ParseCidr(it->second).value()};
    };
    return o;
  }

  bool created_ = false;
  std::string pod_, srv_, dir_;
  ChildProcess server_;
  UniqueFd netns_;
  std::map<std::string, std::string> dns_;
};

TEST_F(EgressNetnsTest, AllowedAndRefusedConnections) {
  ASSERT_TRUE(Connects("10.251.0.2", 9090)) << "no policy yet: everything connects";
  dns_["svc.test"] = "10.251.0.3";
  auto e = PodEgress::Start(ParsePolicy("10.251.0.2:8080, svc.test:9090").value(),
                            UniqueFd(dup(netns_.get())), WithDns());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(Connects("10.251.0.2", 8080));
  EXPECT_FALSE(Connects("10.251.0.2", 9090)) << "port not in the allowlist";
  EXPECT_TRUE(Connects("10.251.0.3", 9090)) << "host name resolved to .3";
  EXPECT_FALSE(Connects("10.251.0.3", 8080));
  EXPECT_EQ(Sh("ip netns exec " + pod_ +
               " /usr/bin/python3 -c \"import socket; s = socket.socket(); s.bind(('127.0.0.1', 7070));"
               " s.listen(1); c = socket.create_connection(('127.0.0.1', 7070), timeout=5)\""),
            0)
      << "loopback is always allowed";

  // The name moves to .2: the rules follow.
  dns_["svc.test"] = "10.251.0.2";
  ASSERT_TRUE((*e)->Update((*e)->Resolve()).ok());
  EXPECT_TRUE(Connects("10.251.0.2", 9090));
  EXPECT_FALSE(Connects("10.251.0.3", 9090));
  EXPECT_TRUE(Connects("10.251.0.2", 8080));
}

TEST_F(EgressNetnsTest, NetworkEntryAndEmptyPolicy) {
  auto e = PodEgress::Start(ParsePolicy("10.251.0.2/32").value(), UniqueFd(dup(netns_.get())),
                            {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(Connects("10.251.0.2", 8080));
  EXPECT_TRUE(Connects("10.251.0.2", 9090));
  EXPECT_FALSE(Connects("10.251.0.3", 8080));
  // A second policy object on the same namespace rewrites the chain (as a shim restart would).
  auto none = PodEgress::Start(ParsePolicy("").value(), UniqueFd(dup(netns_.get())), {});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(Connects("10.251.0.2", 8080));
}

}  // namespace
}  // namespace see::shim::egress
