#include "runtime/linux/init.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/file_util.h"
#include "base/unix_address.h"
#include "base/logging.h"
#include "runtime/linux/bootstrap.h"
#include "runtime/linux/capabilities.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/mounts.h"
#include "runtime/linux/process_setup.h"
#include "runtime/linux/seccomp.h"
#include "runtime/linux/state.h"
#include "runtime/linux/sync.h"
#include "runtime/linux/terminal.h"
#include "runtime/oci/spec.h"
#include "sentry-lite/sentry/control_protocol.h"
#include "sentry-lite/syscalls/bpf_filter.h"

namespace see::runtime {
namespace {

struct InitContext {
  Bootstrap boot;
  oci::Spec spec;
  oci::Process process;
  int sync_fd = -1;
  int console_fd = -1;
  int new_ns_flags = 0;      // namespaces this container creates
  bool in_user_ns = false;   // created or joined one
  pid_t host_pid = 0;        // our pid as the runtime sees it (from kGo)
  bool parent_gone = false;  // after kReady the runtime has exited
  bool rootfs_is_cwd = false;  // create: stage 0 entered the rootfs (RootfsContext)
  int fifo_fd = -1;            // create: exec.fifo (O_PATH), opened by stage 0
  bool net_sysctls_done = false;  // stage 0 wrote the net.* sysctls (joined netns, user ns)
  // Sandbox::kSentry: the connection to the sentry (made on the host side before any setns), the
  // filter and the registration message, both built before clone (no allocation after the filter).
  int sentry_fd = -1;
  std::vector<sock_filter> sentry_filter;
  sentry::Registration sentry_registration;  // pid and fd numbers are filled in last
};

[[noreturn]] void Fail(const InitContext& c, const Status& st) {
  std::string msg = st.ToString();
  if (!c.parent_gone && c.sync_fd >= 0) {
    (void)SendSync(c.sync_fd, SyncType::kError, msg);
  } else {
    std::string line = "runsee init: " + msg + "\n";
    (void)!write(2, line.data(), line.size());
  }
  _exit(127);
}

#define INIT_CHECK(ctx, expr)             \
  do {                                    \
    ::see::Status init_st_ = (expr);      \
    if (!init_st_.ok()) Fail(ctx, init_st_); \
  } while (0)

void ResetSignals() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

struct NsJoin {
  oci::NamespaceType type;
  UniqueFd fd;
};

bool SameNamespace(const std::string& a, const std::string& b) {
  struct stat sa{}, sb{};
  if (stat(a.c_str(), &sa) < 0 || stat(b.c_str(), &sb) < 0) return false;
  return sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

const char* ProcNsName(oci::NamespaceType t) {
  switch (t) {
    case oci::NamespaceType::kPid: return "pid";
    case oci::NamespaceType::kNetwork: return "net";
    case oci::NamespaceType::kMount: return "mnt";
    case oci::NamespaceType::kIpc: return "ipc";
    case oci::NamespaceType::kUts: return "uts";
    case oci::NamespaceType::kUser: return "user";
    case oci::NamespaceType::kCgroup: return "cgroup";
    case oci::NamespaceType::kTime: return "time";
  }
  return "";
}

// Namespaces to setns() into, user first in the list (RunInitMain joins it after the others when
// it can) and mount last. Every fd is opened before any setns (the paths are host paths).
Result<std::vector<NsJoin>> CollectJoins(InitContext& c) {
  std::vector<std::pair<oci::NamespaceType, std::string>> wanted;
  if (c.boot.mode == Bootstrap::Mode::kExec) {
    for (auto t : {oci::NamespaceType::kUser, oci::NamespaceType::kIpc, oci::NamespaceType::kUts,
                   oci::NamespaceType::kNetwork, oci::NamespaceType::kPid,
                   oci::NamespaceType::kCgroup, oci::NamespaceType::kTime,
                   oci::NamespaceType::kMount}) {
      std::string theirs = "/proc/" + std::to_string(c.boot.target_pid) + "/ns/" + ProcNsName(t);
      std::string ours = std::string("/proc/self/ns/") + ProcNsName(t);
      if (access(theirs.c_str(), F_OK) != 0 || SameNamespace(theirs, ours)) continue;
      wanted.emplace_back(t, theirs);
    }
  } else if (c.spec.linux) {
    for (const auto& ns : c.spec.linux->namespaces) {
      if (ns.path.empty()) {
        c.new_ns_flags |= oci::NamespaceCloneFlag(ns.type);
      } else {
        wanted.emplace_back(ns.type, ns.path);
      }
    }
  }
  std::vector<NsJoin> out;
  auto add = [&](bool user, bool mnt) -> Status {
    for (const auto& [t, path] : wanted) {
      bool is_user = t == oci::NamespaceType::kUser, is_mnt = t == oci::NamespaceType::kMount;
      if (is_user != user || is_mnt != mnt) continue;
      int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return ErrnoStatus(std::string("open namespace ") + path);
      out.push_back(NsJoin{t, UniqueFd(fd)});
    }
    return Status::Ok();
  };
  SEE_RETURN_IF_ERROR(add(true, false));
  SEE_RETURN_IF_ERROR(add(false, false));
  SEE_RETURN_IF_ERROR(add(false, true));
  return out;
}

// `only_net`: just the net.* keys (stage 0, in a joined network namespace, before a joined user
// namespace makes it foreign); `skip_net`: all but those.
Status ApplySysctls(const InitContext& c, bool only_net = false, bool skip_net = false) {
  if (!c.spec.linux) return Status::Ok();
  auto has = [&](oci::NamespaceType t) { return c.spec.HasNamespace(t); };
  for (const auto& [key, value] : c.spec.linux->sysctl) {
    bool net = key.rfind("net.", 0) == 0;
    if ((only_net && !net) || (skip_net && net)) continue;
    static const char* kIpc[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                                 "kernel.sem", "kernel.shmall", "kernel.shmmax",
                                 "kernel.shmmni", "kernel.shm_rmid_forced"};
    bool ok = false;
    for (const char* k : kIpc) {
      if (key == k) ok = has(oci::NamespaceType::kIpc);
    }
    if (key.rfind("fs.mqueue.", 0) == 0) ok = has(oci::NamespaceType::kIpc);
    if (key.rfind("net.", 0) == 0) ok = has(oci::NamespaceType::kNetwork);
    if (key == "kernel.hostname" || key == "kernel.domainname") ok = has(oci::NamespaceType::kUts);
    if (!ok) {
      return InvalidArgument("sysctl \"" + key +
                             "\" is not in a separate kernel namespace or is not allowed");
    }
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    SEE_RETURN_IF_ERROR(WriteExistingFile(path, value).Wrap("sysctl " + key));
  }
  return Status::Ok();
}

std::string HookState(const InitContext& c, const char* status) {
  ContainerState s;
  s.id = c.boot.id;
  s.bundle = c.boot.bundle;
  s.annotations = c.spec.annotations;
  return OciStateJson(s, status, c.host_pid);
}

Status LoadSeccomp(InitContext& c, SeccompFilter& filter) {
  SEE_ASSIGN_OR_RETURN(UniqueFd listener, filter.Load());
  if (!listener) return Status::Ok();
  SEE_RETURN_IF_ERROR(SendSync(c.sync_fd, SyncType::kSeccompFd, "", listener.get()));
  return ExpectSync(c.sync_fd, SyncType::kSeccompDone).status();
}

// Blocks until `runsee start` opens the fifo for reading, then tells it we are going.
Status WaitForStart(int fifo_path_fd) {
  std::string path = FdPath(fifo_path_fd);
  int fd;
  while ((fd = open(path.c_str(), O_WRONLY | O_CLOEXEC)) < 0) {
    if (errno != EINTR) return ErrnoStatus("open exec fifo");
  }
  UniqueFd fifo(fd);
  SEE_RETURN_IF_ERROR(WriteAll(fifo.get(), "0"));
  return Status::Ok();
}

// As runc for a network namespace it creates itself: loopback up, so 127.0.0.1 works in a
// container started without CNI (ctr run). Namespaces given by path (a CRI pod's) are left as
// their owner configured them.
Status BringUpLoopback() {
  UniqueFd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!sock) return ErrnoStatus("socket for loopback set-up");
  struct ifreq ifr{};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return ErrnoStatus("SIOCGIFFLAGS lo");
  if (ifr.ifr_flags & IFF_UP) return Status::Ok();
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
  if (ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) return ErrnoStatus("bringing up lo");
  return Status::Ok();
}

// WAIT_KILLABLE_RECV: once the sentry has received a call, only fatal signals interrupt the wait
// (stat & co. no longer fail with EINTR); served blocking opens are ended by the sentry when a
// signal is pending (notify/sys_file.cc OpenWatchdog, docs/security-model.md).
constexpr unsigned kSentryFilterFlags = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;

// `sets` with CAP_SYS_ADMIN in the effective set: installing a filter without no_new_privs.
Status RaiseSysAdmin(CapSets sets) {
  sets.effective |= uint64_t{1} << CAP_SYS_ADMIN;
  return SetCapSets(sets);
}

// The spec's seccomp profile is loaded before the sentry's filter, whose registration needs
// capget, capset (without no_new_privs: CAP_SYS_ADMIN raised for the install) and seccomp(2) with a
// listener. A profile that refuses them would end the container at start, after create succeeded:
// the same steps are tried here, in a throw-away child under the same filter, so that create fails
// with the reason. The fork is under the profile too: a fork it refuses (or a pids limit) skips
// the check, and the container goes on as before it.
Status ProbeSentryRegistration(const InitContext& c) {
  const bool nnp = c.process.no_new_privileges;
  pid_t pid = fork();
  if (pid < 0) return Status::Ok();
  if (pid == 0) {
    // Exit status: 50 * step + errno (capget 1, capset 2, seccomp 3).
    auto fail = [](int step) { _exit(50 * step + std::min(errno, 49)); };
    auto saved = ReadCapSets();
    if (!saved.ok()) fail(1);
    if (!nnp && !RaiseSysAdmin(*saved).ok()) fail(2);
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    sock_fprog prog{1, &allow};
    int listener = sentry::InstallSyscallFilterRaw(&prog, kSentryFilterFlags, nnp);
    if (listener < 0) {
      errno = -listener;
      fail(3);
    }
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("waitpid");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  if (!WIFEXITED(status)) {
    return InvalidArgument("linux.seccomp refuses a call of the sentry's registration (capget, "
                           "capset or seccomp(2): killed by signal " + std::to_string(WTERMSIG(status)) +
                           "), which the sentry needs before the container's program starts");
  }
  int code = WEXITSTATUS(status);
  const char* what = code / 50 == 1 ? "capget" : code / 50 == 2 ? "capset" : "seccomp(2) with a listener";
  return InvalidArgument(std::string("linux.seccomp refuses ") + what + " (" + strerrorname_np(code % 50) +
                         "), which the sentry needs before the container's program starts (allow "
                         "it, or run the container without the sentry)");
}

// The last step before execve: put ourselves under sentry-lite's filter and have the sentry take
// its listener and our root (pidfd_getfd, control_protocol.h). Only write/read/close and capset
// after the filter (host-class, or notified and continued without reading our memory), then the
// execve, which is served: in a pod user namespace the sentry serves from inside it and may not
// read the memory of an init that still has the host's (docs/security-model.md), so nothing else
// may be served before the exec. With process.noNewPrivileges the filter comes after
// no_new_privs. Without it the filter is installed without (a setuid file or file capabilities
// then work in the container as under runc), which needs CAP_SYS_ADMIN in the effective set:
// ApplyCapSets left it permitted, it is raised for the install and the sets are `final` (the
// spec's; without capabilities in the spec: those we had) once the sentry serves us.
Status RegisterWithSentry(InitContext& c, const std::optional<CapSets>& final) {
  const bool nnp = c.process.no_new_privileges;
  CapSets saved;
  if (!nnp) {
    SEE_ASSIGN_OR_RETURN(saved, ReadCapSets());
    Status st = RaiseSysAdmin(saved);
    if (!st.ok()) return st.Wrap("installing sentry-lite's filter without no_new_privs needs CAP_SYS_ADMIN");
  }
  // Back to the sets the container is to have (or had), once the sentry serves us.
  auto restore = [&]() -> Status {
    if (nnp) return Status::Ok();
    return SetCapSets(final ? *final : saved).Wrap("after the sentry's filter");
  };
  UniqueFd root(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoStatus("opening the container root for the sentry");
  sentry::Registration reg = c.sentry_registration;
  reg.pid = c.host_pid;
  reg.root_fd = root.get();
  // The listener takes the lowest free fd number: reserve one now and name it in the message,
  // built before the filter exists.
  UniqueFd slot(dup(root.get()));
  if (!slot) return ErrnoStatus("dup");
  reg.listener_fd = slot.get();
  std::string msg = sentry::EncodeRegistration(reg);
  slot.Reset();
  sock_fprog prog{static_cast<unsigned short>(c.sentry_filter.size()), c.sentry_filter.data()};
  int listener = sentry::InstallSyscallFilterRaw(&prog, kSentryFilterFlags, nnp);
  if (listener < 0) return ErrnoStatus(-listener, "installing the sentry-lite filter");
  UniqueFd owned_listener(listener);
  if (listener != reg.listener_fd) return Internal("seccomp listener landed on an unexpected fd");
  ssize_t n;
  do {
    n = write(c.sentry_fd, msg.data(), msg.size());
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(msg.size())) return ErrnoStatus("registering with the sentry");
  char reply[sizeof(sentry::ControlHeader) + sizeof(int32_t)];
  do {
    n = read(c.sentry_fd, reply, sizeof(reply));
  } while (n < 0 && errno == EINTR);
  sentry::ControlHeader h{};
  int32_t err = EPROTO;
  if (n == static_cast<ssize_t>(sizeof(reply))) {
    memcpy(&h, reply, sizeof(h));
    if (h.type == static_cast<uint32_t>(sentry::ControlType::kRegistered)) {
      memcpy(&err, reply + sizeof(h), sizeof(err));
    }
  }
  close(c.sentry_fd);
  c.sentry_fd = -1;
  if (err != 0) return ErrnoStatus(err, "the sentry refused to serve this process");
  return restore();
}

[[noreturn]] void ContainerProcess(InitContext& c) {
  // Id-mapped mount sources (mounts.h) come first, then kGo.
  std::map<std::string, UniqueFd> mount_fds;
  Result<SyncMessage> go = NotFound("");
  for (;;) {
    go = RecvSync(c.sync_fd);
    if (!go.ok()) _exit(1);  // the runtime went away: nothing to report to
    if (go->type == SyncType::kGo) break;
    if (go->type != SyncType::kMountFd || !go->fd) _exit(1);
    mount_fds[go->payload] = std::move(go->fd);
  }
  c.host_pid = std::atoi(go->payload.c_str());
  bool create = c.boot.mode == Bootstrap::Mode::kCreate;

  if (c.in_user_ns) {
    // Become the namespace's root (the maps were written by the runtime before kGo).
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
      Fail(c, ErrnoStatus("becoming root in the user namespace"));
    }
  }
  // Our cgroups as the host names them, before a cgroup namespace hides the prefix.
  auto own_cgroups = ReadFile("/proc/self/cgroup");
  // After the runtime moved us into the container's cgroup, so it becomes the ns root.
  if (c.new_ns_flags & CLONE_NEWCGROUP) {
    if (unshare(CLONE_NEWCGROUP) < 0) Fail(c, ErrnoStatus("unshare cgroup namespace"));
  }
  if (setsid() < 0) Fail(c, ErrnoStatus("setsid"));
  if (create && (c.new_ns_flags & CLONE_NEWNET)) INIT_CHECK(c, BringUpLoopback());

  UniqueFd fifo;
  if (create) {
    if (!(c.new_ns_flags & CLONE_NEWNS)) {
      Fail(c, InvalidArgument("a new mount namespace is required (linux.namespaces: mount)"));
    }
    RootfsContext rctx;
    rctx.rootfs = c.boot.rootfs;
    // A mount namespace joined by path reset our cwd to its root.
    rctx.rootfs_is_cwd = c.rootfs_is_cwd && (c.new_ns_flags & CLONE_NEWNS) != 0;
    rctx.user_ns = c.in_user_ns;
    rctx.new_net_ns = (c.new_ns_flags & CLONE_NEWNET) != 0;
    rctx.new_cgroup_ns = (c.new_ns_flags & CLONE_NEWCGROUP) != 0;
    rctx.cgroup_v2 = c.boot.cgroup_v2;
    rctx.cgroup_path = c.boot.cgroup_path;
    if (own_cgroups.ok()) rctx.v1_paths = ParseProcCgroup(*own_cgroups);
    for (const auto& [key, fd] : mount_fds) {
      if (key == "rootfs") {
        rctx.idmapped_rootfs = fd.get();
      } else {
        rctx.idmapped_mounts[static_cast<size_t>(std::atol(key.c_str()))] = fd.get();
      }
    }
    INIT_CHECK(c, PrepareRootfs(c.spec, rctx));
    mount_fds.clear();
    if (c.spec.hooks &&
        (!c.spec.hooks->create_runtime.empty() || !c.spec.hooks->prestart.empty())) {
      INIT_CHECK(c, SendSync(c.sync_fd, SyncType::kRunHooks));
      INIT_CHECK(c, ExpectSync(c.sync_fd, SyncType::kHooksDone).status());
    }
    if (c.spec.hooks) {
      INIT_CHECK(c, RunHooks(c.spec.hooks->create_container, HookState(c, "created"),
                             "createContainer"));
    }
    if (c.fifo_fd < 0) Fail(c, ErrnoStatus("open exec fifo"));
    fifo.Reset(c.fifo_fd);
    c.fifo_fd = -1;
    INIT_CHECK(c, EnterRootfs(rctx.rootfs_is_cwd ? "." : c.boot.rootfs, c.boot.no_pivot));
    INIT_CHECK(c, ApplyRootPropagation(c.spec));
    INIT_CHECK(c, MkdirAll(c.process.cwd, 0755).Wrap("creating cwd"));
    // As runc: hostname, domainname and sysctls before readonly/masked paths make /proc/sys
    // read-only.
    bool own_uts = (c.new_ns_flags & CLONE_NEWUTS) != 0 || c.spec.HasNamespace(oci::NamespaceType::kUts);
    if (!c.spec.hostname.empty()) {
      if (!own_uts) Fail(c, InvalidArgument("unable to set hostname without a private UTS namespace"));
      if (sethostname(c.spec.hostname.data(), c.spec.hostname.size()) < 0) {
        Fail(c, ErrnoStatus("sethostname"));
      }
    }
    if (!c.spec.domainname.empty()) {
      if (!own_uts) {
        Fail(c, InvalidArgument("unable to set domainname without a private UTS namespace"));
      }
      if (setdomainname(c.spec.domainname.data(), c.spec.domainname.size()) < 0) {
        Fail(c, ErrnoStatus("setdomainname"));
      }
    }
    INIT_CHECK(c, ApplySysctls(c, false, c.net_sysctls_done));
    INIT_CHECK(c, FinalizeRootfs(c.spec));
  }

  const oci::Process& p = c.process;
  if (p.terminal) {
    if (c.console_fd < 0) {
      Fail(c, InvalidArgument("process.terminal is set but no --console-socket was given"));
    }
    INIT_CHECK(c, SetupConsole(c.console_fd, p.console_size));
  }
  if (c.console_fd >= 0) close(c.console_fd);
  // oom_score_adj: written by stage 0 (RunInitMain) and inherited.
  INIT_CHECK(c, ApplyRlimits(p.rlimits));
  if (c.spec.linux && c.spec.linux->personality) {
    INIT_CHECK(c, ApplyPersonality(*c.spec.linux->personality));
  }
  if (chdir(p.cwd.c_str()) < 0) Fail(c, ErrnoStatus("chdir to cwd " + p.cwd));

  auto passwd = ReadFile("/etc/passwd");
  std::vector<std::string> env = BuildEnv(p.env, p.user.uid, passwd.ok() ? *passwd : "");
  if (p.args.empty()) Fail(c, InvalidArgument("process.args must not be empty"));
  auto exe = LookPath(p.args[0], env);
  if (!exe.ok()) Fail(c, exe.status());

  std::optional<SeccompFilter> filter;
  if (c.spec.linux && c.spec.linux->seccomp) {
    auto f = BuildSeccompFilter(*c.spec.linux->seccomp);
    if (!f.ok()) Fail(c, f.status());
    filter.emplace(std::move(*f));
  }
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    Fail(c, ErrnoStatus("PR_SET_NO_NEW_PRIVS"));
  }
  auto setgroups = ReadFile("/proc/self/setgroups");
  bool setgroups_allowed = !setgroups.ok() || setgroups->find("deny") == std::string::npos;
  // Without no_new_privs loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
  if (filter && !p.no_new_privileges) INIT_CHECK(c, LoadSeccomp(c, *filter));

  int last_cap = LastCap();
  std::optional<CapSets> caps;
  if (p.capabilities) {
    auto cs = ComputeCapSets(*p.capabilities, last_cap);
    if (!cs.ok()) Fail(c, cs.status());
    caps = *cs;
    INIT_CHECK(c, ApplyBoundingSet(caps->bounding, last_cap));
  }
  INIT_CHECK(c, SetupUser(p.user, setgroups_allowed));
  // sentry-lite's filter without no_new_privs needs CAP_SYS_ADMIN (RegisterWithSentry): kept in
  // the permitted set until then when we have it, and the container's sets are exact after.
  if (caps) {
    CapSets applied = *caps;
    auto now = ReadCapSets();
    if (c.sentry_fd >= 0 && !p.no_new_privileges && now.ok() &&
        (now->permitted & (uint64_t{1} << CAP_SYS_ADMIN)) != 0) {
      applied.permitted |= uint64_t{1} << CAP_SYS_ADMIN;
    }
    INIT_CHECK(c, ApplyCapSets(applied, last_cap));
  }
  if (filter && p.no_new_privileges) INIT_CHECK(c, LoadSeccomp(c, *filter));
  if (filter && filter->uses_notify() && c.sentry_fd >= 0) {
    // The kernel allows one listener per filter chain: the sentry's filter would get EBUSY.
    Fail(c, InvalidArgument("a linux.seccomp profile with SCMP_ACT_NOTIFY (listenerPath) can not "
                            "run under the sentry, which takes the seccomp listener itself"));
  }
  if (filter && c.sentry_fd >= 0 && create) INIT_CHECK(c, ProbeSentryRegistration(c));

  if (create) {
    INIT_CHECK(c, SendSync(c.sync_fd, SyncType::kReady));
    c.parent_gone = true;
    INIT_CHECK(c, WaitForStart(fifo.get()));
    fifo.Reset();
    if (c.spec.hooks) {
      INIT_CHECK(c, RunHooks(c.spec.hooks->start_container, HookState(c, "running"),
                             "startContainer"));
    }
  }

  std::vector<char*> argv, envp;
  std::vector<std::string> args = p.args;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // Only stdio and the preserved fds may reach the container's process. CLOEXEC rather than close
  // so that a failing execve can still be reported on the sync socket.
  unsigned first = 3 + static_cast<unsigned>(c.boot.preserve_fds);
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
    Fail(c, ErrnoStatus("close_range"));
  }
  if (c.sentry_fd >= 0) INIT_CHECK(c, RegisterWithSentry(c, caps));
  execve(exe->c_str(), argv.data(), envp.data());
  Fail(c, ErrnoStatus("exec " + *exe));
}

}  // namespace

void RunInitMain(int argc, char** argv) {
  // Not dumpable until the container's program runs (its execve makes it dumpable again, as
  // natively): until then no process of the pod may ptrace it or open its /proc entries, though
  // one may share its pid namespace (kubectl exec, a sibling container, a hostPID pod), and it
  // holds what the container will not (capabilities, CAP_SYS_ADMIN for the sentry's filter, the
  // sentry's socket). Stricter than runc, whose init is made non-dumpable when it joins namespaces
  // by path (CVE-2016-9962). In a pod user namespace its setresuid there makes it so anyway.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ResetSignals();
  // Our stderr is the container's: nothing may be logged there. Errors travel on the sync socket.
  spdlog::set_level(spdlog::level::off);
  if (argc < 3) _exit(2);
  int base = std::atoi(argv[2]);
  InitContext c;
  c.sync_fd = base;
  fcntl(base, F_SETFD, FD_CLOEXEC);
  fcntl(base + 1, F_SETFD, FD_CLOEXEC);
  auto boot_text = [&]() -> Result<std::string> {
    lseek(base + 1, 0, SEEK_SET);
    return ReadAll(base + 1);
  }();
  close(base + 1);
  if (!boot_text.ok()) Fail(c, boot_text.status());
  auto boot = BootstrapFromJson(*boot_text);
  if (!boot.ok()) Fail(c, boot.status());
  c.boot = std::move(*boot);
  if (c.boot.has_console) {
    c.console_fd = base + 2;
    fcntl(c.console_fd, F_SETFD, FD_CLOEXEC);
  }
  // Nothing the runtime's process had open may survive into the container.
  syscall(SYS_close_range, static_cast<unsigned>(base + 3), ~0U, 0);

  auto spec = oci::ParseSpec(c.boot.spec_json);
  if (!spec.ok()) Fail(c, spec.status().Wrap("config.json"));
  c.spec = std::move(*spec);
  if (c.boot.mode == Bootstrap::Mode::kExec) {
    auto proc = oci::ParseProcess(c.boot.process_json);
    if (!proc.ok()) Fail(c, proc.status().Wrap("process"));
    c.process = std::move(*proc);
  } else {
    if (!c.spec.process) Fail(c, InvalidArgument("config.json has no process"));
    c.process = *c.spec.process;
  }

  if (!c.boot.sentry_socket.empty()) {
    // Before any setns: the socket lives on the host side.
    auto sentry_conn = ConnectUnixSocket(c.boot.sentry_socket, SOCK_SEQPACKET);
    if (!sentry_conn.ok()) Fail(c, sentry_conn.status().Wrap("connecting to the sentry"));
    c.sentry_fd = sentry_conn->Release();
    auto filter = sentry::BuildDefaultSyscallFilter();
    if (!filter.ok()) Fail(c, filter.status());
    c.sentry_filter = std::move(*filter);
    c.sentry_registration.container_id = c.boot.id;
    c.sentry_registration.memory_cgroup = c.boot.sentry_memory_cgroup;
    c.sentry_registration.cpu_cgroup = c.boot.sentry_cpu_cgroup;
  }

  // As runc: while still privileged on the host (inside a user namespace the value may only be
  // raised, and our /proc files may not be writable); the container process inherits it.
  if (c.process.oom_score_adj) {
    Status st = WriteOomScoreAdj(*c.process.oom_score_adj);
    if (!st.ok()) Fail(c, st);
  }
  // Create: the rootfs and exec.fifo reached while we are host root, before any namespace (in a
  // user namespace the bundle's and state's host directories may not be searchable).
  if (c.boot.mode == Bootstrap::Mode::kCreate) {
    c.rootfs_is_cwd = chdir(c.boot.rootfs.c_str()) == 0;
    c.fifo_fd = open((c.boot.state_dir + "/exec.fifo").c_str(), O_PATH | O_CLOEXEC);
  }
  auto joins = CollectJoins(c);
  if (!joins.ok()) Fail(c, joins.status());
  // A joined user namespace last when we can: namespaces owned by the host's (a CNI network
  // namespace next to a pod's user namespace) can no longer be joined from inside it, while host
  // root may join those the user namespace owns. One refused before it (rootless: EPERM) is
  // retried after it, as the user namespace then grants the capabilities.
  std::vector<const NsJoin*> later;
  const NsJoin* user = nullptr;
  for (const auto& j : *joins) {
    if (j.type == oci::NamespaceType::kUser) {
      user = &j;
      continue;
    }
    if (setns(j.fd.get(), 0) == 0) continue;
    if (errno != EPERM || user == nullptr) {
      Fail(c, ErrnoStatus(std::string("setns ") + oci::NamespaceTypeName(j.type)));
    }
    later.push_back(&j);
  }
  if (user != nullptr && c.boot.mode == Bootstrap::Mode::kCreate &&
      !(c.new_ns_flags & CLONE_NEWNET) && c.spec.HasNamespace(oci::NamespaceType::kNetwork)) {
    // A joined network namespace (CNI's) is owned by the host's user namespace: its sysctls are
    // written now, as host root, not from inside the joined user namespace.
    Status st = ApplySysctls(c, /*only_net=*/true);
    if (!st.ok()) Fail(c, st);
    c.net_sysctls_done = true;
  }
  if (user != nullptr) {
    if (setns(user->fd.get(), 0) < 0) Fail(c, ErrnoStatus("setns user"));
    c.in_user_ns = true;
  }
  for (const NsJoin* j : later) {
    if (setns(j->fd.get(), 0) < 0) {
      Fail(c, ErrnoStatus(std::string("setns ") + oci::NamespaceTypeName(j->type)));
    }
  }
  joins->clear();
  if (c.new_ns_flags & CLONE_NEWUSER) c.in_user_ns = true;
  if ((c.new_ns_flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0) {
    Fail(c, ErrnoStatus("unshare time namespace"));
  }
  unsigned long flags = static_cast<unsigned long>(c.new_ns_flags) & ~(CLONE_NEWCGROUP | CLONE_NEWTIME);
  // fork semantics (no new stack), but the child's parent is the runtime (CLONE_PARENT), so the
  // runtime can wait for it and no intermediate process has to stay around.
  long pid = syscall(SYS_clone, flags | CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) Fail(c, ErrnoStatus("clone"));
  if (pid == 0) ContainerProcess(c);
  if (!SendSync(c.sync_fd, SyncType::kPid, std::to_string(pid)).ok()) _exit(1);
  _exit(0);
}

}  // namespace see::runtime
