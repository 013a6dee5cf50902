#include "runtime/linux/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string_view>
#include <vector>

#include "base/file_util.h"
#include "base/proc_tables.h"
#include "base/logging.h"
#include "runtime/linux/devices.h"

namespace see::runtime {
namespace {

// runc's rule (checkProcMount): nothing is mounted inside the container's /proc but the files
// lxcfs emulates. A bind over /proc/<pid> (of another process's directory, or the sentry's) would
// show one process's entries under another's name. Decided on the mount point itself (a symlink of
// the image leading into /proc is no way around it); a procfs mounted over /proc again is allowed.
Status CheckProcDestination(int mountpoint, const oci::Mount& m, bool bind, int bind_source) {
  std::string dest = std::filesystem::path(m.destination).lexically_normal().string();
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  struct statfs fs {};
  if (fstatfs(mountpoint, &fs) != 0) return ErrnoStatus("statfs the mount point of " + m.destination);
  struct stat st {};
  const bool proc_root = fs.f_type == PROC_SUPER_MAGIC && fstat(mountpoint, &st) == 0 && st.st_ino == 1;
  if (dest == "/proc" || proc_root) {
    // /proc itself: a procfs, or a bind of one (runc's rule).
    struct statfs src {};
    bool ok = bind ? bind_source >= 0 && fstatfs(bind_source, &src) == 0 && src.f_type == PROC_SUPER_MAGIC
                   : m.type == "proc";
    if (ok) return Status::Ok();
    return InvalidArgument("mount destination " + m.destination + ": only a procfs may be mounted on /proc (as runc)");
  }
  if (fs.f_type != PROC_SUPER_MAGIC) return Status::Ok();
  static constexpr std::string_view kLxcfsFiles[] = {
      "/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat",    "/proc/swaps",
      "/proc/uptime",  "/proc/loadavg",   "/proc/slabinfo", "/proc/net/dev", "/proc/sys/kernel/ns_last_pid"};
  for (std::string_view allowed : kLxcfsFiles) {
    if (dest == allowed) return Status::Ok();
  }
  return InvalidArgument("mount destination " + m.destination +
                         " is inside /proc: only the files lxcfs emulates may be mounted there (as runc)");
}


std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream in(path);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (!part.empty() && part != ".") out.push_back(part);
  }
  return out;
}

int Openat2(int dirfd, const std::string& path, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  how.resolve = resolve;
  return static_cast<int>(syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof(how)));
}

Status DoMount(const std::string& source, const std::string& target, const std::string& type,
               unsigned long flags, const std::string& data, const std::string& what) {
  if (mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
            type.empty() ? nullptr : type.c_str(), flags,
            data.empty() ? nullptr : data.c_str()) < 0) {
    return ErrnoStatus("mount " + what);
  }
  return Status::Ok();
}

constexpr unsigned long kPropagationFlags = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

unsigned long PropagationFlag(oci::Propagation p) {
  switch (p) {
    case oci::Propagation::kPrivate: return MS_PRIVATE;
    case oci::Propagation::kShared: return MS_SHARED;
    case oci::Propagation::kRShared: return MS_SHARED | MS_REC;
    case oci::Propagation::kSlave: return MS_SLAVE;
    case oci::Propagation::kRSlave: return MS_SLAVE | MS_REC;
    case oci::Propagation::kUnbindable: return MS_UNBINDABLE;
    case oci::Propagation::kRUnbindable: return MS_UNBINDABLE | MS_REC;
    case oci::Propagation::kUnset:
    case oci::Propagation::kRPrivate: break;
  }
  return MS_PRIVATE | MS_REC;
}

// Remounts the mount at `dest` (re-resolved, so the fd names the new mount, not what is below it).
Status RemountBind(int root_fd, const std::string& dest, unsigned long flags) {
  SEE_ASSIGN_OR_RETURN(UniqueFd fd, OpenInRoot(root_fd, dest, O_PATH));
  std::string path = FdPath(fd.get());
  unsigned long keep = LockedMountFlags(path);
  return DoMount("", path, "", MS_REMOUNT | MS_BIND | flags | keep, "", "remount " + dest);
}

// cgroup v1 (this host) : a tmpfs with one read-only bind per hierarchy of the container's own
// cgroup directory; co-mounted controllers get symlinks (cpu -> cpu,cpuacct) as on the host.
Status MountCgroupV1(int root_fd, const oci::Mount& m, const oci::MountFlags& mf,
                     const RootfsContext& ctx) {
  SEE_ASSIGN_OR_RETURN(UniqueFd mp, MakeMountpoint(root_fd, m.destination, true));
  SEE_RETURN_IF_ERROR(CheckProcDestination(mp.get(), m, false, -1));
  SEE_RETURN_IF_ERROR(DoMount("tmpfs", FdPath(mp.get()), "tmpfs",
                              MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755",
                              "tmpfs for " + m.destination));
  SEE_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  for (const MountinfoEntry& e : ParseMountinfo(mountinfo)) {
    if (e.fstype != "cgroup" || e.root != "/") continue;
    const std::string& mountpoint = e.mount_point;
    std::string name = mountpoint.substr(mountpoint.rfind('/') + 1);
    auto own = ctx.v1_paths.find(name);
    if (own == ctx.v1_paths.end()) own = ctx.v1_paths.find("name=" + name);
    if (own == ctx.v1_paths.end()) continue;
    std::string host_dir = mountpoint + (own->second == "/" ? "" : own->second);
    struct stat st{};
    if (stat(host_dir.c_str(), &st) < 0) continue;  // e.g. a named hierarchy we do not manage
    std::string dest = m.destination + "/" + name;
    SEE_ASSIGN_OR_RETURN(UniqueFd sub, MakeMountpoint(root_fd, dest, true));
    SEE_RETURN_IF_ERROR(DoMount(host_dir, FdPath(sub.get()), "", MS_BIND, "", "bind " + host_dir));
    SEE_RETURN_IF_ERROR(RemountBind(
        root_fd, dest, (mf.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)) |
                           MS_NOSUID | MS_NODEV | MS_NOEXEC));
    if (name.find(',') != std::string::npos) {
      SEE_ASSIGN_OR_RETURN(UniqueFd dir, OpenInRoot(root_fd, m.destination, O_PATH | O_DIRECTORY));
      std::istringstream names(name);
      std::string ctrl;
      while (std::getline(names, ctrl, ',')) {
        if (symlinkat(name.c_str(), dir.get(), ctrl.c_str()) < 0 && errno != EEXIST) {
          return ErrnoStatus("symlink cgroup " + ctrl);
        }
      }
    }
  }
  if (mf.flags & MS_RDONLY) {
    SEE_RETURN_IF_ERROR(RemountBind(root_fd, m.destination, MS_RDONLY));
  }
  return Status::Ok();
}

Status MountCgroup(int root_fd, const oci::Mount& m, const oci::MountFlags& mf,
                   const RootfsContext& ctx) {
  if (!ctx.cgroup_v2) return MountCgroupV1(root_fd, m, mf, ctx);
  SEE_ASSIGN_OR_RETURN(UniqueFd mp, MakeMountpoint(root_fd, m.destination, true));
  SEE_RETURN_IF_ERROR(CheckProcDestination(mp.get(), m, false, -1));
  unsigned long flags = mf.flags & ~(MS_BIND | MS_REC);
  if (ctx.new_cgroup_ns) {
    return DoMount("cgroup2", FdPath(mp.get()), "cgroup2", flags, "", m.destination);
  }
  std::string host_dir = "/sys/fs/cgroup" + ctx.cgroup_path;
  SEE_RETURN_IF_ERROR(DoMount(host_dir, FdPath(mp.get()), "", MS_BIND, "", m.destination));
  return RemountBind(root_fd, m.destination, flags);
}


Status MountOne(int root_fd, size_t index, const oci::Mount& m, const RootfsContext& ctx) {
  auto parsed = oci::ParseMountOptions(m.options);
  if (!parsed.ok()) return parsed.status().Wrap("mount " + m.destination);
  oci::MountFlags mf = *parsed;
  if (m.destination.empty() || m.destination[0] != '/') {
    return InvalidArgument("mount destination " + m.destination + " is not absolute");
  }
  std::string type = m.type;
  std::string source = m.source;
  bool bind = (mf.flags & MS_BIND) != 0 || type == "bind";
  if (type == "cgroup") return MountCgroup(root_fd, m, mf, ctx);
  // Without its own network namespace a container in a user namespace may not mount sysfs: the
  // kernel ties sysfs to the netns owner. runc binds the host's /sys instead.
  if (type == "sysfs" && ctx.user_ns && !ctx.new_net_ns) {
    bind = true;
    source = "/sys";
    mf.flags |= MS_BIND | MS_REC;
  }
  // A source the runtime opened on the host side (id-mapped, or any bind in a user namespace).
  int idmapped = -1;
  auto prepared = ctx.idmapped_mounts.find(index);
  if (prepared != ctx.idmapped_mounts.end()) idmapped = prepared->second;
  if ((!m.uid_mappings.empty() || mf.idmap) && idmapped < 0) {
    return Internal("mount " + m.destination + ": no id-mapped source was prepared");
  }

  bool is_dir = true;
  if (bind) {
    struct stat st{};
    if ((idmapped >= 0 ? fstat(idmapped, &st) : stat(source.c_str(), &st)) < 0) {
      return ErrnoStatus("mount source " + source);
    }
    is_dir = S_ISDIR(st.st_mode);
  }
  SEE_ASSIGN_OR_RETURN(UniqueFd mp, MakeMountpoint(root_fd, m.destination, is_dir));
  {
    UniqueFd source_fd;
    if (bind && idmapped < 0) source_fd.Reset(open(source.c_str(), O_PATH | O_CLOEXEC));
    SEE_RETURN_IF_ERROR(CheckProcDestination(mp.get(), m, bind, idmapped >= 0 ? idmapped : source_fd.get()));
  }
  std::string target = FdPath(mp.get());

  if (bind) {
    if (idmapped >= 0) {
      // The id-mapped copy the runtime made on the host side takes the bind's place.
      if (syscall(SYS_move_mount, idmapped, "", mp.get(), "",
                  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
        return ErrnoStatus("move_mount id-mapped " + m.destination);
      }
    } else {
      SEE_RETURN_IF_ERROR(DoMount(source, target, "", MS_BIND | (mf.flags & MS_REC), "",
                                  m.destination));
    }
    // Bind mounts ignore every flag but MS_REC on creation: the rest needs a remount.
    unsigned long extra = mf.flags & ~(MS_BIND | MS_REC | MS_REMOUNT | kPropagationFlags);
    if (extra != 0) SEE_RETURN_IF_ERROR(RemountBind(root_fd, m.destination, extra));
  } else {
    unsigned long flags = mf.flags & ~(MS_REMOUNT | kPropagationFlags);
    Status st = DoMount(source, target, type, flags, mf.data, m.destination);
    if (!st.ok() && st.err() == EPERM && ctx.user_ns && type == "mqueue") {
      // mqueue needs an ipc namespace owned by our user ns; fall back to the host's, as runc.
      SEE_RETURN_IF_ERROR(DoMount("/dev/mqueue", target, "", MS_BIND | MS_REC, "", m.destination));
    } else if (!st.ok()) {
      return st;
    }
  }
  if (mf.propagation != 0) {
    SEE_ASSIGN_OR_RETURN(UniqueFd now, OpenInRoot(root_fd, m.destination, O_PATH));
    SEE_RETURN_IF_ERROR(DoMount("", FdPath(now.get()), "", mf.propagation, "",
                                "propagation of " + m.destination));
  }
  if (mf.recursive_attrs && (mf.attr_set != 0 || mf.attr_clr != 0)) {
    SEE_ASSIGN_OR_RETURN(UniqueFd now, OpenInRoot(root_fd, m.destination, O_PATH));
    struct {
      uint64_t attr_set, attr_clr, propagation, userns_fd;
    } attr{mf.attr_set, mf.attr_clr, 0, 0};
    if (syscall(SYS_mount_setattr, now.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                sizeof(attr)) < 0) {
      return ErrnoStatus("mount_setattr " + m.destination);
    }
  }
  return Status::Ok();
}

bool HasMountAt(const oci::Spec& spec, const std::string& dest) {
  for (const auto& m : spec.mounts) {
    std::string d = m.destination;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    if (d == dest) return true;
  }
  return false;
}

bool IsBindMountAt(const oci::Spec& spec, const std::string& dest) {
  for (const auto& m : spec.mounts) {
    if (m.destination != dest) continue;
    if (m.type == "bind") return true;
    for (const auto& o : m.options) {
      if (o == "bind" || o == "rbind") return true;
    }
  }
  return false;
}

}  // namespace

std::map<std::string, std::string> ParseProcCgroup(const std::string& content) {
  std::map<std::string, std::string> out;
  std::istringstream lines(content);
  std::string line;
  while (std::getline(lines, line)) {
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    out[line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
  }
  return out;
}

std::string FdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string RenderIdMap(const std::vector<oci::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) {
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  }
  return out;
}

Result<UniqueFd> NewUserNamespaceFd(const std::vector<oci::IdMapping>& uids,
                                    const std::vector<oci::IdMapping>& gids) {
  if (uids.empty() || gids.empty()) return InvalidArgument("a user namespace needs uid and gid maps");
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) return ErrnoStatus("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  // fork semantics in a new user namespace; the child only waits for EOF (async-signal-safe, so
  // a multi-threaded caller is fine) and exists just long enough for its namespace to be opened.
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) return ErrnoStatus("clone user namespace");
  if (pid == 0) {
    close(pipefd[1]);
    char b;
    while (read(pipefd[0], &b, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  rd.Reset();
  std::string proc = "/proc/" + std::to_string(pid);
  Status st = WriteExistingFile(proc + "/uid_map", RenderIdMap(uids));
  if (st.ok()) st = WriteExistingFile(proc + "/gid_map", RenderIdMap(gids));
  int ns = st.ok() ? open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (st.ok() && ns < 0) st = ErrnoStatus("open " + proc + "/ns/user");
  wr.Reset();
  while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!st.ok()) return st.Wrap("creating a user namespace");
  return UniqueFd(ns);
}

Result<UniqueFd> MakeIdmappedTree(const std::string& path, int userns_fd, bool recursive_tree,
                                  bool recursive_idmap) {
  int fd = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, path.c_str(),
                                    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                                        (recursive_tree ? AT_RECURSIVE : 0)));
  if (fd < 0) return ErrnoStatus("open_tree " + path);
  UniqueFd tree(fd);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (syscall(SYS_mount_setattr, tree.get(), "",
              AT_EMPTY_PATH | (recursive_tree && recursive_idmap ? AT_RECURSIVE : 0), &attr,
              sizeof(attr)) < 0) {
    int err = errno;
    if (err == EINVAL) {
      return ErrnoStatus(err, "id-mapping " + path +
                                  " (does its filesystem support id-mapped mounts?)");
    }
    return ErrnoStatus(err, "id-mapping " + path);
  }
  return tree;
}

bool WantsIdmap(const oci::Mount& m) {
  if (!m.uid_mappings.empty() || !m.gid_mappings.empty()) return true;
  for (const auto& o : m.options) {
    if (o == "idmap" || o == "ridmap") return true;
  }
  return false;
}

Result<UniqueFd> OpenInRoot(int root_fd, const std::string& path, int flags) {
  int fd = Openat2(root_fd, path.empty() ? "." : path, flags,
                   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd < 0) return ErrnoStatus("open " + path + " in container root");
  return UniqueFd(fd);
}

namespace {

// Follows dangling symlinks by creating their targets inside the root (like securejoin + MkdirAll
// in runc); `depth` bounds symlink loops.
Result<UniqueFd> MkdirAllInRootDepth(int root_fd, const std::string& path, mode_t mode, int depth) {
  if (depth > 40) return ErrnoStatus(ELOOP, "mkdir " + path + " in container root");
  SEE_ASSIGN_OR_RETURN(UniqueFd cur, OpenInRoot(root_fd, ".", O_PATH | O_DIRECTORY));
  std::vector<std::string> parts = SplitPath(path);
  std::string prefix;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    std::string parent = prefix;
    prefix += "/" + part;
    int fd = Openat2(root_fd, prefix, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    if (fd < 0 && errno == ENOENT) {
      // Create in the directory the previous prefix resolved to; mkdirat never follows `part`.
      if (mkdirat(cur.get(), part.c_str(), mode) < 0) {
        if (errno != EEXIST) return ErrnoStatus("mkdir " + prefix + " in container root");
        struct stat st{};
        char target[4096];
        ssize_t n = -1;
        if (fstatat(cur.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
          n = readlinkat(cur.get(), part.c_str(), target, sizeof(target) - 1);
        }
        if (n > 0) {
          // A dangling symlink: continue at its target, still resolved inside the root.
          std::string t(target, static_cast<size_t>(n));
          std::string next = t[0] == '/' ? t : parent + "/" + t;
          for (size_t j = i + 1; j < parts.size(); ++j) next += "/" + parts[j];
          return MkdirAllInRootDepth(root_fd, next, mode, depth + 1);
        }
      }
      fd = Openat2(root_fd, prefix, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    }
    if (fd < 0) return ErrnoStatus("mkdir " + prefix + " in container root");
    cur.Reset(fd);
  }
  return cur;
}

}  // namespace

Result<UniqueFd> MkdirAllInRoot(int root_fd, const std::string& path, mode_t mode) {
  return MkdirAllInRootDepth(root_fd, path, mode, 0);
}

Result<UniqueFd> MakeMountpoint(int root_fd, const std::string& path, bool directory) {
  int fd = Openat2(root_fd, path, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  if (fd >= 0) return UniqueFd(fd);
  if (errno != ENOENT) return ErrnoStatus("open mountpoint " + path);
  if (directory) return MkdirAllInRoot(root_fd, path);
  std::vector<std::string> parts = SplitPath(path);
  if (parts.empty()) return InvalidArgument("mountpoint " + path + " is the root");
  std::string base = parts.back();
  parts.pop_back();
  std::string parent;
  for (const auto& p : parts) parent += "/" + p;
  SEE_ASSIGN_OR_RETURN(UniqueFd dir, MkdirAllInRoot(root_fd, parent));
  // O_NOFOLLOW|O_EXCL: a symlink planted at `base` is refused instead of followed.
  int f = openat(dir.get(), base.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                 0644);
  if (f < 0) return ErrnoStatus("create mountpoint " + path);
  close(f);
  return OpenInRoot(root_fd, path, O_PATH);
}

unsigned long LockedMountFlags(const std::string& path) {
  struct statvfs sv{};
  if (statvfs(path.c_str(), &sv) < 0) return 0;
  unsigned long out = 0;
  if (sv.f_flag & ST_NOSUID) out |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) out |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) out |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) out |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) out |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) out |= MS_RELATIME;
  return out;
}

Status PrepareRootfs(const oci::Spec& spec, const RootfsContext& ctx) {
  oci::Propagation prop = spec.linux ? spec.linux->rootfs_propagation : oci::Propagation::kUnset;
  // Nothing we mount may propagate back to the host. shared/rshared: pivot_root refuses shared
  // mounts, so the tree is a slave (host mounts still arrive) until ApplyRootPropagation makes the
  // new root shared after the pivot, as runc does.
  unsigned long root_flags = PropagationFlag(prop) | MS_REC;
  if (root_flags & MS_SHARED) root_flags = MS_SLAVE | MS_REC;
  SEE_RETURN_IF_ERROR(DoMount("", "/", "", root_flags, "", "/ propagation"));
  std::string rootfs = ctx.rootfs_is_cwd ? "." : ctx.rootfs;
  if (ctx.rootfs_is_cwd) {
    // The rootfs is our cwd (entered before any namespace, so no host directory on its path has
    // to be searchable in a user namespace): a copy of it (or its id-mapped copy) stacked on it,
    // and we move into that copy.
    UniqueFd tree;
    if (ctx.idmapped_rootfs < 0) {
      tree.Reset(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, ".",
                                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
      if (!tree) return ErrnoStatus("open_tree rootfs");
    }
    int fd = ctx.idmapped_rootfs >= 0 ? ctx.idmapped_rootfs : tree.get();
    if (syscall(SYS_move_mount, fd, "", AT_FDCWD, ".", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      return ErrnoStatus("move_mount rootfs");
    }
    if (fchdir(fd) < 0) return ErrnoStatus("fchdir rootfs");
  } else if (ctx.idmapped_rootfs >= 0) {
    // The rootfs seen through the container's user namespace, stacked on the host path.
    if (syscall(SYS_move_mount, ctx.idmapped_rootfs, "", AT_FDCWD, ctx.rootfs.c_str(),
                MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      return ErrnoStatus("move_mount id-mapped rootfs");
    }
  } else {
    SEE_RETURN_IF_ERROR(DoMount(ctx.rootfs, ctx.rootfs, "", MS_BIND | MS_REC, "", "rootfs bind"));
  }
  // Plain open: ctx.rootfs is a host path chosen by the caller, resolved normally.
  UniqueFd root(open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoStatus("open rootfs " + ctx.rootfs);

  mode_t old_umask = umask(0);
  Status st = [&]() -> Status {
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
      SEE_RETURN_IF_ERROR(MountOne(root.get(), i, spec.mounts[i], ctx));
    }
    std::vector<oci::Device> devices = spec.linux ? spec.linux->devices : std::vector<oci::Device>{};
    if (!IsBindMountAt(spec, "/dev")) {
      SEE_RETURN_IF_ERROR(CreateDevices(root.get(), devices, ctx.user_ns));
    }
    SEE_RETURN_IF_ERROR(CreateDevSymlinks(root.get()));
    if (HasMountAt(spec, "/dev/pts")) {
      SEE_ASSIGN_OR_RETURN(UniqueFd dev, MkdirAllInRoot(root.get(), "/dev"));
      if (unlinkat(dev.get(), "ptmx", 0) < 0 && errno != ENOENT) return ErrnoStatus("rm /dev/ptmx");
      if (symlinkat("pts/ptmx", dev.get(), "ptmx") < 0) return ErrnoStatus("symlink /dev/ptmx");
    }
    if (!HasMountAt(spec, "/dev/shm") && !IsBindMountAt(spec, "/dev")) {
      SEE_ASSIGN_OR_RETURN(UniqueFd shm, MakeMountpoint(root.get(), "/dev/shm", true));
      SEE_RETURN_IF_ERROR(DoMount("shm", FdPath(shm.get()), "tmpfs",
                                  MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k",
                                  "/dev/shm"));
    }
    return Status::Ok();
  }();
  umask(old_umask);
  return st;
}

Status EnterRootfs(const std::string& rootfs, bool no_pivot) {
  if (no_pivot) {
    if (chdir(rootfs.c_str()) < 0) return ErrnoStatus("chdir " + rootfs);
    SEE_RETURN_IF_ERROR(DoMount(rootfs, "/", "", MS_MOVE, "", "move rootfs"));
    if (chroot(".") < 0) return ErrnoStatus("chroot");
    if (chdir("/") < 0) return ErrnoStatus("chdir /");
    return Status::Ok();
  }
  UniqueFd old_root(open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!old_root) return ErrnoStatus("open /");
  UniqueFd new_root(open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
  if (!new_root) return ErrnoStatus("open " + rootfs);
  if (fchdir(new_root.get()) < 0) return ErrnoStatus("fchdir rootfs");
  // pivot_root(".", "."): the old root ends up stacked under the new one and is detached below,
  // without needing a directory for it inside the image.
  if (syscall(SYS_pivot_root, ".", ".") < 0) return ErrnoStatus("pivot_root");
  if (fchdir(old_root.get()) < 0) return ErrnoStatus("fchdir old root");
  // Make the old root a slave first so the detach cannot propagate unmounts to the host.
  SEE_RETURN_IF_ERROR(DoMount("", ".", "", MS_SLAVE | MS_REC, "", "old root slave"));
  if (umount2(".", MNT_DETACH) < 0) return ErrnoStatus("detach old root");
  if (chdir("/") < 0) return ErrnoStatus("chdir /");
  return Status::Ok();
}

Status ApplyRootPropagation(const oci::Spec& spec) {
  oci::Propagation prop = spec.linux ? spec.linux->rootfs_propagation : oci::Propagation::kUnset;
  unsigned long flags = PropagationFlag(prop);
  if (!(flags & MS_SHARED)) return Status::Ok();
  return DoMount("", "/", "", flags, "", "rootfsPropagation");
}

Status FinalizeRootfs(const oci::Spec& spec) {
  if (spec.linux) {
    for (const auto& p : spec.linux->readonly_paths) {
      struct stat st{};
      if (lstat(p.c_str(), &st) < 0) {
        if (errno == ENOENT) continue;
        return ErrnoStatus("readonly path " + p);
      }
      SEE_RETURN_IF_ERROR(DoMount(p, p, "", MS_BIND | MS_REC, "", "readonly path " + p));
      SEE_RETURN_IF_ERROR(DoMount("", p, "",
                                  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | LockedMountFlags(p),
                                  "", "readonly remount " + p));
    }
    // The mask source is the container's /dev/null, which a volume mounted on /dev can replace
    // with a symlink to, e.g., /proc/sys/kernel/core_pattern: binding that over a masked path
    // would expose (or make writable) what the mask hides (CVE-2025-31133 class, found by
    // e2e/security masked_paths_devnull). So it is opened once without following a symlink,
    // checked to be the null device, and bound through its fd.
    UniqueFd null_fd;
    auto null_source = [&]() -> Result<std::string> {
      if (!null_fd) {
        null_fd = UniqueFd(open("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!null_fd) return ErrnoStatus("masked paths: open /dev/null");
        struct stat nst{};
        if (fstat(null_fd.get(), &nst) < 0) return ErrnoStatus("masked paths: stat /dev/null");
        if (!S_ISCHR(nst.st_mode) || nst.st_rdev != makedev(1, 3)) {
          null_fd.Reset();
          return FailedPrecondition(
              "masked paths: /dev/null in the container is not the null device (a symlink or "
              "file from a volume mounted on /dev?)");
        }
      }
      return FdPath(null_fd.get());
    };
    for (const auto& p : spec.linux->masked_paths) {
      struct stat st{};
      if (stat(p.c_str(), &st) < 0) {
        if (errno == ENOENT) continue;
        return ErrnoStatus("masked path " + p);
      }
      if (S_ISDIR(st.st_mode)) {
        SEE_RETURN_IF_ERROR(DoMount("tmpfs", p, "tmpfs", MS_RDONLY, "", "mask " + p));
      } else {
        SEE_ASSIGN_OR_RETURN(std::string null_path, null_source());
        SEE_RETURN_IF_ERROR(DoMount(null_path, p, "", MS_BIND, "", "mask " + p));
      }
    }
  }
  if (spec.root && spec.root->readonly) {
    SEE_RETURN_IF_ERROR(DoMount("", "/", "",
                                MS_BIND | MS_REMOUNT | MS_RDONLY | LockedMountFlags("/"), "",
                                "readonly root"));
  }
  return Status::Ok();
}

}  // namespace see::runtime
