// ParseMountOptions: the option words runc understands, with the same meaning.
#include <sys/mount.h>

#include <cstdint>
#include <string_view>

#include "runtime/oci/json_reader.h"
#include "runtime/oci/spec.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256  // linux/mount.h, 5.10; older glibc headers lack it.
#endif

namespace see::oci {
namespace {

struct FlagOption {
  std::string_view name;
  bool clear;  // true: the word removes `flag` ("rw" clears MS_RDONLY)
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},           {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},       {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},         {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},       {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},       {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},     {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME}, {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},   {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME}, {"nostrictatime", true, MS_STRICTATIME},
    {"iversion", false, MS_I_VERSION},  {"noiversion", true, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},   {"nolazytime", true, MS_LAZYTIME},
    {"silent", false, MS_SILENT},       {"loud", true, MS_SILENT},
    {"nosymfollow", false, MS_NOSYMFOLLOW}, {"symfollow", true, MS_NOSYMFOLLOW},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

struct PropagationOption {
  std::string_view name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Recursive variants applied with mount_setattr(AT_RECURSIVE) to every submount.
struct AttrOption {
  std::string_view name;
  bool clear;
  uint64_t attr;
};

constexpr AttrOption kAttrOptions[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},          {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},      {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},        {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},      {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME}, {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},  {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW}, {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

bool ApplyFlagOption(std::string_view o, MountFlags* f) {
  for (const FlagOption& row : kFlagOptions) {
    if (row.name != o) continue;
    if (row.clear) {
      f->flags &= ~row.flag;
    } else {
      f->flags |= row.flag;
    }
    return true;
  }
  return false;
}

bool ApplyPropagationOption(std::string_view o, MountFlags* f) {
  for (const PropagationOption& row : kPropagationOptions) {
    if (row.name != o) continue;
    f->propagation = row.flags;
    return true;
  }
  return false;
}

bool ApplyAttrOption(std::string_view o, MountFlags* f) {
  for (const AttrOption& row : kAttrOptions) {
    if (row.name != o) continue;
    f->recursive_attrs = true;
    if (row.clear) {
      f->attr_clr |= row.attr;
      f->attr_set &= ~row.attr;
    } else {
      f->attr_set |= row.attr;
      f->attr_clr &= ~row.attr;
      // mount_setattr(2): an atime mode is only taken when MOUNT_ATTR__ATIME is in attr_clr.
      if ((row.attr & MOUNT_ATTR__ATIME) == row.attr) {
        f->attr_set &= ~MOUNT_ATTR__ATIME;
        f->attr_set |= row.attr;
        f->attr_clr |= MOUNT_ATTR__ATIME;
      }
    }
    return true;
  }
  return false;
}

}  // namespace

Result<MountFlags> ParseMountOptions(const std::vector<std::string>& options) {
  MountFlags f;
  for (const std::string& o : options) {
    if (o.empty()) continue;
    if (ApplyFlagOption(o, &f) || ApplyPropagationOption(o, &f) || ApplyAttrOption(o, &f)) {
      continue;
    }
    if (o == "idmap" || o == "ridmap") {
      f.idmap = true;
      f.recursive_idmap = f.recursive_idmap || o == "ridmap";
      continue;
    }
    if (o == "tmpcopyup") {
      f.tmpcopyup = true;
      continue;
    }
    // Filesystem data is a C string for mount(2): a NUL would silently cut off what follows.
    // (Commas stay legal: SELinux's context="...:c1,c2" needs them, the kernel honours quotes.)
    if (o.find('\0') != std::string::npos) {
      return InvalidArgument("option " + internal::Quote(o) + " contains a NUL byte");
    }
    if (!f.data.empty()) f.data += ',';
    f.data += o;
  }
  return f;
}

}  // namespace see::oci
