#include "runtime/linux/container.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <filesystem>
#include <thread>

#include "base/child_process.h"
#include "base/cleanup.h"
#include "base/fd_passing.h"
#include "base/file_util.h"
#include "base/logging.h"
#include "base/unix_address.h"
#include "runtime/linux/bootstrap.h"
#include "runtime/linux/devices.h"
#include "runtime/linux/hooks.h"
#include "runtime/linux/mounts.h"
#include "runtime/linux/proc_util.h"
#include "runtime/linux/seccomp.h"
#include "runtime/linux/sync.h"
#include "sentry-lite/sentry/control_protocol.h"

extern char** environ;

namespace see::runtime {
namespace {

namespace fs = std::filesystem;

std::string ContainerDir(const RuntimeOptions& rt, const std::string& id) {
  return rt.root + "/" + id;
}

Result<std::string> AbsolutePath(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p.empty() ? "." : p, ec);
  if (ec) return ErrnoStatus(ec.value(), "resolving " + p);
  // As Go's filepath.Abs (runc): no trailing slash ("." normalizes to "dir/").
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

struct Helper {
  ChildProcess stage0;
  UniqueFd sync;
};

// The helper's fds: 0..base-1 are the caller's (stdio, then preserved fds), then the sync socket,
// the bootstrap memfd and the console.
// fork + exec of `<init_path> init <base>`, or the same started by the pod init
// (RuntimeOptions::pod_init_fd); the child only runs async-signal-safe calls.
Result<Helper> SpawnHelper(const RuntimeOptions& rt, const Bootstrap& boot, int console_fd) {
  UniqueFd parent_end, child_end;
  SEE_RETURN_IF_ERROR(MakeSyncPair(&parent_end, &child_end));
  UniqueFd mem(memfd_create("see-bootstrap", MFD_CLOEXEC));
  if (!mem) return ErrnoStatus("memfd_create");
  SEE_RETURN_IF_ERROR(WriteAll(mem.get(), BootstrapToJson(boot)));
  const int base = 3 + boot.preserve_fds;
  std::string base_str = std::to_string(base);
  std::string arg0 = "runsee", arg1 = "init";
  if (rt.pod_init_fd >= 0) {
    // [executable, cwd, fds 0..base-1, sync, bootstrap, console]
    std::vector<int> fds;
    UniqueFd exe(open(rt.init_path.c_str(), O_PATH | O_CLOEXEC));
    UniqueFd cwd(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!exe || !cwd) return ErrnoStatus("opening the helper's executable and cwd");
    fds = {exe.get(), cwd.get()};
    for (int fd = 0; fd < base; ++fd) fds.push_back(fd);
    fds.insert(fds.end(), {child_end.get(), mem.get()});
    if (console_fd >= 0) fds.push_back(console_fd);
    if (fds.size() > kMaxPassedFds) {
      return InvalidArgument("at most " + std::to_string(kMaxPassedFds - 8) +
                             " preserved fds (with a console; one more without) for a container of a pod");
    }
    sentry::SpawnRequest req{{arg0, arg1, base_str}, {}};
    for (char** e = environ; *e != nullptr; ++e) req.envp.emplace_back(*e);
    std::string frame = sentry::EncodeSpawnRequest(req);
    if (frame.size() > sizeof(sentry::ControlHeader) + sentry::kMaxPayload) {
      return InvalidArgument("the environment is too large to start a container of a pod (" +
                             std::to_string(frame.size()) + " bytes; at most " +
                             std::to_string(sentry::kMaxPayload) + ")");
    }
    int rc = SendWithFds(rt.pod_init_fd, frame.data(), frame.size(), fds.data(), fds.size());
    if (rc != 0) return ErrnoStatus(-rc, "asking the pod's see-sentry to start the helper");
    // The pod init reaps the helper; a helper that fails closes the sync socket (ExpectSync).
    return Helper{ChildProcess(), std::move(parent_end)};
  }
  // Above every target, so dup2 in the child never has src == dst (which would keep CLOEXEC).
  const int high = base + 3;
  UniqueFd s(fcntl(child_end.get(), F_DUPFD_CLOEXEC, high));
  UniqueFd m(fcntl(mem.get(), F_DUPFD_CLOEXEC, high));
  UniqueFd c(console_fd >= 0 ? fcntl(console_fd, F_DUPFD_CLOEXEC, high) : -1);
  if (!s || !m || (console_fd >= 0 && !c)) return ErrnoStatus("dup");
  std::string path = rt.init_path;
  char* argv[] = {arg0.data(), arg1.data(), base_str.data(), nullptr};
  char** envp = environ;

  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) {
    for (int fd = 3; fd < base; ++fd) fcntl(fd, F_SETFD, 0);
    if (dup2(s.get(), base) < 0 || dup2(m.get(), base + 1) < 0) _exit(126);
    if (c.valid() && dup2(c.get(), base + 2) < 0) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path.c_str(), argv, envp);
    _exit(127);
  }
  return Helper{ChildProcess(pid), std::move(parent_end)};
}

Status WriteIdMaps(pid_t pid, const oci::Linux& linux) {
  if (linux.uid_mappings.empty() || linux.gid_mappings.empty()) {
    return InvalidArgument("user namespace requested but linux.uidMappings/gidMappings are empty");
  }
  std::string proc = "/proc/" + std::to_string(pid);
  SEE_RETURN_IF_ERROR(WriteExistingFile(proc + "/gid_map", RenderIdMap(linux.gid_mappings)));
  return WriteExistingFile(proc + "/uid_map", RenderIdMap(linux.uid_mappings));
}

// OCI 1.1 id-mapped mounts and the see.dev/rootfs-idmap rootfs: made here, in the host user
// namespace, once the container's user namespace exists (created with its maps written, or
// joined), and handed to the container process before kGo (see mounts.h).
Status SendIdmappedMounts(int sync, const oci::Spec& spec, const std::string& rootfs, pid_t pid) {
  bool rootfs_idmap = false;
  auto a = spec.annotations.find(kRootfsIdmapAnnotation);
  if (a != spec.annotations.end()) {
    if (a->second != "true" && a->second != "false") {
      return InvalidArgument(std::string(kRootfsIdmapAnnotation) + " must be true or false");
    }
    rootfs_idmap = a->second == "true";
  }
  bool any = rootfs_idmap;
  for (const auto& m : spec.mounts) any |= WantsIdmap(m);
  bool user_ns = spec.HasNamespace(oci::NamespaceType::kUser);
  if (any && !user_ns) {
    return InvalidArgument("id-mapped mounts require a user namespace (linux.namespaces: user)");
  }
  // In a user namespace the container process may not reach bind sources under host
  // directories it cannot search (a 0700 bundle or state dir): every bind source is opened here
  // (open_tree), as runc 1.2 does.
  if (!user_ns) return Status::Ok();
  std::string own_ns = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd container_ns(open(own_ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!container_ns) return ErrnoStatus("open " + own_ns);
  if (rootfs_idmap) {
    SEE_ASSIGN_OR_RETURN(UniqueFd tree, MakeIdmappedTree(rootfs, container_ns.get(), true, true));
    SEE_RETURN_IF_ERROR(SendSync(sync, SyncType::kMountFd, "rootfs", tree.get()));
  }
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    std::string what = "mount " + m.destination;
    auto parsed = oci::ParseMountOptions(m.options);
    if (!parsed.ok()) return parsed.status().Wrap(what);
    bool bind = (parsed->flags & MS_BIND) != 0 || m.type == "bind";
    if (!WantsIdmap(m)) {
      if (!bind || m.type == "cgroup") continue;
      int fd = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(),
                                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                            ((parsed->flags & MS_REC) ? AT_RECURSIVE : 0)));
      if (fd < 0) return ErrnoStatus(what + ": open_tree " + m.source);
      UniqueFd tree(fd);
      SEE_RETURN_IF_ERROR(SendSync(sync, SyncType::kMountFd, std::to_string(i), tree.get()));
      continue;
    }
    if (!bind) return InvalidArgument(what + ": id-mapped mounts must be bind mounts");
    if (m.uid_mappings.empty() != m.gid_mappings.empty()) {
      return InvalidArgument(what + ": uidMappings and gidMappings go together");
    }
    // Own mappings: a throwaway user namespace holds them; otherwise the container's.
    UniqueFd own;
    if (!m.uid_mappings.empty()) {
      auto made = NewUserNamespaceFd(m.uid_mappings, m.gid_mappings);
      if (!made.ok()) return made.status().Wrap(what + ": its own mappings");
      own = std::move(*made);
    }
    bool recursive = (parsed->flags & MS_REC) != 0;
    auto tree = MakeIdmappedTree(m.source, own ? own.get() : container_ns.get(), recursive,
                                 parsed->recursive_idmap);
    if (!tree.ok()) return tree.status().Wrap(what);
    SEE_RETURN_IF_ERROR(SendSync(sync, SyncType::kMountFd, std::to_string(i), tree->get()));
  }
  return Status::Ok();
}

Status ForwardSeccompListener(const oci::Seccomp& sc, const std::string& state_json, pid_t pid,
                              int listener) {
  if (sc.listener_path.empty()) {
    return InvalidArgument("linux.seccomp uses SCMP_ACT_NOTIFY but has no listenerPath");
  }
  SEE_ASSIGN_OR_RETURN(UniqueFd sock, ConnectUnixSocket(sc.listener_path, SOCK_STREAM));
  return SendFd(sock.get(), listener,
                SeccompListenerMessage(state_json, pid, sc.listener_metadata));
}

// Reopens the container's cgroup as the creator resolved it (see ContainerState).
Result<std::unique_ptr<cgroups::Manager>> ManagerFor(const ContainerState& s) {
  SEE_ASSIGN_OR_RETURN(cgroups::Hierarchy h, cgroups::DetectHierarchy());
  h.self_paths = s.creator_cgroups;
  return cgroups::NewManager(h, s.spec_cgroups_path, s.id);
}

ContainerStatus ComputeStatus(const std::string& dir, const ContainerState& s) {
  if (!IsProcessAlive(s.init_pid, s.init_start_time)) return ContainerStatus::kStopped;
  if (PathExists(dir + "/exec.fifo")) return ContainerStatus::kCreated;
  auto mgr = ManagerFor(s);
  if (mgr.ok()) {
    auto fz = (*mgr)->GetFreezerState();
    if (fz.ok() && *fz != cgroups::FreezerState::kThawed) return ContainerStatus::kPaused;
  }
  return ContainerStatus::kRunning;
}

Result<ContainerInfo> LoadInfo(const RuntimeOptions& rt, const std::string& id) {
  SEE_RETURN_IF_ERROR(ValidateContainerId(id));
  std::string dir = ContainerDir(rt, id);
  auto st = LoadState(dir);
  if (!st.ok()) return NotFound("container " + id + " does not exist");
  ContainerInfo info;
  info.state = std::move(*st);
  info.status = ComputeStatus(dir, info.state);
  return info;
}

void RemoveDir(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) spdlog::warn("removing {}: {}", dir, ec.message());
}

// Waits (bounded) until the init is gone; a zombie counts as gone.
bool WaitGone(const ContainerState& s, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (IsProcessAlive(s.init_pid, s.init_start_time)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Runs the parent half of the sync protocol until kReady (create) or EOF (exec).
Status ServeChild(int sync, const oci::Spec& spec, const ContainerState& hook_state, pid_t pid,
                  bool until_eof) {
  for (;;) {
    auto msg = RecvSync(sync);
    if (!msg.ok()) {
      if (until_eof && msg.status().code() == Code::kNotFound) return Status::Ok();
      return Internal("container process exited during set-up");
    }
    switch (msg->type) {
      case SyncType::kError: return Internal(msg->payload);
      case SyncType::kReady:
        if (!until_eof) return Status::Ok();
        break;
      case SyncType::kRunHooks: {
        std::string st = OciStateJson(hook_state, "creating", pid);
        if (spec.hooks) {
          SEE_RETURN_IF_ERROR(RunHooks(spec.hooks->create_runtime, st, "createRuntime"));
          SEE_RETURN_IF_ERROR(RunHooks(spec.hooks->prestart, st, "prestart"));
        }
        SEE_RETURN_IF_ERROR(SendSync(sync, SyncType::kHooksDone));
        break;
      }
      case SyncType::kSeccompFd: {
        if (!msg->fd || !spec.linux || !spec.linux->seccomp) {
          return Internal("unexpected seccomp listener");
        }
        SEE_RETURN_IF_ERROR(ForwardSeccompListener(
            *spec.linux->seccomp, OciStateJson(hook_state, "creating", pid), pid, msg->fd.get()));
        SEE_RETURN_IF_ERROR(SendSync(sync, SyncType::kSeccompDone));
        break;
      }
      default:
        return Internal("unexpected message from the container process");
    }
  }
}

Status WritePidFile(const std::string& path, pid_t pid) {
  if (path.empty()) return Status::Ok();
  SEE_ASSIGN_OR_RETURN(std::string abs, AbsolutePath(path));
  return WriteFileAtomic(abs, std::to_string(pid), 0644).Wrap("writing pid file");
}

// What the sentry's /proc views read their limits from: this container's cgroup.
void SetSentryViews(const cgroups::Manager& mgr, Bootstrap& boot) {
  boot.sentry_memory_cgroup = mgr.ControllerDir("memory");
  boot.sentry_cpu_cgroup = mgr.ControllerDir("cpu");
}

// Stops the sentry Create started for this container, if it still runs (normally it has exited
// by itself once the container's processes were gone).
// When the caller is its parent (a library caller that ran Create, e.g. `runsee run`), it is
// reaped here too, so no zombie is left.
void StopOwnSentry(const ContainerState& s) {
  if (s.sentry_pid <= 0) return;
  // Not OpenVerifiedPidfd: an idle sentry may have exited already and wait as a zombie for us.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, s.sentry_pid, 0)));
  auto ps = ReadProcStat(s.sentry_pid);
  if (!pidfd || !ps.ok() || ps->start_time != s.sentry_start_time) return;
  bool ended_by_itself = ps->state == 'Z';
  if (!ended_by_itself) (void)SignalPidfd(pidfd.get(), SIGKILL);
  // Blocks until it is gone if it is our child (SIGKILL: promptly); ECHILD at once otherwise.
  siginfo_t info{};
  int rc;
  while ((rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd.get()), &info,
                      WEXITED)) < 0 &&
         errno == EINTR) {
  }
  // An idle sentry exits with 0. Anything else ended the container's service early (its calls
  // then fail with ENOSYS): say so with the end of the sentry's log, which goes with the state dir.
  if (rc == 0 && ended_by_itself && (info.si_code != CLD_EXITED || info.si_status != 0)) {
    auto log = ReadFile(s.sentry_socket + ".log");
    std::string tail = log.ok() ? log->substr(log->size() > 4000 ? log->size() - 4000 : 0) : "";
    spdlog::warn("see-sentry {} of container {} ended by itself: {} {}; its log: {}",
                 s.sentry_pid, s.id, info.si_code == CLD_EXITED ? "exit status" : "signal",
                 info.si_status, tail);
  }
}

// A container with a user namespace under its own sentry: the sentry serves from inside that
// namespace (the caller's capabilities there, none on the host: a served call of the container's
// root acts as an unprivileged host uid), so the namespace must exist before the sentry starts.
// runsee makes it here (or opens the one the spec names) and the container joins it by path, as
// the shim does for a pod's; a network namespace the spec names is joined by the sentry first
// (inside the user namespace it could not enter a host-owned one later).
struct SentryNamespaces {
  UniqueFd userns, netns;
  bool made_userns = false;  // ours: the container joins it, its maps are written already
  std::string spec_json;     // what the container's init reads
};

Result<SentryNamespaces> PrepareSentryNamespaces(const oci::Spec& spec, const std::string& spec_json) {
  SentryNamespaces out;
  out.spec_json = spec_json;
  if (!spec.linux || !spec.HasNamespace(oci::NamespaceType::kUser)) return out;
  for (const auto& ns : spec.linux->namespaces) {
    if (ns.type == oci::NamespaceType::kNetwork && !ns.path.empty()) {
      out.netns.Reset(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!out.netns) return ErrnoStatus("open network namespace " + ns.path);
    }
    if (ns.type != oci::NamespaceType::kUser) continue;
    if (!ns.path.empty()) {
      out.userns.Reset(open(ns.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!out.userns) return ErrnoStatus("open user namespace " + ns.path);
      continue;
    }
    auto made = NewUserNamespaceFd(spec.linux->uid_mappings, spec.linux->gid_mappings);
    if (!made.ok()) return made.status().Wrap("the container's user namespace");
    out.userns = std::move(*made);
    out.made_userns = true;
  }
  // The container joins the very namespaces the sentry got (a path like /proc/<pid>/ns/user could
  // name another process's by the time the container's init opens it).
  try {
    nlohmann::json j = nlohmann::json::parse(spec_json);
    JoinHeldNamespace(j, "user", out.userns.get());
    if (out.netns) JoinHeldNamespace(j, "network", out.netns.get());
    if (out.made_userns) {
      j["linux"].erase("uidMappings");
      j["linux"].erase("gidMappings");
    }
    out.spec_json = j.dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("config.json: ") + e.what());
  }
  return out;
}

}  // namespace

void JoinHeldNamespace(nlohmann::json& spec, std::string_view type, int fd) {
  std::string path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
  nlohmann::json& namespaces = spec["linux"]["namespaces"];
  for (auto& ns : namespaces) {
    if (ns.value("type", "") == type) {
      ns["path"] = path;
      return;
    }
  }
  namespaces.push_back({{"type", type}, {"path", path}});
}

Result<pid_t> Create(const RuntimeOptions& rt, const CreateOptions& o) {
  SEE_RETURN_IF_ERROR(ValidateContainerId(o.id));
  SEE_ASSIGN_OR_RETURN(std::string bundle, AbsolutePath(o.bundle));
  auto spec_json = ReadFile(bundle + "/config.json");
  if (!spec_json.ok()) return spec_json.status().Wrap("reading " + bundle + "/config.json");
  auto parsed = oci::ParseSpec(*spec_json);
  if (!parsed.ok()) return parsed.status().Wrap("config.json");
  const oci::Spec& spec = *parsed;
  if (!spec.process) return InvalidArgument("config.json: process is required");
  if (!spec.root || spec.root->path.empty()) return InvalidArgument("config.json: root.path is required");
  if (spec.linux && !spec.linux->intel_rdt_clos_id.empty()) {
    return Unimplemented("linux.intelRdt is not supported");
  }
  std::string rootfs = spec.root->path[0] == '/' ? spec.root->path : bundle + "/" + spec.root->path;
  std::error_code ec;
  rootfs = fs::canonical(rootfs, ec).string();
  if (ec) return ErrnoStatus(ec.value(), "rootfs " + spec.root->path);
  if (spec.process->terminal && o.console_socket.empty()) {
    return InvalidArgument("cannot allocate tty if runsee will detach without setting console socket");
  }
  if (!spec.process->terminal && !o.console_socket.empty()) {
    return InvalidArgument("cannot use console socket if runsee will not detach or allocate tty");
  }

  if (!spec.process->apparmor_profile.empty()) {
    spdlog::warn("AppArmor is not available on this host; profile {} not applied",
                 spec.process->apparmor_profile);
  }
  if (!spec.process->selinux_label.empty()) {
    spdlog::warn("SELinux is not available on this host; label {} not applied",
                 spec.process->selinux_label);
  }

  // Under a chroot instead of pivot_root the mount namespace's root is the host's: a process that
  // chroots into a subdirectory (which the sentry lets the kernel do) and then races a continued
  // chdir could climb out of the rootfs. Refused before anything is made (a cgroup named by the
  // spec may already exist and hold processes).
  if (o.no_pivot && o.sandbox == Sandbox::kSentry) {
    return InvalidArgument("--no-pivot is not supported with the sentry (use --sandbox=none)");
  }

  SEE_RETURN_IF_ERROR(MkdirAll(rt.root, 0711));
  std::string dir = ContainerDir(rt, o.id);
  if (mkdir(dir.c_str(), 0711) < 0) {
    if (errno == EEXIST) return AlreadyExists("container with id exists: " + o.id);
    return ErrnoStatus("creating " + dir);
  }
  UndoStack undo;
  undo.Push([dir] { RemoveDir(dir); });
  SEE_ASSIGN_OR_RETURN(ContainerLock lock, ContainerLock::Acquire(dir));
  SEE_RETURN_IF_ERROR(WriteFile(dir + "/config.json", *spec_json, 0600));
  std::string fifo = dir + "/exec.fifo";
  if (mkfifo(fifo.c_str(), 0622) < 0 || chmod(fifo.c_str(), 0622) < 0) {
    return ErrnoStatus("creating exec fifo");
  }

  std::string cgroups_path = spec.linux ? spec.linux->cgroups_path : "";
  SEE_ASSIGN_OR_RETURN(cgroups::Hierarchy hier, cgroups::DetectHierarchy());
  SEE_ASSIGN_OR_RETURN(std::shared_ptr<cgroups::Manager> mgr,
                       cgroups::NewManager(hier, cgroups_path, o.id));
  SEE_RETURN_IF_ERROR(mgr->Create().Wrap("creating cgroup"));
  // Shared with the undo step, which runs after this scope's locals are gone.
  undo.Push([mgr] {
    (void)mgr->KillAll(SIGKILL);
    Status st = mgr->Destroy();
    if (!st.ok()) spdlog::warn("removing cgroup: {}", st.ToString());
  });
  oci::Resources resources =
      spec.linux && spec.linux->resources ? *spec.linux->resources : oci::Resources{};
  for (auto& r : DefaultDeviceRules()) resources.devices.push_back(r);
  SEE_RETURN_IF_ERROR(mgr->Apply(resources).Wrap("applying cgroup resources"));

  UniqueFd console;
  if (!o.console_socket.empty()) {
    SEE_ASSIGN_OR_RETURN(console, ConnectUnixSocket(o.console_socket, SOCK_STREAM));
  }

  Bootstrap boot;
  boot.mode = Bootstrap::Mode::kCreate;
  boot.id = o.id;
  boot.bundle = bundle;
  boot.rootfs = rootfs;
  boot.state_dir = dir;
  boot.spec_json = *spec_json;
  boot.preserve_fds = o.preserve_fds;
  boot.has_console = console.valid();
  boot.no_pivot = o.no_pivot;
  boot.cgroup_v2 = mgr->version() == cgroups::Version::kV2;
  boot.cgroup_path = mgr->path();
  // Declared after `undo`, so on failure the sentry is killed before the state dir goes.
  std::optional<SentryProcess> own_sentry;
  bool made_userns = false;
  UniqueFd userns_held, netns_held;  // open until the container has joined them
  if (o.sandbox == Sandbox::kSentry) {
    boot.sentry_socket = o.sentry_socket;
    if (boot.sentry_socket.empty()) {
      SEE_ASSIGN_OR_RETURN(SentryNamespaces ns, PrepareSentryNamespaces(spec, *spec_json));
      boot.spec_json = std::move(ns.spec_json);
      made_userns = ns.made_userns;
      SEE_ASSIGN_OR_RETURN(SentryProcess sp,
                           StartSentry(rt, {.socket_path = dir + "/sentry.sock",
                                            .exit_when_idle = true,
                                            .userns_fd = ns.userns ? ns.userns.get() : -1,
                                            .netns_fd = ns.netns ? ns.netns.get() : -1}));
      userns_held = std::move(ns.userns);
      netns_held = std::move(ns.netns);
      boot.sentry_socket = sp.socket;
      own_sentry.emplace(std::move(sp));
    }
    SetSentryViews(*mgr, boot);
  }

  SEE_ASSIGN_OR_RETURN(Helper helper, SpawnHelper(rt, boot, console.get()));
  console.Reset();
  auto pid_msg = ExpectSync(helper.sync.get(), SyncType::kPid);
  if (!pid_msg.ok()) return pid_msg.status();
  ChildProcess init(static_cast<pid_t>(std::atoi(pid_msg->payload.c_str())));
  (void)helper.stage0.Wait();
  pid_t pid = init.pid();

  SEE_RETURN_IF_ERROR(mgr->AddProcess(pid).Wrap("joining cgroup"));
  bool own_user_ns = false;
  if (spec.linux) {
    for (const auto& ns : spec.linux->namespaces) {
      own_user_ns |= ns.type == oci::NamespaceType::kUser && ns.path.empty();
    }
    // A namespace runsee made (PrepareSentryNamespaces) has its maps: the container joined it.
    if (own_user_ns && !made_userns) {
      SEE_RETURN_IF_ERROR(WriteIdMaps(pid, *spec.linux).Wrap("writing id maps"));
    }
  }

  ContainerState state;
  state.id = o.id;
  state.init_pid = pid;
  state.bundle = bundle;
  state.rootfs = rootfs;
  state.created = NowRfc3339Nano();
  state.cgroup_path = mgr->path();
  state.spec_cgroups_path = cgroups_path;
  state.creator_cgroups = hier.self_paths;
  state.annotations = spec.annotations;
  state.sandbox = SandboxName(o.sandbox);
  state.sentry_socket = boot.sentry_socket;
  if (own_sentry) {
    SEE_ASSIGN_OR_RETURN(ProcStat sps, ReadProcStat(own_sentry->process.pid()));
    state.sentry_pid = own_sentry->process.pid();
    state.sentry_start_time = sps.start_time;
  }
  if (spec.linux) {
    for (const auto& ns : spec.linux->namespaces) {
      state.own_pid_ns |= ns.type == oci::NamespaceType::kPid && ns.path.empty();
    }
  }
  SEE_RETURN_IF_ERROR(SendIdmappedMounts(helper.sync.get(), spec, rootfs, pid));
  SEE_RETURN_IF_ERROR(SendSync(helper.sync.get(), SyncType::kGo, std::to_string(pid)));
  SEE_RETURN_IF_ERROR(ServeChild(helper.sync.get(), spec, state, pid, /*until_eof=*/false));

  SEE_ASSIGN_OR_RETURN(ProcStat ps, ReadProcStat(pid));
  state.init_start_time = ps.start_time;
  SEE_RETURN_IF_ERROR(SaveState(dir, state));
  SEE_RETURN_IF_ERROR(WritePidFile(o.pid_file, pid));
  (void)init.Release();
  // The sentry outlives us (it exits once the container's processes are gone, or Delete stops
  // it); whoever reaps our orphans reaps it, as for the init.
  if (own_sentry) (void)own_sentry->process.Release();
  undo.Release();
  return pid;
}

Status Start(const RuntimeOptions& rt, const std::string& id) {
  SEE_RETURN_IF_ERROR(ValidateContainerId(id));
  std::string dir = ContainerDir(rt, id);
  auto lock = ContainerLock::Acquire(dir);
  if (!lock.ok()) return NotFound("container " + id + " does not exist");
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  switch (info.status) {
    case ContainerStatus::kCreated: break;
    case ContainerStatus::kStopped:
      return FailedPrecondition("cannot start a container that has stopped");
    default:
      return FailedPrecondition("cannot start an already running container");
  }
  UniqueFd fifo(open((dir + "/exec.fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo) return ErrnoStatus("opening exec fifo");
  for (;;) {
    char byte;
    ssize_t n = read(fifo.get(), &byte, 1);
    if (n == 1) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return ErrnoStatus("reading exec fifo");
    if (!IsProcessAlive(info.state.init_pid, info.state.init_start_time)) {
      return FailedPrecondition("container init exited before start");
    }
    pollfd p{fifo.get(), POLLIN, 0};
    (void)poll(&p, 1, 100);
  }
  if (unlink((dir + "/exec.fifo").c_str()) < 0) return ErrnoStatus("removing exec fifo");
  auto spec_json = ReadFile(dir + "/config.json");
  auto spec = spec_json.ok() ? oci::ParseSpec(*spec_json) : Result<oci::Spec>(spec_json.status());
  if (spec.ok() && spec->hooks) {
    Status st = RunHooks(spec->hooks->poststart,
                         OciStateJson(info.state, "running", info.state.init_pid), "poststart");
    if (!st.ok()) spdlog::warn("{}", st.ToString());
  }
  return Status::Ok();
}

Result<ContainerInfo> GetState(const RuntimeOptions& rt, const std::string& id) {
  return LoadInfo(rt, id);
}

std::vector<ContainerInfo> List(const RuntimeOptions& rt) {
  std::vector<ContainerInfo> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(rt.root, ec)) {
    if (!e.is_directory()) continue;
    auto info = LoadInfo(rt, e.path().filename().string());
    if (info.ok()) out.push_back(std::move(*info));
  }
  return out;
}

Status Kill(const RuntimeOptions& rt, const std::string& id, int sig, bool all) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  if (all) {
    SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
    SEE_RETURN_IF_ERROR(mgr->KillAll(sig));
    if (info.status == ContainerStatus::kPaused && sig == SIGKILL) (void)mgr->Thaw();
    return Status::Ok();
  }
  if (info.status == ContainerStatus::kStopped) return FailedPrecondition("container not running");
  auto pidfd = OpenVerifiedPidfd(info.state.init_pid, info.state.init_start_time);
  if (!pidfd.ok()) return FailedPrecondition("container not running");
  return SignalPidfd(pidfd->get(), sig);
}

Status Delete(const RuntimeOptions& rt, const std::string& id, bool force) {
  SEE_RETURN_IF_ERROR(ValidateContainerId(id));
  std::string dir = ContainerDir(rt, id);
  auto lock = ContainerLock::Acquire(dir);
  if (!lock.ok()) return NotFound("container " + id + " does not exist");
  auto loaded = LoadInfo(rt, id);
  if (!loaded.ok()) {
    // A directory without state is the leftover of an interrupted create: just remove it.
    RemoveDir(dir);
    return Status::Ok();
  }
  ContainerInfo info = std::move(*loaded);
  if ((info.status == ContainerStatus::kRunning || info.status == ContainerStatus::kPaused) &&
      !force) {
    return FailedPrecondition("cannot delete container " + id + " that is not stopped: " +
                              ContainerStatusName(info.status));
  }
  auto mgr = ManagerFor(info.state);
  if (info.status != ContainerStatus::kStopped) {
    auto pidfd = OpenVerifiedPidfd(info.state.init_pid, info.state.init_start_time);
    if (pidfd.ok()) (void)SignalPidfd(pidfd->get(), SIGKILL);
  }
  if (mgr.ok()) {
    // Without its own pid namespace the init's death does not take the other processes along.
    (void)(*mgr)->KillAll(SIGKILL);
    (void)(*mgr)->Thaw();
  }
  if (!WaitGone(info.state, std::chrono::seconds(10))) {
    return Internal("container init did not exit after SIGKILL");
  }
  StopOwnSentry(info.state);
  if (mgr.ok()) {
    Status st;
    for (int i = 0; i < 50; ++i) {
      st = (*mgr)->Destroy();
      if (st.ok()) break;
      (void)(*mgr)->KillAll(SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!st.ok()) return st.Wrap("removing cgroup");
  }
  auto spec_json = ReadFile(dir + "/config.json");
  RemoveDir(dir);
  if (spec_json.ok()) {
    auto spec = oci::ParseSpec(*spec_json);
    if (spec.ok() && spec->hooks) {
      Status st = RunHooks(spec->hooks->poststop, OciStateJson(info.state, "stopped", 0),
                           "poststop");
      if (!st.ok()) spdlog::warn("{}", st.ToString());
    }
  }
  return Status::Ok();
}

Result<pid_t> Exec(const RuntimeOptions& rt, const ExecOptions& o) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, o.id));
  if (info.status == ContainerStatus::kStopped) {
    return FailedPrecondition("cannot exec in a stopped container");
  }
  if (info.status == ContainerStatus::kPaused) {
    return FailedPrecondition("cannot exec in a paused container");
  }
  std::string dir = ContainerDir(rt, o.id);
  SEE_ASSIGN_OR_RETURN(std::string spec_json, ReadFile(dir + "/config.json"));
  auto spec = oci::ParseSpec(spec_json);
  if (!spec.ok()) return spec.status().Wrap("stored config.json");
  auto proc = oci::ParseProcess(o.process_json);
  if (!proc.ok()) return proc.status().Wrap("process");
  if (proc->terminal && o.console_socket.empty()) {
    return InvalidArgument("cannot allocate tty without setting console socket");
  }
  SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
  UniqueFd console;
  if (!o.console_socket.empty() && proc->terminal) {
    SEE_ASSIGN_OR_RETURN(console, ConnectUnixSocket(o.console_socket, SOCK_STREAM));
  }
  Bootstrap boot;
  boot.mode = Bootstrap::Mode::kExec;
  boot.id = o.id;
  boot.bundle = info.state.bundle;
  boot.rootfs = info.state.rootfs;
  boot.state_dir = dir;
  boot.spec_json = spec_json;
  boot.process_json = o.process_json;
  boot.target_pid = info.state.init_pid;
  boot.preserve_fds = o.preserve_fds;
  boot.has_console = console.valid();
  boot.cgroup_v2 = mgr->version() == cgroups::Version::kV2;
  boot.cgroup_path = info.state.cgroup_path;
  if (info.state.sandbox == SandboxName(Sandbox::kSentry)) {
    boot.sentry_socket = info.state.sentry_socket;
    SetSentryViews(*mgr, boot);
  }

  SEE_ASSIGN_OR_RETURN(Helper helper, SpawnHelper(rt, boot, console.get()));
  console.Reset();
  auto pid_msg = ExpectSync(helper.sync.get(), SyncType::kPid);
  if (!pid_msg.ok()) return pid_msg.status();
  ChildProcess child(static_cast<pid_t>(std::atoi(pid_msg->payload.c_str())));
  (void)helper.stage0.Wait();
  SEE_RETURN_IF_ERROR(mgr->AddProcess(child.pid()).Wrap("joining cgroup"));
  SEE_RETURN_IF_ERROR(SendSync(helper.sync.get(), SyncType::kGo, std::to_string(child.pid())));
  SEE_RETURN_IF_ERROR(ServeChild(helper.sync.get(), *spec, info.state, child.pid(),
                                 /*until_eof=*/true));
  SEE_RETURN_IF_ERROR(WritePidFile(o.pid_file, child.pid()));
  return child.Release();
}

Status Pause(const RuntimeOptions& rt, const std::string& id) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  if (info.status != ContainerStatus::kRunning && info.status != ContainerStatus::kCreated) {
    return FailedPrecondition("container not running");
  }
  SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
  return mgr->Freeze();
}

Status Resume(const RuntimeOptions& rt, const std::string& id) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  if (info.status != ContainerStatus::kPaused) return FailedPrecondition("container not paused");
  SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
  return mgr->Thaw();
}

Result<std::vector<pid_t>> Pids(const RuntimeOptions& rt, const std::string& id) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
  return mgr->Pids();
}

Status Update(const RuntimeOptions& rt, const std::string& id, const oci::Resources& r) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  if (info.status == ContainerStatus::kStopped) return FailedPrecondition("container not running");
  SEE_ASSIGN_OR_RETURN(auto mgr, ManagerFor(info.state));
  return mgr->Apply(r);
}

Result<cgroups::Stats> Stats(const RuntimeOptions& rt, const std::string& id) {
  SEE_ASSIGN_OR_RETURN(auto mgr, OpenCgroup(rt, id));
  return mgr->GetStats();
}

Result<std::unique_ptr<cgroups::Manager>> OpenCgroup(const RuntimeOptions& rt,
                                                     const std::string& id) {
  SEE_ASSIGN_OR_RETURN(ContainerInfo info, LoadInfo(rt, id));
  if (info.status == ContainerStatus::kStopped) return FailedPrecondition("container not running");
  return ManagerFor(info.state);
}

Result<std::string> StoredSpecJson(const RuntimeOptions& rt, const std::string& id) {
  SEE_RETURN_IF_ERROR(ValidateContainerId(id));
  return ReadFile(ContainerDir(rt, id) + "/config.json");
}

Result<int> WaitForwardingSignals(pid_t pid) {
  sigset_t all, old;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  for (int s : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) sigdelset(&all, s);
  if (sigprocmask(SIG_BLOCK, &all, &old) < 0) return ErrnoStatus("sigprocmask");
  Cleanup restore([&] { sigprocmask(SIG_SETMASK, &old, nullptr); });
  UniqueFd sfd(signalfd(-1, &all, SFD_CLOEXEC));
  if (!sfd) return ErrnoStatus("signalfd");
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r < 0 && errno != EINTR) return ErrnoStatus("waitpid");
    if (r == pid) return ExitCodeFromWaitStatus(status);
    signalfd_siginfo si{};
    ssize_t n = read(sfd.get(), &si, sizeof(si));
    if (n != sizeof(si)) continue;
    if (static_cast<int>(si.ssi_signo) == SIGCHLD) continue;
    kill(pid, static_cast<int>(si.ssi_signo));
  }
}

}  // namespace see::runtime
