// Interoperability with a real Go ttrpc server: containerd-shim-runc-v2 (containerd 1.6, ttrpc
// 1.1). Checks that our client's frames and envelopes are understood, that the Go server's error
// statuses decode as we expect, and that ShimSocketAddress derives the address the Go shim picks.
// Needs root (the shim listens under /run/containerd/s) and the Debian containerd package.
#include <fcntl.h>
#include <signal.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/ttrpc/address.h"
#include "base/ttrpc/client.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"

namespace see::ttrpc {
namespace {

constexpr char kShim[] = "/usr/bin/containerd-shim-runc-v2";
constexpr char kNamespace[] = "see-ttrpc-test";
constexpr char kService[] = "containerd.task.v2.Task";

class ShimInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (::access(kShim, X_OK) != 0) GTEST_SKIP() << kShim << " not installed";
    char tmpl[] = "/tmp/ttrpc-shim-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    bundle_ = dir_ + "/bundle";
    std::filesystem::create_directories(bundle_);
    std::ofstream(bundle_ + "/config.json") << R"({"ociVersion":"1.0.2","annotations":{}})";
    // The shim writes its log to this FIFO and blocks until someone reads it.
    ASSERT_EQ(::mkfifo((bundle_ + "/log").c_str(), 0600), 0);
    log_reader_ = std::thread([path = bundle_ + "/log"] {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      char buf[4096];
      while (fd >= 0 && ::read(fd, buf, sizeof(buf)) > 0) {
      }
      if (fd >= 0) ::close(fd);
    });
  }

  void TearDown() override {
    if (!address_.empty()) {
      Result<UnixAddress> a = ParseUnixAddress(address_);
      if (a.ok()) ::unlink(a->path.c_str());
    }
    if (log_reader_.joinable()) {
      // Unblock a reader still waiting in open() if the shim never started.
      int fd = ::open((bundle_ + "/log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) ::close(fd);
      log_reader_.join();
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs `shim start`, which daemonizes the server and prints its address.
  std::string StartShim(const std::string& id) {
    std::string cmd = "cd " + bundle_ + " && TTRPC_ADDRESS=" + dir_ + "/ttrpc.sock " + kShim +
                      " -namespace " + kNamespace + " -id " + id + " -address " + dir_ +
                      "/containerd.sock -publish-binary /bin/true start </dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return "";
    char buf[512];
    std::string out;
    while (size_t n = ::fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
    ::pclose(p);
    return out;
  }

  std::string dir_, bundle_, address_;
  std::thread log_reader_;
};

TEST_F(ShimInteropTest, TalksToGoTtrpcServer) {
  const std::string id = "interop";
  address_ = StartShim(id);
  ASSERT_EQ(address_, ShimSocketAddress(dir_ + "/containerd.sock", kNamespace, id));

  Result<std::unique_ptr<Client>> c = Client::Dial(address_);
  ASSERT_TRUE(c.ok()) << c.status().ToString();

  containerd::task::v2::ConnectRequest connect;
  connect.set_id(id);
  containerd::task::v2::ConnectResponse connected;
  Status s = (*c)->Call(kService, "Connect", connect, &connected);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_GT(connected.shim_pid(), 0u);

  Result<CallResult> r = (*c)->CallRaw(kService, "NoSuchMethod", "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status.code, RpcCode::kUnimplemented);
  EXPECT_EQ(r->status.message, "method NoSuchMethod");

  r = (*c)->CallRaw("no.such.Service", "X", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status.code, RpcCode::kUnimplemented);
  EXPECT_EQ(r->status.message, "service no.such.Service");

  // A task that does not exist: the Go shim answers NotFound through errdefs.
  containerd::task::v2::StateRequest state;
  state.set_id("missing");
  containerd::task::v2::StateResponse st;
  EXPECT_EQ((*c)->Call(kService, "State", state, &st).code(), Code::kNotFound);

  // Shutdown makes the shim exit; its answer may race with the close, so only the exit matters.
  containerd::task::v2::ShutdownRequest shutdown;
  shutdown.set_id(id);
  shutdown.set_now(true);
  (void)(*c)->Call(kService, "Shutdown", shutdown, nullptr, {std::chrono::seconds(5), {}});
  // Generous bound: this checks that Shutdown was understood, not how fast the shim exits.
  const pid_t pid = static_cast<pid_t>(connected.shim_pid());
  bool exited = false;
  for (int i = 0; i < 200 && !exited; ++i) {
    exited = ::kill(pid, 0) != 0;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!exited) ::kill(pid, SIGKILL);
  EXPECT_TRUE(exited) << "shim still running after Shutdown";
}

}  // namespace
}  // namespace see::ttrpc
