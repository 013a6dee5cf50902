#include "runtime/linux/state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/file_util.h"

namespace see::runtime {

using nlohmann::json;

namespace {
constexpr const char* kOciVersion = "1.0.2";
}

const char* ContainerStatusName(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreating: return "creating";
    case ContainerStatus::kCreated: return "created";
    case ContainerStatus::kRunning: return "running";
    case ContainerStatus::kPaused: return "paused";
    case ContainerStatus::kStopped: return "stopped";
  }
  return "unknown";
}

std::string StateToJson(const ContainerState& s) {
  json j = {{"id", s.id},
            {"init_pid", s.init_pid},
            {"init_start_time", s.init_start_time},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"cgroup_path", s.cgroup_path},
            {"spec_cgroups_path", s.spec_cgroups_path},
            {"own_pid_ns", s.own_pid_ns},
            {"owner", s.owner},
            {"sandbox", s.sandbox},
            {"sentry_socket", s.sentry_socket},
            {"sentry_pid", s.sentry_pid},
            {"sentry_start_time", s.sentry_start_time},
            {"creator_cgroups", s.creator_cgroups},
            {"annotations", s.annotations}};
  return j.dump();
}

Result<ContainerState> StateFromJson(const std::string& text) {
  try {
    json j = json::parse(text);
    ContainerState s;
    s.id = j.at("id").get<std::string>();
    s.init_pid = j.at("init_pid").get<pid_t>();
    s.init_start_time = j.at("init_start_time").get<uint64_t>();
    s.bundle = j.at("bundle").get<std::string>();
    s.rootfs = j.at("rootfs").get<std::string>();
    s.created = j.at("created").get<std::string>();
    s.cgroup_path = j.value("cgroup_path", "");
    s.spec_cgroups_path = j.value("spec_cgroups_path", "");
    s.own_pid_ns = j.value("own_pid_ns", false);
    s.owner = j.value("owner", "");
    s.sandbox = j.value("sandbox", "none");
    s.sentry_socket = j.value("sentry_socket", "");
    s.sentry_pid = j.value("sentry_pid", 0);
    s.sentry_start_time = j.value("sentry_start_time", uint64_t{0});
    if (j.contains("creator_cgroups")) {
      s.creator_cgroups =
          j.at("creator_cgroups").get<std::vector<std::pair<std::string, std::string>>>();
    }
    if (j.contains("annotations")) {
      s.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
    }
    return s;
  } catch (const json::exception& e) {
    return Internal(std::string("corrupt state file: ") + e.what());
  }
}

std::string RuncStateJson(const ContainerState& s, ContainerStatus status) {
  json j = {{"ociVersion", kOciVersion},
            {"id", s.id},
            {"pid", status == ContainerStatus::kStopped ? 0 : s.init_pid},
            {"status", ContainerStatusName(status)},
            {"bundle", s.bundle},
            {"rootfs", s.rootfs},
            {"created", s.created},
            {"owner", s.owner}};
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j.dump(2);
}

std::string OciStateJson(const ContainerState& s, const std::string& status, pid_t pid) {
  json j = {{"ociVersion", kOciVersion}, {"id", s.id},         {"status", status},
            {"bundle", s.bundle},        {"annotations", s.annotations}};
  if (pid > 0) j["pid"] = pid;
  return j.dump();
}

Status ValidateContainerId(const std::string& id) {
  if (id.empty() || id == "." || id == "..") return InvalidArgument("invalid container id: " + id);
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok) return InvalidArgument("invalid container id format: " + id);
  }
  return Status::Ok();
}

std::string NowRfc3339Nano() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &t);
  // Go trims trailing zeros of the fraction in RFC3339Nano.
  char frac[16];
  snprintf(frac, sizeof(frac), "%09ld", ts.tv_nsec);
  std::string f(frac);
  while (!f.empty() && f.back() == '0') f.pop_back();
  std::string out(buf, n);
  if (!f.empty()) out += "." + f;
  return out + "Z";
}

Result<ContainerLock> ContainerLock::Acquire(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("container does not exist");
    return ErrnoStatus("opening " + dir);
  }
  UniqueFd ufd(fd);
  while (flock(ufd.get(), LOCK_EX) < 0) {
    if (errno != EINTR) return ErrnoStatus("locking " + dir);
  }
  return ContainerLock(std::move(ufd));
}

Status SaveState(const std::string& dir, const ContainerState& s) {
  return WriteFileAtomic(dir + "/state.json", StateToJson(s), 0600);
}

Result<ContainerState> LoadState(const std::string& dir) {
  auto text = ReadFile(dir + "/state.json");
  if (!text.ok()) return NotFound("container does not exist");
  return StateFromJson(*text);
}

}  // namespace see::runtime
