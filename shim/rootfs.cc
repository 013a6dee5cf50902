#include "shim/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>

#include <cerrno>
#include <sstream>

#include "base/cleanup.h"
#include "base/file_util.h"
#include "runtime/linux/mounts.h"
#include "runtime/oci/spec.h"

namespace see::shim {

namespace {

std::string Dirname(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : p.substr(0, slash);
}

// Rewrites overlay mount data so that every layer path names an id-mapped copy of it
// (/proc/self/fd/N, the detached tree's fd, kept open in `fds` until the mount is made).
Result<std::string> IdmapOverlayLayers(const std::string& data, int userns_fd,
                                       std::vector<UniqueFd>* fds) {
  std::vector<std::string> out;
  std::string upper, work;
  std::istringstream in(data);
  for (std::string opt; std::getline(in, opt, ',');) {
    if (opt.rfind("upperdir=", 0) == 0) {
      upper = opt.substr(9);
    } else if (opt.rfind("workdir=", 0) == 0) {
      work = opt.substr(8);
    } else if (opt.rfind("lowerdir=", 0) == 0) {
      std::string joined;
      std::istringstream dirs(opt.substr(9));
      for (std::string dir; std::getline(dirs, dir, ':');) {
        SEE_ASSIGN_OR_RETURN(UniqueFd t, runtime::MakeIdmappedTree(dir, userns_fd, false, false));
        joined += (joined.empty() ? "" : ":") + runtime::FdPath(t.get());
        fds->push_back(std::move(t));
      }
      out.push_back("lowerdir=" + joined);
    } else {
      out.push_back(opt);
    }
  }
  if (!upper.empty() || !work.empty()) {
    std::string parent = Dirname(upper);
    if (upper.empty() || work.empty() || Dirname(work) != parent) {
      return InvalidArgument("overlay upperdir and workdir must be siblings to be id-mapped");
    }
    SEE_ASSIGN_OR_RETURN(UniqueFd t, runtime::MakeIdmappedTree(parent, userns_fd, false, false));
    std::string base = runtime::FdPath(t.get());
    out.push_back("upperdir=" + base + upper.substr(parent.size()));
    out.push_back("workdir=" + base + work.substr(parent.size()));
    fds->push_back(std::move(t));
  }
  std::string joined;
  for (const auto& o : out) joined += (joined.empty() ? "" : ",") + o;
  return joined;
}

}  // namespace

Status MountRootfs(const std::vector<RootfsMount>& mounts, const std::string& target,
                   int layer_userns_fd) {
  if (mounts.empty()) return Status::Ok();
  SEE_RETURN_IF_ERROR(MkdirAll(target, 0711));
  UndoStack undo;
  for (const auto& m : mounts) {
    SEE_ASSIGN_OR_RETURN(oci::MountFlags f, oci::ParseMountOptions(m.options));
    std::string type = m.type;
    if (type == "bind") {
      f.flags |= MS_BIND;
      type = "none";
    }
    unsigned long flags = f.flags;
    if (layer_userns_fd >= 0 && (flags & MS_BIND)) {
      SEE_ASSIGN_OR_RETURN(UniqueFd t, runtime::MakeIdmappedTree(m.source, layer_userns_fd,
                                                                 (flags & MS_REC) != 0, true));
      if (syscall(SYS_move_mount, t.get(), "", AT_FDCWD, target.c_str(),
                  MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        return ErrnoStatus("moving the id-mapped " + m.source + " onto " + target);
      }
    } else {
      std::vector<UniqueFd> layer_fds;
      std::string data = f.data;
      if (layer_userns_fd >= 0) {
        if (type != "overlay") {
          return InvalidArgument("cannot id-map a " + type + " rootfs (overlay or bind only)");
        }
        SEE_ASSIGN_OR_RETURN(data, IdmapOverlayLayers(data, layer_userns_fd, &layer_fds));
      }
      if (mount(m.source.c_str(), target.c_str(), type.c_str(), flags,
                data.empty() ? nullptr : data.c_str()) < 0) {
        return ErrnoStatus("mounting " + m.type + " " + m.source + " on " + target);
      }
    }
    undo.Push([target] { umount2(target.c_str(), MNT_DETACH); });
    if ((flags & MS_BIND) && (flags & MS_RDONLY)) {
      if (mount(nullptr, target.c_str(), nullptr, flags | MS_REMOUNT, nullptr) < 0) {
        return ErrnoStatus("remounting " + target + " read-only");
      }
    }
  }
  undo.Release();
  return Status::Ok();
}

Status UnmountRootfs(const std::string& target) {
  for (int i = 0; i < 64; ++i) {
    if (umount2(target.c_str(), MNT_DETACH) < 0) {
      if (errno == EINVAL || errno == ENOENT) return Status::Ok();  // nothing (more) mounted
      return ErrnoStatus("unmounting " + target);
    }
  }
  return Internal("too many mounts stacked on " + target);
}

}  // namespace see::shim
