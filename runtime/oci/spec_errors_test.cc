// Invalid configs: each case edits one field of a valid config and asserts the exact message,
// which must start with the JSON path of that field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "runtime/oci/spec.h"

namespace see::oci {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

constexpr const char* kValid = R"({
  "ociVersion": "1.1.0",
  "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/", "env": ["A=1"],
              "capabilities": {"bounding": ["CAP_KILL"]},
              "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 2}]},
  "root": {"path": "rootfs"},
  "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
  "hooks": {"prestart": [{"path": "/bin/true"}]},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "mount"}],
    "devices": [{"type": "c", "path": "/dev/null", "major": 1, "minor": 3}],
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO",
                              "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}
  }
})";

struct ErrorCase {
  const char* pointer;  // JSON pointer of the field to set; value "DELETE" removes it
  const char* value;    // JSON text of the new value
  const char* message;  // the exact error
};

std::string Mutate(const ErrorCase& c) {
  Json j = Json::parse(kValid);
  Json::json_pointer ptr(c.pointer);
  if (std::string(c.value) == "DELETE") {
    j[ptr.parent_pointer()].erase(ptr.back());
  } else {
    j[ptr] = Json::parse(c.value);
  }
  return j.dump();
}

class SpecErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST(SpecErrorBaseTest, BaseConfigIsValid) {
  Result<Spec> s = ParseSpec(kValid);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
}

TEST_P(SpecErrorTest, NamesTheField) {
  const ErrorCase& c = GetParam();
  Result<Spec> s = ParseSpec(Mutate(c));
  ASSERT_FALSE(s.ok()) << "accepted: " << c.pointer << " = " << c.value;
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(s.status().message(), c.message);
}

const ErrorCase kCases[] = {
    // top level
    {"/ociVersion", "DELETE", "ociVersion: required"},
    {"/ociVersion", "\"2.0.0\"", "ociVersion: unsupported version \"2.0.0\" (runtime-spec 1.x required)"},
    {"/ociVersion", "\"0.5.0\"", "ociVersion: unsupported version \"0.5.0\" (runtime-spec 1.x required)"},
    {"/ociVersion", "\"\"", "ociVersion: required"},
    {"/ociVersion", "1", "ociVersion: expected string, got number"},
    {"/root", "DELETE", "root: required"},
    {"/root/path", "DELETE", "root.path: required"},
    {"/root/path", "\"\"", "root.path: must not be empty"},
    {"/root/readonly", "\"yes\"", "root.readonly: expected boolean, got string"},
    {"/root", "[]", "root: expected object, got array"},
    {"/hostname", "false", "hostname: expected string, got boolean"},
    {"/hostname", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
     "hostname: longer than 64 bytes"},
    {"/annotations", "{\"a\": 1}", "annotations[\"a\"]: expected string, got number"},
    {"/annotations", "{\"\": \"x\"}", "annotations: keys must not be empty"},
    {"/annotations", "[]", "annotations: expected object, got array"},
    // process
    {"/process", "\"sh\"", "process: expected object, got string"},
    {"/process/terminal", "\"yes\"", "process.terminal: expected boolean, got string"},
    {"/process/consoleSize", "{\"height\": -1}",
     "process.consoleSize.height: -1 is out of range (0..4294967295)"},
    {"/process/user/uid", "-1", "process.user.uid: -1 is out of range (0..4294967295)"},
    {"/process/user/uid", "4294967296",
     "process.user.uid: 4294967296 is out of range (0..4294967295)"},
    {"/process/user/gid", "1.5", "process.user.gid: expected integer, got 1.5"},
    {"/process/user/umask", "4095", "process.user.umask: must be at most 0777, got 4095"},
    {"/process/user/additionalGids", "[1, \"2\"]",
     "process.user.additionalGids[1]: expected integer, got string"},
    {"/process/args", "[]", "process.args: must not be empty"},
    {"/process/args", "DELETE", "process.args: must not be empty"},
    {"/process/args", "[\"sh\", 1]", "process.args[1]: expected string, got number"},
    {"/process/args", "\"sh\"", "process.args: expected array, got string"},
    {"/process/env", "[\"A=1\", \"NOEQUALS\"]",
     "process.env[1]: must be KEY=VALUE with a non-empty KEY, got \"NOEQUALS\""},
    {"/process/env", "[\"=x\"]", "process.env[0]: must be KEY=VALUE with a non-empty KEY, got \"=x\""},
    {"/process/cwd", "DELETE", "process.cwd: required"},
    {"/process/cwd", "\"tmp\"", "process.cwd: must be an absolute path, got \"tmp\""},
    {"/process/capabilities/bounding", "[\"CAP_KILL\", \"CAP_FOO\"]",
     "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\""},
    {"/process/capabilities/effective", "[\"KILL\"]",
     "process.capabilities.effective[0]: unknown capability \"KILL\""},
    {"/process/capabilities/inheritable", "[\"CAP_NOPE\"]",
     "process.capabilities.inheritable[0]: unknown capability \"CAP_NOPE\""},
    {"/process/capabilities/permitted", "[7]",
     "process.capabilities.permitted[0]: expected string, got number"},
    {"/process/capabilities/ambient", "[\"CAP_X\"]",
     "process.capabilities.ambient[0]: unknown capability \"CAP_X\""},
    {"/process/rlimits/0/type", "\"RLIMIT_FOO\"",
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"/process/rlimits/0/soft", "3", "process.rlimits[0].soft: 3 exceeds the hard limit 2"},
    {"/process/rlimits/0/hard", "DELETE", "process.rlimits[0].hard: required"},
    {"/process/rlimits/1", "{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1, \"hard\": 1}",
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"/process/noNewPrivileges", "1", "process.noNewPrivileges: expected boolean, got number"},
    {"/process/oomScoreAdj", "1001", "process.oomScoreAdj: must be in -1000..1000, got 1001"},
    {"/process/oomScoreAdj", "-1001", "process.oomScoreAdj: must be in -1000..1000, got -1001"},
    {"/process/oomScoreAdj", "99999999999",
     "process.oomScoreAdj: 99999999999 is out of range (-2147483648..2147483647)"},
    {"/process/apparmorProfile", "[]", "process.apparmorProfile: expected string, got array"},
    {"/process/selinuxLabel", "{}", "process.selinuxLabel: expected string, got object"},
    {"/process/ioPriority", "{\"class\": \"IOPRIO_CLASS_NONE\"}",
     "process.ioPriority.class: unknown I/O priority class \"IOPRIO_CLASS_NONE\""},
    {"/process/ioPriority", "{\"class\": \"IOPRIO_CLASS_RT\", \"priority\": 8}",
     "process.ioPriority.priority: must be in 0..7, got 8"},
    {"/process/ioPriority", "{\"priority\": 1}", "process.ioPriority.class: required"},
    {"/process/scheduler", "{\"policy\": \"SCHED_FAST\"}",
     "process.scheduler.policy: unknown scheduler policy \"SCHED_FAST\""},
    {"/process/scheduler", "{\"policy\": \"SCHED_OTHER\", \"nice\": 20}",
     "process.scheduler.nice: must be in -20..19, got 20"},
    {"/process/scheduler", "{\"policy\": \"SCHED_RR\", \"flags\": [\"SCHED_FLAG_X\"]}",
     "process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_X\""},
    // mounts
    {"/mounts/0/destination", "\"proc\"", "mounts[0].destination: must be an absolute path, got \"proc\""},
    {"/mounts/1", "{\"type\": \"tmpfs\"}", "mounts[1].destination: required"},
    {"/mounts/0/options", "[\"ro\", 5]", "mounts[0].options[1]: expected string, got number"},
    {"/mounts/0/options", "[\"a\\u0000b\"]",
     "mounts[0].options: option \"a\\u0000b\" contains a NUL byte"},
    {"/mounts/0/uidMappings", "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
     "mounts[0].gidMappings: required when uidMappings is set"},
    {"/mounts/0/gidMappings", "[{\"containerID\": 0, \"hostID\": 1000}]",
     "mounts[0].gidMappings[0].size: required"},
    {"/mounts", "{}", "mounts: expected array, got object"},
    // hooks
    {"/hooks/prestart/0/path", "\"true\"", "hooks.prestart[0].path: must be an absolute path, got \"true\""},
    {"/hooks/poststop", "[{\"path\": \"/x\", \"timeout\": 0}]",
     "hooks.poststop[0].timeout: must be greater than 0, got 0"},
    {"/hooks/createRuntime", "[{\"args\": []}]", "hooks.createRuntime[0].path: required"},
    {"/hooks/createContainer", "[{\"path\": \"/x\", \"env\": [\"X\"]}]",
     "hooks.createContainer[0].env[0]: must be KEY=VALUE with a non-empty KEY, got \"X\""},
    {"/hooks/startContainer", "[{\"path\": \"/x\", \"timeout\": -3}]",
     "hooks.startContainer[0].timeout: must be greater than 0, got -3"},
    {"/hooks/poststart", "{}", "hooks.poststart: expected array, got object"},
    // linux.namespaces and id mappings
    {"/linux/namespaces/1/type", "\"pidd\"", "linux.namespaces[1].type: unknown namespace type \"pidd\""},
    {"/linux/namespaces/1/type", "DELETE", "linux.namespaces[1].type: required"},
    {"/linux/namespaces/1", "{\"type\": \"pid\"}", "linux.namespaces[1].type: duplicate namespace \"pid\""},
    {"/linux/namespaces/2", "{\"type\": \"network\", \"path\": \"netns\"}",
     "linux.namespaces[2].path: must be an absolute path, got \"netns\""},
    {"/linux/namespaces/2", "{\"type\": \"user\"}",
     "linux.uidMappings: required when creating a user namespace"},
    {"/linux/uidMappings", "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
     "linux.uidMappings: set, but linux.namespaces has no user namespace"},
    {"/linux/uidMappings", "[{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}]",
     "linux.uidMappings[0].size: must be greater than 0"},
    {"/linux/gidMappings", "[{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}]",
     "linux.gidMappings[0].size: range exceeds the 32-bit id space"},
    // linux.devices
    {"/linux/devices/0/type", "\"x\"", "linux.devices[0].type: unknown device type \"x\" (c, b, u or p)"},
    {"/linux/devices/0/path", "\"dev/null\"",
     "linux.devices[0].path: must be an absolute path, got \"dev/null\""},
    {"/linux/devices/0/major", "DELETE", "linux.devices[0].major: required"},
    {"/linux/devices/0/minor", "-2", "linux.devices[0].minor: must not be negative"},
    {"/linux/devices/0/fileMode", "\"0666\"", "linux.devices[0].fileMode: expected integer, got string"},
    // linux.resources
    {"/linux/resources/devices/0/allow", "DELETE", "linux.resources.devices[0].allow: required"},
    {"/linux/resources/devices/0/access", "\"rwx\"",
     "linux.resources.devices[0].access: \"rwx\" is not a combination of r, w and m"},
    {"/linux/resources/devices/0/type", "\"u\"",
     "linux.resources.devices[0].type: unknown device type \"u\" (a, c or b)"},
    {"/linux/resources/devices/0/major", "-5",
     "linux.resources.devices[0].major: must be -1 (any) or a device number, got -5"},
    {"/linux/resources/memory", "{\"limit\": \"1G\"}",
     "linux.resources.memory.limit: expected integer, got string"},
    {"/linux/resources/memory", "{\"swappiness\": 101}",
     "linux.resources.memory.swappiness: must be in 0..100, got 101"},
    {"/linux/resources/memory", "{\"swappiness\": -1}",
     "linux.resources.memory.swappiness: -1 is out of range (0..18446744073709551615)"},
    {"/linux/resources/memory", "{\"disableOOMKiller\": 0}",
     "linux.resources.memory.disableOOMKiller: expected boolean, got number"},
    {"/linux/resources/cpu", "{\"shares\": -2}",
     "linux.resources.cpu.shares: -2 is out of range (0..18446744073709551615)"},
    {"/linux/resources/cpu", "{\"cpus\": \"0-\"}", "linux.resources.cpu.cpus: invalid CPU list \"0-\""},
    {"/linux/resources/cpu", "{\"cpus\": \"3-1\"}", "linux.resources.cpu.cpus: invalid CPU list \"3-1\""},
    {"/linux/resources/cpu", "{\"mems\": \"0,,1\"}",
     "linux.resources.cpu.mems: invalid memory node list \"0,,1\""},
    {"/linux/resources/cpu", "[]", "linux.resources.cpu: expected object, got array"},
    {"/linux/resources/pids", "{}", "linux.resources.pids.limit: required"},
    {"/linux/resources/blockIO", "{\"weight\": 70000}",
     "linux.resources.blockIO.weight: 70000 is out of range (0..65535)"},
    {"/linux/resources/blockIO", "{\"weightDevice\": [{\"major\": 8}]}",
     "linux.resources.blockIO.weightDevice[0].minor: required"},
    {"/linux/resources/blockIO", "{\"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0}]}",
     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required"},
    {"/linux/resources/blockIO", "{\"throttleWriteIOPSDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": -1}]}",
     "linux.resources.blockIO.throttleWriteIOPSDevice[0].rate: -1 is out of range "
     "(0..18446744073709551615)"},
    {"/linux/resources/hugepageLimits", "[{\"pageSize\": \"2M\", \"limit\": 1}]",
     "linux.resources.hugepageLimits[0].pageSize: invalid page size \"2M\" (e.g. \"2MB\")"},
    {"/linux/resources/hugepageLimits", "[{\"pageSize\": \"2MB\"}]",
     "linux.resources.hugepageLimits[0].limit: required"},
    {"/linux/resources/network", "{\"priorities\": [{\"name\": \"eth0\"}]}",
     "linux.resources.network.priorities[0].priority: required"},
    {"/linux/resources/unified", "{\"../../etc/passwd\": \"x\"}",
     "linux.resources.unified[\"../../etc/passwd\"]: not a cgroup file name"},
    {"/linux/resources/unified", "{\"..\": \"x\"}", "linux.resources.unified[\"..\"]: not a cgroup file name"},
    {"/linux/resources/unified", "{\"memory.max\": 5}",
     "linux.resources.unified[\"memory.max\"]: expected string, got number"},
    // linux, other
    {"/linux/cgroupsPath", "\"/kubepods/../../x\"",
     "linux.cgroupsPath: must not contain \"..\", got \"/kubepods/../../x\""},
    {"/linux/maskedPaths", "[\"/proc/kcore\", \"proc/keys\"]",
     "linux.maskedPaths[1]: must be an absolute path, got \"proc/keys\""},
    {"/linux/readonlyPaths", "[\"sys\"]", "linux.readonlyPaths[0]: must be an absolute path, got \"sys\""},
    {"/linux/sysctl", "{\"net/../../kernel/x\": \"1\"}",
     "linux.sysctl[\"net/../../kernel/x\"]: invalid sysctl name"},
    {"/linux/sysctl", "{\"net..core\": \"1\"}", "linux.sysctl[\"net..core\"]: invalid sysctl name"},
    {"/linux/sysctl", "{\"kernel.shmmax\": 1}", "linux.sysctl[\"kernel.shmmax\"]: expected string, got number"},
    {"/linux/rootfsPropagation", "\"rprivat\"", "linux.rootfsPropagation: unknown propagation \"rprivat\""},
    {"/linux/personality", "{\"domain\": \"LINUX64\"}",
     "linux.personality.domain: unknown personality domain \"LINUX64\" (LINUX or LINUX32)"},
    {"/linux/personality", "{\"domain\": \"LINUX\", \"flags\": [\"X\"]}",
     "linux.personality.flags[0]: unknown personality flag \"X\""},
    {"/linux/intelRdt", "\"x\"", "linux.intelRdt: expected object, got string"},
    {"/linux/timeOffsets", "{\"realtime\": {\"secs\": 1}}",
     "linux.timeOffsets[\"realtime\"]: unknown clock (monotonic or boottime)"},
    {"/linux/timeOffsets", "{\"boottime\": {\"nanosecs\": 1000000000}}",
     "linux.timeOffsets[\"boottime\"].nanosecs: must be below 1000000000, got 1000000000"},
    {"/linux/timeOffsets", "{\"monotonic\": {\"secs\": \"1\"}}",
     "linux.timeOffsets[\"monotonic\"].secs: expected integer, got string"},
    {"/linux/resources/memory", "{\"checkBeforeUpdate\": \"yes\"}",
     "linux.resources.memory.checkBeforeUpdate: expected boolean, got string"},
    {"/linux", "[]", "linux: expected object, got array"},
    // linux.seccomp
    {"/linux/seccomp/defaultAction", "DELETE", "linux.seccomp.defaultAction: required"},
    {"/linux/seccomp/defaultAction", "\"SCMP_ACT_DENY\"",
     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_DENY\""},
    {"/linux/seccomp/defaultErrnoRet", "-1",
     "linux.seccomp.defaultErrnoRet: -1 is out of range (0..4294967295)"},
    {"/linux/seccomp/architectures", "[\"SCMP_ARCH_X86_64\", \"x86_64\"]",
     "linux.seccomp.architectures[1]: unknown seccomp architecture \"x86_64\""},
    {"/linux/seccomp/flags", "[\"SECCOMP_FILTER_FLAG_FOO\"]",
     "linux.seccomp.flags[0]: unknown seccomp flag \"SECCOMP_FILTER_FLAG_FOO\""},
    {"/linux/seccomp/listenerPath", "\"sock\"",
     "linux.seccomp.listenerPath: must be an absolute path, got \"sock\""},
    {"/linux/seccomp/syscalls/0/action", "\"SCMP_ACT_NOTIFY\"",
     "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
    {"/linux/seccomp/syscalls/0/names", "[]", "linux.seccomp.syscalls[0].names: must not be empty"},
    {"/linux/seccomp/syscalls/0/action", "\"ALLOW\"",
     "linux.seccomp.syscalls[0].action: unknown seccomp action \"ALLOW\""},
    {"/linux/seccomp/syscalls/0/action", "DELETE", "linux.seccomp.syscalls[0].action: required"},
    {"/linux/seccomp/syscalls/0/args/0/index", "6",
     "linux.seccomp.syscalls[0].args[0].index: must be in 0..5, got 6"},
    {"/linux/seccomp/syscalls/0/args/0/value", "DELETE",
     "linux.seccomp.syscalls[0].args[0].value: required"},
    {"/linux/seccomp/syscalls/0/args/0/value", "-1",
     "linux.seccomp.syscalls[0].args[0].value: -1 is out of range (0..18446744073709551615)"},
    {"/linux/seccomp/syscalls/0/args/0/op", "\"SCMP_CMP_FOO\"",
     "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\""},
    {"/linux/seccomp/syscalls/0/args/0/op", "DELETE", "linux.seccomp.syscalls[0].args[0].op: required"},
};

INSTANTIATE_TEST_SUITE_P(Fields, SpecErrorTest, ::testing::ValuesIn(kCases));

TEST(SpecErrorBaseTest, MalformedJsonNamesTheByteOffset) {
  Result<Spec> s = ParseSpec(R"({"ociVersion": "1.0.0", x})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(s.status().message(), StartsWith("invalid JSON at byte 25: "));
  EXPECT_THAT(ParseSpec("").status().message(), StartsWith("invalid JSON at byte 1: "));
  EXPECT_THAT(ParseSpec("{\"a\": \"\xff\"}").status().message(), StartsWith("invalid JSON"));
}

TEST(SpecErrorBaseTest, RootMustBeAnObject) {
  EXPECT_EQ(ParseSpec("[]").status().message(), "(root): expected object, got array");
  EXPECT_EQ(ParseSpec("null").status().message(), "(root): expected object, got null");
  EXPECT_EQ(ParseProcess("7").status().message(), "(root): expected object, got number");
  EXPECT_EQ(ParseResources("\"x\"").status().message(), "(root): expected object, got string");
}

TEST(SpecErrorBaseTest, ProcessAndResourcesPathsAreRelativeToTheirDocument) {
  EXPECT_EQ(ParseProcess(R"({"args": [], "cwd": "/"})").status().message(),
            "args: must not be empty");
  EXPECT_EQ(ParseProcess(R"({"args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_X",
      "soft": 1, "hard": 1}]})").status().message(),
            "rlimits[0].type: unknown rlimit \"RLIMIT_X\"");
  EXPECT_EQ(ParseResources(R"({"memory": {"swappiness": 200}})").status().message(),
            "memory.swappiness: must be in 0..100, got 200");
  EXPECT_EQ(ParseResources(R"({"pids": {"limit": "max"}})").status().message(),
            "pids.limit: expected integer, got string");
}

TEST(SpecErrorBaseTest, ControlBytesInValuesAreEscapedInMessages) {
  Result<Spec> s = ParseSpec(R"({"ociVersion": "1.0.0", "root": {"path": "r"},
      "linux": {"namespaces": [{"type": "pid\n\u001b[31m"}]}})");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            "linux.namespaces[0].type: unknown namespace type \"pid\\n\\u001b[31m\"");
}

TEST(SpecErrorBaseTest, DeepNestingInIgnoredFieldsIsHarmless) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  Result<Spec> s = ParseSpec(R"({"ociVersion": "1.0.0", "root": {"path": "r"}, "x": )" + deep +
                             "}");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  Result<Spec> bad = ParseSpec(std::string(100000, '['));
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("invalid JSON"));
}

}  // namespace
}  // namespace see::oci
