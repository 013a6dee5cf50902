#include <seccomp.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddFeatures(CLI::App& app, const GlobalFlags&, int*) {
  auto* cmd = app.add_subcommand("features", "print what this runtime supports (JSON)");
  cmd->callback([] {
    const scmp_version* v = seccomp_version();
    nlohmann::json j = {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", "1.1.0"},
        {"hooks", {"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                   "poststop"}},
        {"mountOptions",
         {"acl", "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
          "iversion", "lazytime", "loud", "mand", "noacl", "noatime", "nodev", "nodiratime",
          "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime",
          "nosuid", "nosymfollow", "private", "rbind", "rdev", "rdiratime", "relatime",
          "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnorelatime",
          "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro",
          "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
          "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup",
          "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", oci::KnownCapabilities()},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions", {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                         "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
                         "SCMP_ACT_TRAP"}},
            {"operators", {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                           "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"}},
            {"archs", {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
                       "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
                       "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
                       "SCMP_ARCH_PPC64LE", "SCMP_ARCH_RISCV64", "SCMP_ARCH_S390",
                       "SCMP_ARCH_S390X", "SCMP_ARCH_X32", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64"}},
            {"knownFlags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                            "SECCOMP_FILTER_FLAG_TSYNC"}},
            {"supportedFlags", {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                "SECCOMP_FILTER_FLAG_TSYNC"}}}},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}}}},
        {"annotations",
         {{"io.github.seccomp.libseccomp.version",
           std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro)},
          {"org.opencontainers.runc.checkpoint.enabled", "false"},
          {"run.oci.see.version", "0.1.0"}}},
    };
    printf("%s\n", j.dump(4).c_str());
  });
}

}  // namespace see::runsee
