// Fuzzes PathResolver with arbitrary paths, open flags, resolve flags and start directories against
// a fixed tree full of hostile symlinks. The invariant (a crash is a finding): every fd the resolver
// returns, and every parent directory OpenParent returns, lies inside the root, judged by the
// kernel's own path of the fd (/proc/self/fd/N), and the root-relative path it reports agrees;
// unless the walk began at a directory outside the root that the caller holds (the outside start,
// or its fd 4), which Linux walks from as it is (OpenOutside): then a result outside the root is
// never a file of a procfs or sysfs (whose self and magic links would name the sentry).
//
// Run as root, the tree has mounts inside the root (a tmpfs, and the root bound below itself), from
// which some walks start.
//
// Input: byte 0 picks open flags, byte 1 resolve flags, byte 2 the start directory and which entry
// point runs; the rest (up to a NUL) is the path.
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sentry-lite/fs/path_resolver.h"

namespace see::sentry {
namespace {

struct Tree {
  std::string base, root;
  int root_fd = -1;
  std::vector<int> starts;  // start directories: inside the root, and one outside
  int outside_fd = -1;
};

void Must(bool ok, const char* what) {
  if (!ok) {
    perror(what);
    abort();
  }
}

Tree* MakeTree() {
  auto* t = new Tree;
  char tmpl[] = "/tmp/see-resolver-fuzz-XXXXXX";
  Must(mkdtemp(tmpl) != nullptr, "mkdtemp");
  t->base = tmpl;
  t->root = t->base + "/root";
  for (const char* d : {"", "/etc", "/dir", "/dir/sub", "/dir/sub/deep", "/proc", "/dev"}) {
    Must(mkdir((t->root + d).c_str(), 0755) == 0, "mkdir");
  }
  Must(mkdir((t->base + "/outside").c_str(), 0755) == 0, "mkdir outside");
  for (const char* f : {"/etc/passwd", "/dir/file", "/dir/sub/deep/f"}) {
    FILE* fp = fopen((t->root + f).c_str(), "w");
    Must(fp != nullptr, "fopen");
    fclose(fp);
  }
  FILE* fp = fopen((t->base + "/outside/secret").c_str(), "w");
  Must(fp != nullptr, "fopen secret");
  fclose(fp);
  const std::pair<std::string, std::string> outside_links[] = {
      {"/etc/passwd", "abs"},               // the caller's root's
      {"../outside/secret", "rel"},
      {"../../../../../../../../proc", "host_proc"},
      {"/proc/self/fd/3", "abs_magic"},
      {"../root/dir/sub", "into_root"},
      {"/etc", "abs_etc"},                  // the root's /etc, never the host's
  };
  for (const auto& [target, name] : outside_links) {
    Must(symlink(target.c_str(), (t->base + "/outside/" + name).c_str()) == 0, "symlink outside");
  }
  const std::pair<std::string, std::string> links[] = {
      {"/", "dir/to_root"},
      {"..", "to_parent"},
      {"../../../../../../..", "dir/sub/up"},
      {"/../../outside/secret", "dir/escape"},
      {"../../outside", "dir/rel_escape"},
      {t->base + "/outside", "dir/host_abs"},
      {t->root, "dir/host_root"},
      {"/proc/self/root", "dir/procroot"},
      {"/proc/self/cwd", "dir/proccwd"},
      {"/dev/fd/3", "dir/devfd"},
      {"loop_b", "loop_a"},
      {"loop_a", "loop_b"},
      {"sub/../../dir/sub/up/etc", "dir/winding"},
      {"/dir/sub/up/../dir/escape", "dir/chain"},
      {".", "dir/dot"},
      {"", "dir/empty_target_placeholder"},
  };
  for (const auto& [target, name] : links) {
    if (target.empty()) continue;
    Must(symlink(target.c_str(), (t->root + "/" + name).c_str()) == 0, "symlink");
  }
  // Mounts inside the root, where the fuzzer may make them (root, a mount namespace of its own):
  // a tmpfs at /mnt and the root's own tree bound at /bound, so that walks cross mounts and
  // RESOLVE_NO_XDEV walks start on another mount than the root's (OpenNoXdevFromStart).
  std::vector<const char*> start_dirs = {"", "/dir", "/dir/sub/deep", "/etc"};
  std::vector<const char*> mount_starts;
  for (const char* d : {"/mnt", "/bound"}) Must(mkdir((t->root + d).c_str(), 0755) == 0, "mkdir mount point");
  if (unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
      mount("tmpfs", (t->root + "/mnt").c_str(), "tmpfs", 0, nullptr) == 0 &&
      mount(t->root.c_str(), (t->root + "/bound").c_str(), nullptr, MS_BIND, nullptr) == 0) {
    Must(mkdir((t->root + "/mnt/d").c_str(), 0755) == 0, "mkdir mnt/d");
    FILE* mf = fopen((t->root + "/mnt/f").c_str(), "w");
    Must(mf != nullptr, "fopen mnt/f");
    fclose(mf);
    const std::pair<const char*, const char*> mnt_links[] = {
        {"../f", "/mnt/d/up"}, {"../../etc/passwd", "/mnt/d/out"}, {"/etc/passwd", "/mnt/d/abs"},
        {"../../../../../../..", "/mnt/d/climb"}, {"../../bound/mnt", "/mnt/d/via_bound"},
    };
    for (const auto& [target, name] : mnt_links) {
      Must(symlink(target, (t->root + name).c_str()) == 0, "symlink mnt");
    }
    mount_starts = {"/mnt", "/mnt/d", "/bound/etc"};  // after the outside one (seeds index it)
  }
  t->root_fd = open(t->root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  Must(t->root_fd >= 0, "open root");
  for (const char* d : start_dirs) {
    int fd = open((t->root + d).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    Must(fd >= 0, "open start");
    t->starts.push_back(fd);
  }
  t->outside_fd = open((t->base + "/outside").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  Must(t->outside_fd >= 0, "open outside");
  t->starts.push_back(t->outside_fd);
  for (const char* d : mount_starts) {
    int fd = open((t->root + d).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    Must(fd >= 0, "open mount start");
    t->starts.push_back(fd);
  }
  return t;
}

Tree& TheTree() {
  static Tree* tree = MakeTree();
  return *tree;
}

std::string FdPath(int fd) {
  char buf[4096];
  ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof(buf));
  Must(n > 0, "readlink result");
  return std::string(buf, static_cast<size_t>(n));
}

void CheckInside(const Tree& t, const PathResolver& r, int fd, bool may_be_outside) {
  std::string p = FdPath(fd);
  if (may_be_outside && p != t.root && p.rfind(t.root + "/", 0) != 0) {
    struct statfs sfs;
    struct stat st;
    Must(fstatfs(fd, &sfs) == 0 && fstat(fd, &st) == 0, "fstatfs result");
    if ((sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC) &&
        !(S_ISDIR(st.st_mode) && st.st_ino == 1)) {
      fprintf(stderr, "a procfs or sysfs file outside the root: %s\n", p.c_str());
      abort();
    }
    return;
  }
  if (p != t.root && p.rfind(t.root + "/", 0) != 0) {
    fprintf(stderr, "escaped the root: %s\n", p.c_str());
    abort();
  }
  auto rel = r.RootRelative(fd);
  if (!rel.ok() || (rel->empty() ? t.root : t.root + "/" + *rel) != p) {
    fprintf(stderr, "RootRelative disagrees for %s\n", p.c_str());
    abort();
  }
}

constexpr uint64_t kFlagChoices[] = {
    O_RDONLY, O_PATH, O_RDONLY | O_NOFOLLOW, O_PATH | O_NOFOLLOW, O_RDONLY | O_DIRECTORY,
    O_PATH | O_DIRECTORY, O_PATH | O_NOFOLLOW | O_DIRECTORY, O_RDONLY | O_NONBLOCK,
};
constexpr uint64_t kResolveBits[] = {RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_SYMLINKS,
                                     RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV};

}  // namespace
}  // namespace see::sentry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace see::sentry;
  if (size < 3) return 0;
  Tree& t = TheTree();
  open_how how{};
  how.flags = kFlagChoices[data[0] % std::size(kFlagChoices)];
  for (size_t i = 0; i < std::size(kResolveBits); ++i) {
    if (data[1] & (1u << i)) how.resolve |= kResolveBits[i];
  }
  int start = t.starts[data[2] % t.starts.size()];
  bool parent = (data[2] & 0x80) != 0;
  bool with_view = (data[2] & 0x40) != 0;
  bool holds_outside = (data[2] & 0x20) != 0;  // the caller's fd 4 is a directory outside the root
  std::string path(reinterpret_cast<const char*>(data + 3), size - 3);
  path = path.substr(0, path.find('\0'));

  // The caller's fds: 3 is a directory inside the root, 4 (when `holds_outside`) one outside it (a
  // caller may hold fds to anything it was given), others do not exist.
  CallerView view;
  view.ns_tgid = 1;
  view.ns_tid = 1;
  bool handed_outside = false;
  view.caller_fd = [&t, holds_outside, &handed_outside](int n) -> see::Result<see::UniqueFd> {
    if (n == 3) return see::UniqueFd(open((t.root + "/dir").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (n == 4 && holds_outside) {
      handed_outside = true;
      return see::UniqueFd(dup(t.outside_fd));
    }
    return see::ErrnoStatus(EBADF, "no such caller fd");
  };
  // The caller's own exe, cwd and root (/proc/self/{exe,cwd,root}): inside the root here.
  view.caller_link = [&t](std::string_view name) -> see::Result<see::UniqueFd> {
    std::string where = name == "exe" ? "/etc/passwd" : name == "cwd" ? "/dir/sub" : "";
    return see::UniqueFd(open((t.root + where).c_str(), O_PATH | O_CLOEXEC));
  };
  // Another process's links (/proc/<pid>/{exe,cwd,root,fd/N}): inside the root here too.
  // Another process's links (/proc/<pid>/{exe,cwd,root,fd/N}): inside the root here too; those
  // of pid 9 are declined (walked as any path).
  view.peer_link = [&t](const std::string& dir, std::string_view name)
      -> see::Result<std::optional<see::UniqueFd>> {
    if (!dir.starts_with("/proc/") || name.starts_with("ns/")) return see::ErrnoStatus(ENOENT, "none");
    if (dir.starts_with("/proc/9")) return std::optional<see::UniqueFd>();
    std::string where = name == "exe" ? "/etc/passwd" : name == "root" ? "" : "/dir";
    return std::optional<see::UniqueFd>(see::UniqueFd(open((t.root + where).c_str(), O_PATH | O_CLOEXEC)));
  };
  PathResolver r(t.root_fd);
  // From the outside start or the caller's fd 4 (/proc/self/fd/4, /dev/fd/04...), a walk may end
  // outside; from anywhere else only inside. Without "..", a walk from the outside directory only
  // descends from it, or leads back to the root (absolute links): never elsewhere on the host.
  auto check = [&](int fd) {
    const bool may_be_outside = start == t.outside_fd || handed_outside;
    CheckInside(t, r, fd, may_be_outside);
    std::string p = FdPath(fd);
    const bool climbs = path.find("..") != std::string::npos;
    if (may_be_outside && !climbs && p != t.root && !p.starts_with(t.root + "/") &&
        !p.starts_with(t.base + "/outside")) {
      struct stat st;
      if (stat("/proc", &st) == 0 && p == "/proc") return;  // host_proc's target, a procfs root
      fprintf(stderr, "a walk from outside without \"..\" left it: %s\n", p.c_str());
      abort();
    }
  };
  if (parent) {
    auto p = r.OpenParent(start, path, with_view ? &view : nullptr);
    if (p.ok()) check(p->dir.get());
  } else {
    auto fd = r.Open(start, path, how, with_view ? &view : nullptr);
    if (fd.ok()) check(fd->get());
  }
  return 0;
}
