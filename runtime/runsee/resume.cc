#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddResume(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("resume", "thaw a paused container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id, exit_code] {
    Status st = runtime::Resume(g.Runtime(), *id);
    if (!st.ok()) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
