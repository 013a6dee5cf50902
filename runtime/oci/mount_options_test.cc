#include <gtest/gtest.h>
#include <sys/mount.h>

#include "runtime/oci/spec.h"

namespace see::oci {
namespace {

MountFlags Parse(const std::vector<std::string>& options) {
  Result<MountFlags> f = ParseMountOptions(options);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : MountFlags{};
}

TEST(MountOptionsTest, RuncDevTmpfs) {
  MountFlags f = Parse({"nosuid", "strictatime", "mode=755", "size=65536k"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME));
  EXPECT_EQ(f.data, "mode=755,size=65536k");
  EXPECT_EQ(f.propagation, 0u);
  EXPECT_FALSE(f.recursive_attrs);
}

TEST(MountOptionsTest, DevptsUnknownWordsAreData) {
  MountFlags f =
      Parse({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(f.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST(MountOptionsTest, CriBindMount) {
  MountFlags f = Parse({"rbind", "rprivate", "ro"});
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_EQ(f.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(f.data, "");
}

TEST(MountOptionsTest, LaterWordsOverrideEarlierOnes) {
  EXPECT_EQ(Parse({"ro", "rw"}).flags & MS_RDONLY, 0u);
  EXPECT_EQ(Parse({"rw", "ro"}).flags & MS_RDONLY, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(Parse({"nodev", "dev"}).flags, 0u);
  EXPECT_EQ(Parse({"noexec", "exec", "nosuid", "suid"}).flags, 0u);
  EXPECT_EQ(Parse({"shared", "rslave"}).propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
}

TEST(MountOptionsTest, EveryMsFlagWord) {
  struct Case {
    const char* word;
    unsigned long flag;
  };
  for (Case c : {Case{"ro", MS_RDONLY}, Case{"nosuid", MS_NOSUID}, Case{"nodev", MS_NODEV},
                 Case{"noexec", MS_NOEXEC}, Case{"sync", MS_SYNCHRONOUS},
                 Case{"dirsync", MS_DIRSYNC}, Case{"remount", MS_REMOUNT},
                 Case{"mand", MS_MANDLOCK}, Case{"noatime", MS_NOATIME},
                 Case{"nodiratime", MS_NODIRATIME}, Case{"relatime", MS_RELATIME},
                 Case{"strictatime", MS_STRICTATIME}, Case{"bind", MS_BIND},
                 Case{"rbind", MS_BIND | MS_REC}}) {
    SCOPED_TRACE(c.word);
    MountFlags f = Parse({c.word});
    EXPECT_EQ(f.flags, c.flag);
    EXPECT_EQ(f.data, "");
  }
  for (const char* undo : {"rw", "suid", "dev", "exec", "async", "nomand", "atime", "diratime",
                           "norelatime", "nostrictatime", "defaults"}) {
    SCOPED_TRACE(undo);
    MountFlags f = Parse({undo});
    EXPECT_EQ(f.flags, 0u);
    EXPECT_EQ(f.data, "");
  }
}

TEST(MountOptionsTest, PropagationWords) {
  EXPECT_EQ(Parse({"private"}).propagation, static_cast<unsigned long>(MS_PRIVATE));
  EXPECT_EQ(Parse({"rshared"}).propagation, static_cast<unsigned long>(MS_SHARED | MS_REC));
  EXPECT_EQ(Parse({"slave"}).propagation, static_cast<unsigned long>(MS_SLAVE));
  EXPECT_EQ(Parse({"unbindable"}).propagation, static_cast<unsigned long>(MS_UNBINDABLE));
  EXPECT_EQ(Parse({"runbindable"}).propagation,
            static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
  // Propagation is not part of the mount(2) flags of the mount itself.
  EXPECT_EQ(Parse({"rprivate"}).flags, 0u);
}

TEST(MountOptionsTest, RecursiveAttributes) {
  MountFlags f = Parse({"rbind", "rro", "rnosuid", "rnodev", "rnoexec"});
  EXPECT_TRUE(f.recursive_attrs);
  EXPECT_EQ(f.attr_set, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                 MOUNT_ATTR_NOEXEC});
  EXPECT_EQ(f.attr_clr, 0u);
  EXPECT_EQ(f.flags, static_cast<unsigned long>(MS_BIND | MS_REC));

  MountFlags rw = Parse({"rro", "rrw"});
  EXPECT_EQ(rw.attr_set, 0u);
  EXPECT_EQ(rw.attr_clr, uint64_t{MOUNT_ATTR_RDONLY});
}

TEST(MountOptionsTest, RecursiveAtimeModesClearTheAtimeField) {
  // mount_setattr(2) takes an atime mode only with MOUNT_ATTR__ATIME in attr_clr.
  MountFlags noatime = Parse({"rnoatime"});
  EXPECT_EQ(noatime.attr_set, uint64_t{MOUNT_ATTR_NOATIME});
  EXPECT_EQ(noatime.attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  MountFlags strict = Parse({"rnoatime", "rstrictatime"});
  EXPECT_EQ(strict.attr_set, uint64_t{MOUNT_ATTR_STRICTATIME});
  EXPECT_EQ(strict.attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  MountFlags relatime = Parse({"rrelatime"});
  EXPECT_TRUE(relatime.recursive_attrs);
  EXPECT_EQ(relatime.attr_set, uint64_t{MOUNT_ATTR_RELATIME});
  EXPECT_EQ(relatime.attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  EXPECT_EQ(Parse({"rnodiratime"}).attr_set, uint64_t{MOUNT_ATTR_NODIRATIME});
  EXPECT_EQ(Parse({"rnosymfollow"}).attr_set, uint64_t{MOUNT_ATTR_NOSYMFOLLOW});
}

TEST(MountOptionsTest, IdmapAndTmpcopyup) {
  MountFlags f = Parse({"bind", "idmap"});
  EXPECT_TRUE(f.idmap);
  EXPECT_FALSE(f.recursive_idmap);
  MountFlags r = Parse({"rbind", "ridmap", "tmpcopyup"});
  EXPECT_TRUE(r.idmap);
  EXPECT_TRUE(r.recursive_idmap);
  EXPECT_TRUE(r.tmpcopyup);
  EXPECT_EQ(r.data, "");
  EXPECT_FALSE(Parse({"bind"}).tmpcopyup);
}

TEST(MountOptionsTest, DataKeepsCommasAndSkipsEmptyWords) {
  MountFlags f = Parse({"", "context=\"system_u:object_r:container_file_t:s0:c1,c2\"", ""});
  EXPECT_EQ(f.data, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"");
}

TEST(MountOptionsTest, NulByteIsAnError) {
  Result<MountFlags> f = ParseMountOptions({"mode=755", std::string("size=1\0,uid=0", 13)});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(f.status().message(), "option \"size=1\\u0000,uid=0\" contains a NUL byte");
}

}  // namespace
}  // namespace see::oci
