// The pod's view of the machine (ARCHITECTURE "Security model" 5; fs/views.h): opens of
// /proc/{meminfo,cpuinfo,stat,uptime,loadavg} and /sys/devices/system/cpu/{online,possible}
// answered with synthesized content, sysinfo(2) and sched_getaffinity(2) from the same limits.
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "sentry-lite/notify/handlers.h"
#include "sentry-lite/notify/sys_file_internal.h"

namespace see::sentry {

namespace file_internal {

Result<std::optional<UniqueFd>> ServeViewFile(SyscallCall& call, int fd, long fs_type,
                                              uint64_t open_flags,
                                              const Result<std::optional<PathResolver::FsPlace>>& place) {
  const PodViews* views = call.container().views.get();
  if (views == nullptr || (open_flags & O_ACCMODE) != O_RDONLY) return std::optional<UniqueFd>();
  // Cheap filter first: only procfs and sysfs files can be views.
  if (fs_type != PROC_SUPER_MAGIC && fs_type != SYSFS_MAGIC) return std::optional<UniqueFd>();
  // Where the file really is in its own procfs or sysfs decides, whatever led there (symlinks, a
  // chroot into /proc, another mount of the file system): told from the root of that instance.
  if (!place.ok() || !place->has_value()) return std::optional<UniqueFd>();
  std::string rel = fs_type == PROC_SUPER_MAGIC ? "proc" : "sys";
  for (const std::string& part : (*place)->below) rel += "/" + part;
  ViewFile file = ClassifyViewPath(rel);
  if (file == ViewFile::kNone) return std::optional<UniqueFd>();

  std::string host_text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read host view file");
    if (n == 0) break;
    host_text.append(buf, static_cast<size_t>(n));
  }
  HostInfo host = ReadHostInfo();
  std::string text;
  {
    ScopedSentryCapabilities sentry_caps;  // the pod's cgroup files, with the sentry's own rights
    text = RenderViewFile(file, host_text, views->Limits(host), host);
  }

  // A sealed memfd: the caller gets a read-only file whose content can not change.
  UniqueFd mem(memfd_create("see-view", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!mem.valid()) return ErrnoStatus("memfd_create");
  for (size_t off = 0; off < text.size();) {
    ssize_t n = write(mem.get(), text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoStatus("write view memfd");
    off += static_cast<size_t>(n);
  }
  if (fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return ErrnoStatus("seal view memfd");
  }
  std::string self = "/proc/self/fd/" + std::to_string(mem.get());
  int ro = open(self.c_str(), O_RDONLY | O_CLOEXEC | static_cast<int>(open_flags & O_NONBLOCK));
  if (ro < 0) return ErrnoStatus("re-open view memfd read-only");
  return std::optional<UniqueFd>(UniqueFd(ro));
}

}  // namespace file_internal

namespace {

using namespace file_internal;  // NOLINT: the shared helpers of the file handlers

// sysinfo(2): the host's figures with memory, processes, uptime and loads of the pod.
Reply SysSysinfo(SyscallCall& call) {
  struct sysinfo si;
  if (sysinfo(&si) != 0) return Reply::Error(errno);
  if (const PodViews* views = call.container().views.get()) {
    HostInfo host = ReadHostInfo();
    ScopedSentryCapabilities sentry_caps;
    PodLimits l = views->Limits(host);
    uint64_t unit = si.mem_unit ? si.mem_unit : 1;
    si.totalram = l.mem_total / unit;
    si.freeram = l.mem_free / unit;
    // The pod's own shared memory and buffers (/proc/meminfo's Shmem and Buffers) where known.
    auto shmem = l.MemFigure("Shmem:");
    auto buffers = l.MemFigure("Buffers:");
    si.sharedram = shmem ? *shmem / unit : std::min<uint64_t>(si.sharedram, si.totalram);
    si.bufferram = buffers ? *buffers / unit : std::min<uint64_t>(si.bufferram, si.totalram);
    si.totalhigh = si.freehigh = 0;
    if (l.tasks > 0) si.procs = static_cast<uint16_t>(std::min(l.tasks, 0xffff));
    si.uptime = static_cast<long>(l.uptime);
    double share = host.cpus > 0 ? static_cast<double>(l.cpus) / host.cpus : 1.0;
    for (unsigned long& load : si.loads) load = static_cast<unsigned long>(load * share);
  }
  if (!call.StillValid()) return Reply::Drop();
  Status w = call.Write(call.arg(0), &si, sizeof(si));
  return w.ok() ? Reply::Value(0) : Fail(w);
}

// sched_getaffinity(2) of the caller itself (pid 0 or its own id): its real mask, trimmed to the
// pod's CPU count (the first N CPUs it may run on), so nproc, os.cpu_count(), Go and the JVM agree
// with /sys/devices/system/cpu/online. Another thread's mask is answered natively (CONTINUE): it is
// a read with no security decision, and its pid is in the caller's pid namespace.
Reply SysSchedGetaffinity(SyscallCall& call) {
  pid_t pid = call.arg_int(0);
  uint64_t len = call.arg(1);
  if (pid != 0) {
    auto creds = call.Credentials();
    if (!creds.ok()) return Fail(creds.status());
    if (pid != (*creds)->ns_tid && pid != (*creds)->ns_tgid) return Reply::Continue();
  }
  // The kernel's own length checks and the caller's real mask, asked for the caller's thread.
  size_t want = static_cast<size_t>(std::min<uint64_t>(len, 1 << 16));
  std::vector<uint8_t> mask(std::max<size_t>(want, 8));
  long n = syscall(SYS_sched_getaffinity, call.tid(), len > (1 << 16) ? (1 << 16) : len, mask.data());
  if (n < 0) return Reply::Error(errno == ESRCH ? ESRCH : errno);
  if (const PodViews* views = call.container().views.get()) {
    ScopedSentryCapabilities sentry_caps;
    int keep = views->Limits(ReadHostInfo()).cpus;
    for (long byte = 0; byte < n; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        if ((mask[byte] & (1u << bit)) == 0) continue;
        if (keep > 0) {
          --keep;
        } else {
          mask[byte] &= static_cast<uint8_t>(~(1u << bit));
        }
      }
    }
  }
  if (!call.StillValid()) return Reply::Drop();
  Status w = call.Write(call.arg(2), mask.data(), static_cast<size_t>(n));
  return w.ok() ? Reply::Value(n) : Fail(w);
}

}  // namespace

void RegisterViewHandlers(HandlerTable& t) {
  t[SYS_sysinfo] = SysSysinfo;
  t[SYS_sched_getaffinity] = SysSchedGetaffinity;
}

}  // namespace see::sentry
