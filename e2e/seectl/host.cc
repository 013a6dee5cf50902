#include "e2e/seectl/host.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/file_util.h"

namespace see::seectl {
namespace {

namespace fs = std::filesystem;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Mount points at or below `dir`, deepest first.
std::vector<std::string> MountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devno, root, mnt;
    f >> id >> parent >> devno >> root >> mnt;
    if (mnt == dir || mnt.rfind(dir + "/", 0) == 0) out.push_back(mnt);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

// The kubelet's hostPath type checks (pkg/volume/hostpath).
Status CheckHostPath(const HostPath& hp, UndoStack* undo) {
  struct stat st {};
  bool exists = ::stat(hp.path.c_str(), &st) == 0;
  const std::string& t = hp.type;
  if (t.empty()) return Status::Ok();
  if (t == "DirectoryOrCreate") {
    if (exists) {
      if (!S_ISDIR(st.st_mode)) return FailedPrecondition("hostPath " + hp.path + " is not a directory");
      return Status::Ok();
    }
    SEE_RETURN_IF_ERROR(MkdirAll(hp.path, 0755));
    return Status::Ok();  // kept on failure, as the kubelet does
  }
  if (t == "FileOrCreate") {
    if (exists) {
      if (!S_ISREG(st.st_mode)) return FailedPrecondition("hostPath " + hp.path + " is not a file");
      return Status::Ok();
    }
    SEE_RETURN_IF_ERROR(MkdirAll(fs::path(hp.path).parent_path().string(), 0755));
    int fd = ::open(hp.path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("creating hostPath file " + hp.path);
    ::close(fd);
    (void)undo;
    return Status::Ok();
  }
  if (!exists) return FailedPrecondition("hostPath " + hp.path + " (type " + t + ") does not exist");
  bool ok = (t == "Directory" && S_ISDIR(st.st_mode)) || (t == "File" && S_ISREG(st.st_mode)) ||
            (t == "Socket" && S_ISSOCK(st.st_mode)) || (t == "CharDevice" && S_ISCHR(st.st_mode)) ||
            (t == "BlockDevice" && S_ISBLK(st.st_mode));
  if (!ok) return FailedPrecondition("hostPath " + hp.path + " is not of type " + t);
  return Status::Ok();
}

Status MakeEmptyDir(const HostPath& hp) {
  SEE_RETURN_IF_ERROR(MkdirAll(hp.path, 0755));
  if (hp.tmpfs && MountsUnder(hp.path).empty()) {
    std::string opts = "mode=0777";
    if (hp.tmpfs_size > 0) opts += ",size=" + std::to_string(hp.tmpfs_size);
    if (::mount("tmpfs", hp.path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
      return ErrnoStatus("mounting tmpfs for emptyDir " + hp.path);
    }
  }
  // emptyDir is world-writable, as the kubelet makes it (0777 regardless of umask).
  if (::chmod(hp.path.c_str(), 0777) != 0) return ErrnoStatus("chmod " + hp.path);
  if (hp.fs_group >= 0 && ::chown(hp.path.c_str(), -1, static_cast<gid_t>(hp.fs_group)) != 0) {
    return ErrnoStatus("chgrp " + hp.path);
  }
  return Status::Ok();
}

}  // namespace

Status PrepareHost(const PodPlan& plan, UndoStack* undo) {
  const std::string log_dir = plan.sandbox.log_directory();
  const std::string pod_dir = plan.pod_dir;
  const std::string cgroup_dir = plan.cgroup_dir;
  const std::string uid = plan.uid;
  // One undo for everything under the pod's own directories (and the pod cgroup, which the
  // runtime creates as the parent of the sandbox's cgroup).
  undo->Push([=] { (void)CleanupHost(uid, pod_dir, log_dir, cgroup_dir); });
  SEE_RETURN_IF_ERROR(MkdirAll(log_dir, 0755));
  SEE_RETURN_IF_ERROR(MkdirAll(pod_dir, 0750));
  for (const HostPath& hp : plan.host_paths) {
    if (hp.action == HostPath::Action::kEmptyDir) {
      SEE_RETURN_IF_ERROR(MakeEmptyDir(hp));
    } else {
      SEE_RETURN_IF_ERROR(CheckHostPath(hp, undo));
    }
  }
  return Status::Ok();
}

void RemoveCgroup(const std::string& rel, int parents) {
  std::vector<std::string> roots;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream post(line.substr(dash + 3));
    std::string type;
    post >> type;
    if (type != "cgroup" && type != "cgroup2") continue;
    std::istringstream f(line);
    std::string id, parent, devno, root, mnt;
    f >> id >> parent >> devno >> root >> mnt;
    if (root != "/") continue;  // a bind of a sub-hierarchy: not a root we can name paths under
    roots.push_back(mnt);
  }
  for (const std::string& r : roots) {
    std::string path = rel;
    for (int i = 0; i <= parents && !path.empty() && path != "/"; ++i) {
      if (::rmdir((r + "/" + path).c_str()) != 0 && errno != ENOENT) break;
      path = fs::path(path).parent_path().string();
    }
  }
}

Status CleanupHost(const std::string& uid, const std::string& pod_dir, const std::string& log_dir,
                   const std::string& cgroup_dir) {
  if (uid.empty()) return InvalidArgument("no pod uid");
  Status result;
  if (!pod_dir.empty()) {
    if (!EndsWith(pod_dir, "/" + uid)) return InvalidArgument("pod dir " + pod_dir + " is not the pod's");
    for (const std::string& m : MountsUnder(pod_dir)) {
      if (::umount2(m.c_str(), MNT_DETACH) != 0) result = ErrnoStatus("unmounting " + m);
    }
    std::error_code ec;
    if (MountsUnder(pod_dir).empty()) fs::remove_all(pod_dir, ec);
    if (ec) result = Internal("removing " + pod_dir + ": " + ec.message());
  }
  if (!log_dir.empty()) {
    if (!EndsWith(log_dir, "_" + uid)) return InvalidArgument("log dir " + log_dir + " is not the pod's");
    std::error_code ec;
    fs::remove_all(log_dir, ec);
    if (ec) result = Internal("removing " + log_dir + ": " + ec.message());
  }
  if (!cgroup_dir.empty() && EndsWith(cgroup_dir, "/pod" + uid)) {
    // The pod cgroup, then the QoS level ("burstable"/"besteffort") and the parent when empty.
    RemoveCgroup(cgroup_dir, 2);
  }
  return result;
}

Result<std::string> NewUuid() {
  SEE_ASSIGN_OR_RETURN(std::string u, ReadFile("/proc/sys/kernel/random/uuid"));
  while (!u.empty() && (u.back() == '\n' || u.back() == ' ')) u.pop_back();
  if (u.size() != 36) return Internal("unexpected uuid \"" + u + "\"");
  return u;
}

Result<int64_t> MemTotal() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemTotal:") return kb * 1024;
  }
  return Internal("MemTotal not found in /proc/meminfo");
}

bool ParseCriLogLine(std::string_view line, LogLine* out) {
  size_t a = line.find(' ');
  if (a == std::string_view::npos) return false;
  size_t b = line.find(' ', a + 1);
  if (b == std::string_view::npos) return false;
  out->time = std::string(line.substr(0, a));
  out->stream = std::string(line.substr(a + 1, b - a - 1));
  if (out->stream != "stdout" && out->stream != "stderr") return false;
  std::string_view rest = line.substr(b + 1);
  // The tag field: "P" (partial) or "F" (full), possibly more ':'-separated tags later.
  size_t c = rest.find(' ');
  std::string_view tag = c == std::string_view::npos ? rest : rest.substr(0, c);
  out->partial = !tag.empty() && tag[0] == 'P';
  out->text = c == std::string_view::npos ? "" : std::string(rest.substr(c + 1));
  return true;
}

}  // namespace see::seectl
