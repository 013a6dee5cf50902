#include "sentry-lite/syscalls/syscall_table.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <set>

#include "base/file_util.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::sentry {
namespace {

TEST(SyscallTableTest, EveryNumberOnceInOrder) {
  auto table = SyscallTable();
  ASSERT_EQ(table.size(), static_cast<size_t>(kMaxSyscall + 1));
  std::set<std::string_view> names;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].nr, static_cast<int>(i));
    EXPECT_FALSE(table[i].note.empty()) << table[i].nr;
    if (!table[i].name.empty()) {
      EXPECT_TRUE(names.insert(table[i].name).second) << table[i].name;
    }
    if (table[i].name.empty()) {
      EXPECT_EQ(table[i].cls, SyscallClass::kDeny);
      EXPECT_EQ(table[i].err, ENOSYS);
    }
  }
}

TEST(SyscallTableTest, NamesMatchLibseccomp) {
  int checked = 0;
  for (const SyscallRow& row : SyscallTable()) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, row.nr);
    if (name == nullptr) continue;  // newer than this libseccomp, or a gap
    EXPECT_EQ(row.name, std::string_view(name)) << row.nr;
    free(name);
    ++checked;
  }
  EXPECT_GT(checked, 350);
}

TEST(SyscallTableTest, NamesMatchHeaders) {
  EXPECT_EQ(SyscallNumber("openat"), SYS_openat);
  EXPECT_EQ(SyscallNumber("clone3"), SYS_clone3);
  EXPECT_EQ(SyscallNumber("set_mempolicy_home_node"), SYS_set_mempolicy_home_node);
  EXPECT_EQ(SyscallNumber("no_such_call"), -1);
}

SyscallClass ClassOf(std::string_view name) {
  int nr = SyscallNumber(name);
  EXPECT_GE(nr, 0) << name;
  return nr < 0 ? SyscallClass::kDeny : FindSyscall(nr)->cls;
}

TEST(SyscallTableTest, SecurityInvariants) {
  for (auto n : {"read", "write", "futex", "mmap", "close", "epoll_wait", "clock_gettime",
                 "getpid", "fchdir", "ptrace", "process_vm_readv", "process_vm_writev", "connect"}) {
    EXPECT_EQ(ClassOf(n), SyscallClass::kHost) << n;
  }
  for (auto n : {"open", "openat", "openat2", "creat", "stat", "lstat", "newfstatat", "statx",
                 "access", "faccessat", "faccessat2", "readlink", "readlinkat", "mkdir",
                 "mkdirat", "unlink", "unlinkat", "rmdir", "rename", "renameat", "renameat2",
                 "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat", "chown", "lchown",
                 "fchownat", "utime", "utimes", "utimensat", "futimesat", "truncate", "setxattr",
                 "getxattr", "statfs", "chdir", "execve", "execveat", "mknod", "mknodat",
                 "inotify_add_watch", "bind", "chroot"}) {
    EXPECT_EQ(ClassOf(n), SyscallClass::kSentry) << n;
  }
  for (auto n : {"mount", "umount2", "unshare", "setns", "init_module", "finit_module",
                 "kexec_load", "reboot", "swapon", "keyctl", "add_key", "request_key", "bpf",
                 "perf_event_open", "userfaultfd", "io_uring_setup", "kcmp", "pidfd_getfd",
                 "open_by_handle_at", "name_to_handle_at", "acct",
                 "quotactl", "pivot_root", "fsopen", "move_mount", "open_tree"}) {
    EXPECT_EQ(ClassOf(n), SyscallClass::kDeny) << n;
  }
  EXPECT_EQ(FindSyscall(SYS_clone3)->err, ENOSYS);
  EXPECT_EQ(FindSyscall(SYS_mount)->err, EPERM);
  // A Landlock ruleset would bind native calls only (served ones do not carry the caller's domain):
  // refused as by a kernel without Landlock.
  for (int nr : {SYS_landlock_create_ruleset, SYS_landlock_add_rule, SYS_landlock_restrict_self}) {
    EXPECT_EQ(FindSyscall(nr)->cls, SyscallClass::kDeny) << nr;
    EXPECT_EQ(FindSyscall(nr)->err, EOPNOTSUPP) << nr;
  }
}

uint32_t Expected(int nr, const uint64_t args[6]) {
  Verdict v = Evaluate(nr, args);
  switch (v.kind) {
    case Verdict::Kind::kAllow: return SECCOMP_RET_ALLOW;
    case Verdict::Kind::kNotify: return SECCOMP_RET_USER_NOTIF;
    case Verdict::Kind::kErrno: return SECCOMP_RET_ERRNO | static_cast<uint32_t>(v.err);
  }
  return 0;
}

seccomp_data Call(int nr, std::initializer_list<uint64_t> args = {}, uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d{};
  d.nr = nr;
  d.arch = arch;
  int i = 0;
  for (uint64_t a : args) d.args[i++] = a;
  return d;
}

TEST(SyscallFilterTest, ProgramAgreesWithTableForEveryRuleValue) {
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok()) << prog.status().ToString();
  EXPECT_LE(prog->size(), static_cast<size_t>(BPF_MAXINSNS));
  int compared = 0;
  for (const SyscallRow& row : SyscallTable()) {
    std::vector<std::array<uint64_t, 6>> samples = {{0, 0, 0, 0, 0, 0}, {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull}};
    for (const ArgRule& rule : row.rules) {
      std::array<uint64_t, 6> a{};
      for (const ArgTest& t : rule.tests) a[t.arg] = t.op == ArgTest::Op::kEq ? t.value : t.mask;
      samples.push_back(a);
      for (auto& x : a) x |= 0xabcd00000000ull;  // high bits must not matter
      samples.push_back(a);
    }
    for (const auto& a : samples) {
      seccomp_data d = Call(row.nr, {a[0], a[1], a[2], a[3], a[4], a[5]});
      EXPECT_EQ(RunSeccompFilter(*prog, d), Expected(row.nr, a.data())) << row.name;
      ++compared;
    }
  }
  EXPECT_GT(compared, 600);
}

TEST(SyscallFilterTest, ArgumentRules) {
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok());
  auto run = [&](int nr, std::initializer_list<uint64_t> args) { return RunSeccompFilter(*prog, Call(nr, args)); };
  const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;
  EXPECT_EQ(run(SYS_ioctl, {0, TIOCSTI}), eperm);
  EXPECT_EQ(run(SYS_ioctl, {0, TIOCSTI | (1ull << 32)}), eperm);
  EXPECT_EQ(run(SYS_ioctl, {0, TCGETS}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_clone, {CLONE_NEWNS | SIGCHLD}), eperm);
  EXPECT_EQ(run(SYS_clone, {CLONE_VM | CLONE_THREAD | CLONE_SIGHAND}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_socket, {AF_PACKET, SOCK_RAW, 0}), eperm);
  EXPECT_EQ(run(SYS_socket, {AF_INET, SOCK_RAW, 0}), eperm);
  EXPECT_EQ(run(SYS_socket, {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_socket, {AF_NETLINK, SOCK_RAW, 0 /*ROUTE*/}), SECCOMP_RET_ALLOW);
  // Refused as a kernel without the feature would refuse them (libpam's audit check needs it).
  EXPECT_EQ(run(SYS_socket, {AF_NETLINK, SOCK_RAW, 9 /*AUDIT*/}), SECCOMP_RET_ERRNO | EPROTONOSUPPORT);
  EXPECT_EQ(run(SYS_socket, {AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, 4 /*SOCK_DIAG*/}),
            SECCOMP_RET_ERRNO | EPROTONOSUPPORT);
  EXPECT_EQ(run(SYS_socket, {AF_PACKET, SOCK_DGRAM, 0}), eperm);
  EXPECT_EQ(run(SYS_socket, {AF_VSOCK, SOCK_STREAM, 0}), SECCOMP_RET_ERRNO | EAFNOSUPPORT);
  EXPECT_EQ(run(SYS_socket, {AF_ALG, SOCK_SEQPACKET, 0}), SECCOMP_RET_ERRNO | EAFNOSUPPORT);
  EXPECT_EQ(run(SYS_socket, {AF_UNIX, SOCK_RAW, 0}), eperm);
  EXPECT_EQ(run(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER}), eperm);
  EXPECT_EQ(run(SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_openat, {}), SECCOMP_RET_USER_NOTIF);
  // A path stat is served; with AT_EMPTY_PATH (glibc's fstat) it runs natively.
  EXPECT_EQ(run(SYS_newfstatat, {3, 0x1000, 0x2000, 0}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run(SYS_newfstatat, {3, 0x1000, 0x2000, AT_SYMLINK_NOFOLLOW}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run(SYS_newfstatat, {3, 0x1000, 0x2000, AT_EMPTY_PATH}), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_newfstatat, {3, 0x1000, 0x2000, 1ull << 40}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run(SYS_statx, {3, 0x1000, 0, STATX_BASIC_STATS, 0x2000}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run(SYS_statx, {3, 0x1000, AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, 0x2000}),
            SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(SYS_stat, {0x1000, 0x2000}), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run(SYS_mount, {}), eperm);
  EXPECT_EQ(run(SYS_clone3, {}), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(run(kMaxSyscall + 1, {}), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(run(400, {}), SECCOMP_RET_ERRNO | ENOSYS);  // a gap
}

TEST(SyscallFilterTest, ForeignAbisRefused) {
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok());
  EXPECT_EQ(RunSeccompFilter(*prog, Call(20 /*i386 getpid*/, {}, AUDIT_ARCH_I386)),
            SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(RunSeccompFilter(*prog, Call(0x40000000 | SYS_getpid)), SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(RunSeccompFilter(*prog, Call(SYS_getpid)), SECCOMP_RET_ALLOW);
}

// A binary search: every number is decided within a few instructions (the linear chain it
// replaced took up to ~200 for a sentry row), and rows with rules add only their rule block.
TEST(SyscallFilterTest, EveryNumberDecidesInFewInstructions) {
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok());
  size_t worst = 0;
  for (int nr = 0; nr <= kMaxSyscall + 10; ++nr) {
    const SyscallRow* row = FindSyscall(nr);
    if (row != nullptr && !row->rules.empty()) continue;
    size_t steps = 0;
    RunSeccompFilter(*prog, Call(nr), &steps);
    worst = std::max(worst, steps);
  }
  EXPECT_LE(worst, 4u + 12u) << "prologue + search + verdict";
  size_t steps = 0;
  EXPECT_EQ(RunSeccompFilter(*prog, Call(SYS_ioctl, {0, TCGETS}), &steps), SECCOMP_RET_ALLOW);
  EXPECT_LE(steps, 4u + 12u + 4u * 3u + 1u);
}

// Host rows without rules are allowed by the kernel's action cache without running the program
// (what makes getppid/pread cost no more than under an allow-all filter); everything else must run
// it, or the cache would skip a rule, a notification or a refusal.
TEST(SyscallFilterTest, KernelCacheAllowsExactlyTheRuleFreeHostRows) {
  auto prog = BuildDefaultSyscallFilter();
  ASSERT_TRUE(prog.ok());
  for (const SyscallRow& row : SyscallTable()) {
    bool cacheable = row.cls == SyscallClass::kHost && row.rules.empty();
    EXPECT_EQ(KernelCachesAllow(*prog, row.nr), cacheable) << row.nr << " " << row.name;
  }
  EXPECT_TRUE(KernelCachesAllow(*prog, SYS_getppid));
  EXPECT_TRUE(KernelCachesAllow(*prog, SYS_pread64));
  EXPECT_FALSE(KernelCachesAllow(*prog, kMaxSyscall + 1));
}

TEST(SyscallDocsTest, CommittedDocsMatchTable) {
  auto committed = ReadFile(std::string(SEE_SOURCE_DIR) + "/docs/syscalls.md");
  ASSERT_TRUE(committed.ok()) << "docs/syscalls.md missing: run `see-sentry syscalls --markdown > docs/syscalls.md`";
  EXPECT_TRUE(*committed == SyscallTableMarkdown())
      << "docs/syscalls.md is stale: run `see-sentry syscalls --markdown > docs/syscalls.md`";
}

}  // namespace
}  // namespace see::sentry
