#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddCreateFlags(CLI::App* cmd, runtime::CreateOptions* o) {
  cmd->add_option("-b,--bundle", o->bundle, "path to the bundle (default: current directory)");
  cmd->add_option("--pid-file", o->pid_file, "file to write the init's pid to");
  cmd->add_option("--console-socket", o->console_socket, "unix socket receiving the pty master");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass N extra fds (3..3+N-1)");
  cmd->add_flag("--no-pivot", o->no_pivot, "use MS_MOVE+chroot instead of pivot_root");
  cmd->add_flag("--no-new-keyring", o->no_new_keyring, "do not create a session keyring");
  cmd->add_option("--sentry-socket", o->sentry_socket,
                  "register with this running sentry instead of starting one for the container");
}

void AddCreate(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("create", "create a container");
  auto o = std::make_shared<runtime::CreateOptions>();
  auto detach = std::make_shared<bool>(false);
  AddCreateFlags(cmd, o.get());
  cmd->add_flag("-d,--detach", *detach, "accepted: create always detaches");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->callback([&g, o, exit_code] {
    o->sandbox = g.SandboxMode();
    auto pid = runtime::Create(g.Runtime(), *o);
    if (!pid.ok()) *exit_code = Fail(pid.status());
  });
}

}  // namespace see::runsee
