#include "runtime/linux/bootstrap.h"

#include <nlohmann/json.hpp>

namespace see::runtime {

std::string BootstrapToJson(const Bootstrap& b) {
  nlohmann::json j = {{"mode", b.mode == Bootstrap::Mode::kExec ? "exec" : "create"},
                      {"id", b.id},
                      {"bundle", b.bundle},
                      {"rootfs", b.rootfs},
                      {"state_dir", b.state_dir},
                      {"spec_json", b.spec_json},
                      {"process_json", b.process_json},
                      {"target_pid", b.target_pid},
                      {"preserve_fds", b.preserve_fds},
                      {"has_console", b.has_console},
                      {"no_pivot", b.no_pivot},
                      {"cgroup_v2", b.cgroup_v2},
                      {"cgroup_path", b.cgroup_path},
                      {"sentry_socket", b.sentry_socket},
                      {"sentry_memory_cgroup", b.sentry_memory_cgroup},
                      {"sentry_cpu_cgroup", b.sentry_cpu_cgroup}};
  return j.dump();
}

Result<Bootstrap> BootstrapFromJson(const std::string& text) {
  try {
    auto j = nlohmann::json::parse(text);
    Bootstrap b;
    b.mode = j.at("mode").get<std::string>() == "exec" ? Bootstrap::Mode::kExec
                                                       : Bootstrap::Mode::kCreate;
    b.id = j.at("id").get<std::string>();
    b.bundle = j.at("bundle").get<std::string>();
    b.rootfs = j.at("rootfs").get<std::string>();
    b.state_dir = j.at("state_dir").get<std::string>();
    b.spec_json = j.at("spec_json").get<std::string>();
    b.process_json = j.at("process_json").get<std::string>();
    b.target_pid = j.at("target_pid").get<pid_t>();
    b.preserve_fds = j.at("preserve_fds").get<int>();
    b.has_console = j.at("has_console").get<bool>();
    b.no_pivot = j.at("no_pivot").get<bool>();
    b.cgroup_v2 = j.at("cgroup_v2").get<bool>();
    b.cgroup_path = j.at("cgroup_path").get<std::string>();
    b.sentry_socket = j.at("sentry_socket").get<std::string>();
    b.sentry_memory_cgroup = j.at("sentry_memory_cgroup").get<std::string>();
    b.sentry_cpu_cgroup = j.at("sentry_cpu_cgroup").get<std::string>();
    return b;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("bad bootstrap: ") + e.what());
  }
}

}  // namespace see::runtime
