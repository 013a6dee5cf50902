// Pump and ProcessIo with real pipes and FIFOs: data integrity, back-pressure, a vanished reader.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "base/file_util.h"
#include "shim/event_loop.h"
#include "shim/stdio.h"

namespace see::shim {
namespace {

class StdioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // As in the shim: EPIPE instead of SIGPIPE.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    dir_ = std::filesystem::temp_directory_path() / ("see-stdio-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    auto l = EventLoop::Create();
    ASSERT_TRUE(l.ok());
    loop_ = std::move(*l);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs the loop on this thread until `done` or a generous bound (a hang fails, not a timing).
  void RunUntil(const std::atomic<bool>& done) {
    for (int i = 0; i < 60000 && !done; ++i) ASSERT_TRUE(loop_->RunOnce(std::chrono::milliseconds(10)).ok());
    ASSERT_TRUE(done) << "pump did not finish";
  }

  std::string Fifo(const std::string& name) {
    std::string p = dir_ / name;
    EXPECT_EQ(mkfifo(p.c_str(), 0600), 0);
    return p;
  }

  static std::string RandomBytes(size_t n) {
    std::mt19937_64 rng(42);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
  }

  std::filesystem::path dir_;
  std::unique_ptr<EventLoop> loop_;
};

TEST_F(StdioTest, LargeStreamArrivesIntactThroughFifo) {
  const std::string data = RandomBytes(24u << 20);
  std::string fifo = Fifo("out");
  // The reader (containerd's side) opens first, as containerd does before Create.
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  fcntl(reader, F_SETFL, 0);
  std::string received;
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  std::thread wt([&] {
    EXPECT_TRUE(WriteAll(p[1], data).ok());
    close(p[1]);
  });
  std::atomic<bool> done{false};
  Pump::Options o;
  o.dst_path = fifo;
  o.max_buffer = 256 * 1024;  // force back-pressure cycles
  Pump pump(loop_.get(), UniqueFd(p[0]), std::move(o), [&] { done = true; });
  ASSERT_TRUE(pump.Start().ok());
  // Only now: before the pump opened its end, a FIFO read returns 0 (no writer) at once.
  std::thread rt([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(reader, buf, sizeof(buf))) > 0) received.append(buf, n);
    close(reader);
  });
  RunUntil(done);
  wt.join();
  rt.join();
  EXPECT_EQ(pump.bytes_copied(), data.size());
  EXPECT_EQ(pump.bytes_discarded(), 0u);
  EXPECT_TRUE(received == data) << "received " << received.size() << " of " << data.size();
}

TEST_F(StdioTest, WriterNeverBlocksWhenTheReaderGoesAway) {
  std::string fifo = Fifo("gone");
  int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  std::atomic<bool> done{false};
  Pump::Options o;
  o.dst_path = fifo;
  Pump pump(loop_.get(), UniqueFd(p[0]), std::move(o), [&] { done = true; });
  ASSERT_TRUE(pump.Start().ok());
  close(reader);  // nobody will ever read
  // 8 MiB is far beyond every pipe and FIFO buffer: it only completes if the pump keeps draining.
  std::thread wt([&] {
    EXPECT_TRUE(WriteAll(p[1], RandomBytes(8u << 20)).ok());
    close(p[1]);
  });
  RunUntil(done);
  wt.join();
  EXPECT_GT(pump.bytes_discarded(), 0u);
}

TEST_F(StdioTest, FileUriGetsBothStreams) {
  std::string file = dir_ / "logs" / "c.log";
  StdioPaths paths{"", "file://" + file, "file://" + file, false};
  auto io = ProcessIo::Create(loop_.get(), paths, "c", "ns");
  ASSERT_TRUE(io.ok()) << io.status().ToString();
  ASSERT_TRUE(WriteAll((*io)->process_fd(1), "out\n").ok());
  ASSERT_TRUE(WriteAll((*io)->process_fd(2), "err\n").ok());
  (*io)->CloseProcessEnds();
  ASSERT_TRUE((*io)->Start().ok());
  std::atomic<bool> done{false};
  (*io)->OnOutputDone([&] { done = true; });
  RunUntil(done);
  auto text = ReadFile(file);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("out\n"), std::string::npos);
  EXPECT_NE(text->find("err\n"), std::string::npos);
}

TEST_F(StdioTest, StdinFifoToProcessAndCloseIo) {
  std::string in = Fifo("in");
  StdioPaths paths{in, "", "", false};
  auto io = ProcessIo::Create(loop_.get(), paths, "c", "ns");
  ASSERT_TRUE(io.ok());
  int proc_stdin = dup((*io)->process_fd(0));
  (*io)->CloseProcessEnds();
  ASSERT_TRUE((*io)->Start().ok());
  int writer = open(in.c_str(), O_WRONLY);
  ASSERT_GE(writer, 0);
  ASSERT_TRUE(WriteAll(writer, "hello").ok());
  std::string got;
  for (int i = 0; i < 1000 && got.size() < 5; ++i) {
    ASSERT_TRUE(loop_->RunOnce(std::chrono::milliseconds(10)).ok());
    char buf[16];
    fcntl(proc_stdin, F_SETFL, O_NONBLOCK);
    ssize_t n = read(proc_stdin, buf, sizeof(buf));
    if (n > 0) got.append(buf, n);
  }
  EXPECT_EQ(got, "hello");
  (*io)->CloseStdin();
  fcntl(proc_stdin, F_SETFL, 0);
  char c;
  EXPECT_EQ(read(proc_stdin, &c, 1), 0) << "the process sees EOF after CloseIO";
  close(writer);
  close(proc_stdin);
}

TEST_F(StdioTest, UnknownSchemeIsInvalidArgument) {
  StdioPaths paths{"", "tcp://host/x", "", false};
  EXPECT_EQ(ProcessIo::Create(loop_.get(), paths, "c", "ns").status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace see::shim
