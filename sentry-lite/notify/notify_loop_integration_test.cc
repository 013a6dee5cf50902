// A child under the container filter runs file syscalls; this process serves them through the
// NotifyLoop. Results are compared with the same calls run natively in a chroot of the same tree.
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/fs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "base/child_process.h"
#include "base/file_util.h"
#include "sentry-lite/notify/notify_loop.h"
#include "sentry-lite/sentry/fd_passing.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

int CountFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d) != nullptr) ++n;
  closedir(d);
  return n;
}

std::string R(long rc) {
  return rc < 0 ? std::string("-") + strerrorname_np(errno) : (rc > 0 ? "ok" : "0");
}

struct Options {
  bool served = true;
  uid_t uid = 0;
  std::function<void()> after_start;  // runs in the parent once the child is served
};

class NotifyLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/see-notify-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/root";
    ASSERT_TRUE(MkdirAll(root_ + "/etc").ok());
    ASSERT_TRUE(MkdirAll(root_ + "/dir/sub").ok());
    ASSERT_TRUE(MkdirAll(base_ + "/outside").ok());
    ASSERT_TRUE(WriteFile(root_ + "/etc/passwd", "inside", 0644).ok());
    ASSERT_TRUE(WriteFile(root_ + "/etc/secret", "s", 0600).ok());
    ASSERT_TRUE(WriteFile(root_ + "/dir/file", "f", 0644).ok());
    ASSERT_TRUE(WriteFile(base_ + "/outside/secret", "outside").ok());
    ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
    ASSERT_EQ(chmod(base_.c_str(), 0755), 0);
    ASSERT_EQ(symlink("/etc", (root_ + "/dir/abs_etc").c_str()), 0);
    ASSERT_EQ(symlink("loop_b", (root_ + "/loop_a").c_str()), 0);
    ASSERT_EQ(symlink("loop_a", (root_ + "/loop_b").c_str()), 0);
    ASSERT_EQ(chmod((root_ + "/dir").c_str(), 0777), 0);
    auto prog = BuildDefaultSyscallFilter();
    ASSERT_TRUE(prog.ok());
    prog_ = std::move(*prog);
  }
  void TearDown() override { (void)!system(("rm -rf " + base_).c_str()); }

  std::shared_ptr<Container> MakeContainer() {
    auto c = std::make_shared<Container>();
    c->root.Reset(open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    return c;
  }

  // Runs `body` in a child chrooted into the root with cwd /dir (served: under the filter, its
  // calls served by loop_) and returns what it wrote.
  std::string Run(const std::function<std::string()>& body, const Options& o) {
    int out[2], sv[2];
    if (pipe2(out, O_CLOEXEC) != 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return "pipe";
    }
    sock_fprog fprog{static_cast<unsigned short>(prog_.size()), prog_.data()};
    pid_t pid = fork();
    if (pid == 0) {
      close(out[0]);
      close(sv[0]);
      umask(027);
      // Both variants chroot like the runtime's pivot_root, so calls the sentry checks and then
      // CONTINUEs (chdir, O_PATH opens) land in the same view.
      if (chroot(root_.c_str()) != 0 || chdir("/dir") != 0) _exit(11);
      if (o.uid != 0 && (setresgid(o.uid, o.uid, o.uid) != 0 || setgroups(0, nullptr) != 0 ||
                         setresuid(o.uid, o.uid, o.uid) != 0)) {
        _exit(12);
      }
      if (o.served) {
        int listener = InstallSyscallFilterRaw(&fprog);
        if (listener < 0 || SendFd(sv[1], listener) != 0) _exit(13);
        close(listener);
      }
      std::string text = body();
      (void)!write(out[1], text.data(), text.size());
      _exit(0);
    }
    ChildProcess child(pid);
    close(out[1]);
    close(sv[1]);
    if (o.served) {
      auto listener = RecvFd(sv[0]);
      if (!listener.ok()) return "no listener: " + listener.status().ToString();
      Status s = loop_.AddListener(std::move(*listener), MakeContainer());
      if (!s.ok()) return s.ToString();
    }
    close(sv[0]);
    if (o.after_start) o.after_start();
    auto text = ReadAll(out[0]);
    close(out[0]);
    auto st = child.Wait();
    if (!st.ok() || !WIFEXITED(*st) || WEXITSTATUS(*st) != 0) {
      return "child failed: " + std::to_string(st.ok() ? *st : -1);
    }
    return text.ok() ? *text : "read";
  }

  // Waits (bounded) for the loop to notice every child is gone and its threads to exit.
  void WaitIdle() {
    for (int i = 0; i < 500 && (loop_.active_listeners() != 0 || loop_.threads() != 0); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(loop_.active_listeners(), 0u);
  }

  std::string base_, root_;
  std::vector<sock_filter> prog_;
  NotifyLoop loop_{DefaultHandlers()};
};

std::string Conformance() {
  std::string r;
  auto add = [&](const char* what, const std::string& v) { r += std::string(what) + "=" + v + "\n"; };
  int fd = open("/etc/passwd", O_RDONLY);
  add("open", R(fd));
  char buf[64] = {};
  add("read", fd >= 0 && read(fd, buf, sizeof(buf)) > 0 ? buf : "-");
  struct stat st;
  add("fstat", fd >= 0 && fstat(fd, &st) == 0 ? std::to_string(st.st_size) : "-");
  if (fd >= 0) close(fd);
  add("open-missing", R(open("/nope", O_RDONLY)));
  add("open-notdir", R(open("/etc/passwd/x", O_RDONLY)));
  add("open-secret", R(open("/etc/secret", O_RDONLY)));
  add("open-rel", R(open("file", O_RDONLY)));
  add("open-dotdot", R(open("../etc/passwd", O_RDONLY)));
  add("open-excl", R(open("/dir/new", O_CREAT | O_EXCL | O_WRONLY, 0666)));
  add("open-excl-again", R(open("/dir/new", O_CREAT | O_EXCL | O_WRONLY, 0666)));
  add("mode-new", stat("/dir/new", &st) == 0 ? std::to_string(st.st_mode) : "-");
  add("open-isdir", R(open("/dir", O_WRONLY)));
  add("open-loop", R(open("/loop_a", O_RDONLY)));
  add("open-tmpfile", R(open("/dir", O_TMPFILE | O_RDWR, 0600)));
  add("open-nofollow-mid", R(open("/dir/abs_etc/passwd", O_RDONLY | O_NOFOLLOW)));
  add("open-nofollow", R(open("/dir/abs_etc", O_RDONLY | O_NOFOLLOW)));
  add("open-path-nofollow", R(open("/dir/abs_etc", O_PATH | O_NOFOLLOW)));
  add("open-directory", R(open("/etc/passwd", O_RDONLY | O_DIRECTORY)));
  add("openat-dirfd", R(openat(open("/etc", O_PATH | O_DIRECTORY), "passwd", O_RDONLY)));
  add("openat-badfd", R(openat(999, "passwd", O_RDONLY)));
  add("stat", stat("/etc/passwd", &st) == 0 ? std::to_string(st.st_size) : "-");
  add("lstat-link", lstat("/dir/abs_etc", &st) == 0 ? std::to_string(S_ISLNK(st.st_mode)) : "-");
  add("stat-link", stat("/dir/abs_etc", &st) == 0 ? std::to_string(S_ISDIR(st.st_mode)) : "-");
  add("stat-missing", R(stat("/missing", &st)));
  struct statx sx;
  add("statx", statx(AT_FDCWD, "../etc/passwd", 0, STATX_SIZE, &sx) == 0 ? std::to_string(sx.stx_size) : "-");
  add("access-r", R(access("/etc/passwd", R_OK)));
  add("access-w", R(access("/etc/passwd", W_OK)));
  add("access-x", R(access("/etc/passwd", X_OK)));
  add("access-secret", R(access("/etc/secret", R_OK)));
  char link[64] = {};
  long n = readlink("/dir/abs_etc", link, sizeof(link));
  add("readlink", n > 0 ? std::string(link, n) : R(n));
  add("readlink-file", R(readlink("/etc/passwd", link, sizeof(link))));
  add("mkdir", R(mkdir("/dir/d1", 0777)));
  add("mkdir-again", R(mkdir("/dir/d1/", 0777)));
  add("mkdir-missing", R(mkdir("/missing/x", 0777)));
  add("mkdir-etc", R(mkdir("/etc/x", 0777)));
  add("mode-d1", stat("/dir/d1", &st) == 0 ? std::to_string(st.st_mode) : "-");
  add("rename", R(rename("/dir/d1", "d2")));
  add("rename-missing", R(rename("/dir/nope", "/dir/x")));
  add("renameat2-noreplace", R(renameat2(AT_FDCWD, "/dir/file", AT_FDCWD, "/dir/new", RENAME_NOREPLACE)));
  add("unlink", R(unlink("/dir/new")));
  add("unlink-dir", R(unlink("/dir/d2")));
  add("unlink-slash", R(unlink("/dir/file/")));
  add("rmdir-dot", R(rmdir("/dir/.")));
  add("rmdir-full", R(rmdir("/dir")));
  add("rmdir", R(rmdir("/dir/d2")));
  add("unlink-secret", R(unlink("/etc/secret")));
  add("chdir-missing", R(chdir("nope")));
  add("chdir-file", R(chdir("file")));
  add("chdir", R(chdir("../etc")));
  add("open-after-chdir", R(open("passwd", O_RDONLY)));
  int srv = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path, "/dir/sock");
  add("bind-unix", R(bind(srv, reinterpret_cast<sockaddr*>(&un), sizeof(un))));
  add("listen", R(listen(srv, 1)));
  int cli = socket(AF_UNIX, SOCK_STREAM, 0);
  strcpy(un.sun_path, "../dir/sock");  // cwd is /etc now
  add("connect-unix", R(connect(cli, reinterpret_cast<sockaddr*>(&un), sizeof(un))));
  strcpy(un.sun_path, "/dir/nosock");
  add("connect-missing", R(connect(socket(AF_UNIX, SOCK_STREAM, 0), reinterpret_cast<sockaddr*>(&un), sizeof(un))));
  add("unlink-sock", R(unlink("/dir/sock")));
  return r;
}

TEST_F(NotifyLoopTest, ServedCallsMatchNativeAsRoot) {
  std::string native = Run(Conformance, {.served = false});
  ASSERT_TRUE(system(("rm -rf " + root_ + "/dir/d1 " + root_ + "/dir/d2 " + root_ + "/dir/new " + root_ + "/etc/x").c_str()) == 0);
  ASSERT_TRUE(WriteFile(root_ + "/etc/secret", "s", 0600).ok());  // root could unlink it
  ASSERT_EQ(chmod((root_ + "/etc/secret").c_str(), 0600), 0);
  std::string served = Run(Conformance, {.served = true});
  EXPECT_NE(native.find("open=ok"), std::string::npos) << native;
  EXPECT_NE(native.find("connect-unix=0"), std::string::npos) << native;
  EXPECT_EQ(served, native);
  WaitIdle();
}

TEST_F(NotifyLoopTest, ServedCallsMatchNativeAsNobody) {
  std::string native = Run(Conformance, {.served = false, .uid = 65534});
  ASSERT_TRUE(system(("rm -rf " + root_ + "/dir/d1 " + root_ + "/dir/d2 " + root_ + "/dir/new " + root_ + "/etc/x").c_str()) == 0);
  std::string served = Run(Conformance, {.served = true, .uid = 65534});
  EXPECT_NE(native.find("open-secret=-EACCES"), std::string::npos) << native;
  EXPECT_EQ(served, native);
  WaitIdle();
}

TEST_F(NotifyLoopTest, SymlinkSwapRaceStaysInsideRoot) {
  ASSERT_TRUE(MkdirAll(root_ + "/dir/real").ok());
  ASSERT_TRUE(WriteFile(root_ + "/dir/real/secret", "inside").ok());
  // Natively "../../outside" from root/dir reaches base/outside: the sentry must clamp it.
  ASSERT_EQ(symlink("../../outside", (root_ + "/dir/evil").c_str()), 0);
  std::atomic<bool> stop{false};
  std::thread swapper;
  std::string result = Run(
      [] {
        int escaped = 0, opened = 0;
        for (int i = 0; i < 3000; ++i) {
          int fd = open("/dir/swap/secret", O_RDONLY);
          if (fd < 0) continue;
          ++opened;
          char buf[16] = {};
          if (read(fd, buf, sizeof(buf)) > 0 && strcmp(buf, "outside") == 0) ++escaped;
          close(fd);
        }
        return "escaped=" + std::to_string(escaped) + " opened>0=" + std::to_string(opened > 0);
      },
      {.served = true, .after_start = [&] {
         swapper = std::thread([&, dir = root_ + "/dir"] {
           while (!stop) {
             (void)!rename((dir + "/real").c_str(), (dir + "/swap").c_str());
             (void)!rename((dir + "/swap").c_str(), (dir + "/real").c_str());
             (void)!rename((dir + "/evil").c_str(), (dir + "/swap").c_str());
             (void)!rename((dir + "/swap").c_str(), (dir + "/evil").c_str());
           }
         });
       }});
  stop = true;
  if (swapper.joinable()) swapper.join();
  EXPECT_EQ(result, "escaped=0 opened>0=1");
  WaitIdle();
}

TEST_F(NotifyLoopTest, BlockingOpenDoesNotStallOthersAndKilledCallerLeaksNothing) {
  ASSERT_EQ(mkfifo((root_ + "/dir/fifo").c_str(), 0666), 0);
  int before = CountFds();
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  sock_fprog fprog{static_cast<unsigned short>(prog_.size()), prog_.data()};
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir((root_ + "/dir").c_str()) != 0) _exit(1);
    int listener = InstallSyscallFilterRaw(&fprog);
    if (listener < 0 || SendFd(sv[1], listener) != 0) _exit(2);
    close(listener);
    std::thread blocked([] { (void)!open("fifo", O_RDONLY); });  // no writer: blocks in the sentry
    usleep(50 * 1000);
    struct stat st;
    char ok = stat("/etc/passwd", &st) == 0 ? 'y' : 'n';
    (void)!write(report[1], &ok, 1);
    blocked.join();  // never returns: killed below
    _exit(0);
  }
  ChildProcess child(pid);
  close(report[1]);
  auto listener = RecvFd(sv[0]);
  ASSERT_TRUE(listener.ok());
  ASSERT_TRUE(loop_.AddListener(std::move(*listener), MakeContainer()).ok());
  char ok = 0;
  ASSERT_EQ(read(report[0], &ok, 1), 1);
  EXPECT_EQ(ok, 'y') << "a served stat completed while another served open blocked";
  ASSERT_TRUE(child.Signal(SIGKILL).ok());
  ASSERT_TRUE(child.Wait().ok());
  // Release the sentry thread stuck in the FIFO open; its ADDFD then finds the caller gone.
  int w = open((root_ + "/dir/fifo").c_str(), O_WRONLY | O_NONBLOCK);
  WaitIdle();
  if (w >= 0) close(w);
  close(report[0]);
  close(sv[0]);
  close(sv[1]);
  EXPECT_EQ(CountFds(), before);
}

TEST_F(NotifyLoopTest, TwoHundredThreadsHammerServedOpens) {
  int before = CountFds();
  std::string result = Run(
      [] {
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 200; ++t) {
          threads.emplace_back([&] {
            for (int i = 0; i < 20; ++i) {
              int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
              char c;
              if (fd < 0 || read(fd, &c, 1) != 1 || c != 'i') ++failures;
              if (fd >= 0) close(fd);
            }
          });
        }
        for (auto& th : threads) th.join();
        return "failures=" + std::to_string(failures.load());
      },
      {.served = true});
  EXPECT_EQ(result, "failures=0");
  WaitIdle();
  EXPECT_EQ(CountFds(), before);
}

TEST_F(NotifyLoopTest, KilledCallersMidCallLeakNothing) {
  int before = CountFds();
  for (int round = 0; round < 5; ++round) {
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    sock_fprog fprog{static_cast<unsigned short>(prog_.size()), prog_.data()};
    pid_t pid = fork();
    if (pid == 0) {
      if (chroot(root_.c_str()) != 0) _exit(1);
      int listener = InstallSyscallFilterRaw(&fprog);
      if (listener < 0 || SendFd(sv[1], listener) != 0) _exit(2);
      close(listener);
      std::vector<std::thread> threads;
      for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&] {
          for (;;) {
            int fd = open("/etc/passwd", O_RDONLY);
            if (fd >= 0) close(fd);
          }
        });
      }
      for (auto& th : threads) th.join();
      _exit(0);
    }
    ChildProcess child(pid);
    auto listener = RecvFd(sv[0]);
    ASSERT_TRUE(listener.ok());
    ASSERT_TRUE(loop_.AddListener(std::move(*listener), MakeContainer()).ok());
    usleep(20 * 1000 * (round + 1));
    ASSERT_TRUE(child.Signal(SIGKILL).ok());
    ASSERT_TRUE(child.Wait().ok());
    close(sv[0]);
    close(sv[1]);
  }
  WaitIdle();
  EXPECT_EQ(CountFds(), before);
}

}  // namespace
}  // namespace see::sentry
