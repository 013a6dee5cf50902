#include <cstdio>

#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddState(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("state", "print the state of a container as JSON");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id, exit_code] {
    auto info = runtime::GetState(g.Runtime(), *id);
    if (!info.ok()) {
      *exit_code = Fail(info.status());
      return;
    }
    printf("%s\n", runtime::RuncStateJson(info->state, info->status).c_str());
  });
}

}  // namespace see::runsee
