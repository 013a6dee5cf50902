#include <cstdio>
#include <nlohmann/json.hpp>

#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddList(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("list", "list containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json");
  cmd->add_flag("-q,--quiet", *quiet, "ids only");
  cmd->callback([&g, format, quiet, exit_code] {
    auto all = runtime::List(g.Runtime());
    if (*quiet) {
      for (const auto& c : all) printf("%s\n", c.state.id.c_str());
      return;
    }
    if (*format == "json") {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& c : all) {
        auto j = nlohmann::json::parse(runtime::RuncStateJson(c.state, c.status));
        // As runc: `state` leaves owner empty, `list` names it (as the table below does).
        if (c.state.owner.empty()) j["owner"] = "root";
        arr.push_back(std::move(j));
      }
      printf("%s\n", arr.dump().c_str());
      return;
    }
    if (*format != "table") {
      *exit_code = Fail(InvalidArgument("invalid format option"));
      return;
    }
    printf("%-12s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
    for (const auto& c : all) {
      bool stopped = c.status == runtime::ContainerStatus::kStopped;
      printf("%-12s %-8d %-10s %-40s %-32s %s\n", c.state.id.c_str(), stopped ? 0 : c.state.init_pid,
             runtime::ContainerStatusName(c.status), c.state.bundle.c_str(), c.state.created.c_str(),
             c.state.owner.empty() ? "root" : c.state.owner.c_str());
    }
  });
}

}  // namespace see::runsee
