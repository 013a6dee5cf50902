#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddDelete(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("delete", "delete a container's resources");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "kill a running container first");
  cmd->add_option("id", *id, "container id")->required();
  cmd->callback([&g, id, force, exit_code] {
    Status st = runtime::Delete(g.Runtime(), *id, *force);
    // runc: deleting a container that does not exist is an error, unless --force.
    if (!st.ok() && !(*force && st.code() == Code::kNotFound)) *exit_code = Fail(st);
  });
}

}  // namespace see::runsee
