#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddStart(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("start", "start a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id, exit_code] {
    Status st = runtime::Start(g.Runtime(), *id);
    if (!st.ok()) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
