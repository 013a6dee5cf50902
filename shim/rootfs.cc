#include "shim/rootfs.h"

#include <sys/mount.h>

#include <cerrno>

#include "base/cleanup.h"
#include "base/file_util.h"
#include "runtime/oci/spec.h"

namespace see::shim {

Status MountRootfs(const std::vector<RootfsMount>& mounts, const std::string& target) {
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
    if (mount(m.source.c_str(), target.c_str(), type.c_str(), flags,
              f.data.empty() ? nullptr : f.data.c_str()) < 0) {
      return ErrnoStatus("mounting " + m.type + " " + m.source + " on " + target);
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
