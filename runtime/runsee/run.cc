#include "runtime/runsee/commands.h"

namespace see::runsee {

void AddRun(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("run", "create and start a container");
  auto o = std::make_shared<runtime::CreateOptions>();
  auto detach = std::make_shared<bool>(false);
  AddCreateFlags(cmd, o.get());
  cmd->add_flag("-d,--detach", *detach, "return once the container runs");
  cmd->add_option("id", o->id, "container id")->required();
  cmd->callback([&g, o, detach, exit_code] {
    runtime::RuntimeOptions rt = g.Runtime();
    o->sandbox = g.SandboxMode();
    auto pid = runtime::Create(rt, *o);
    if (!pid.ok()) {
      *exit_code = Fail(pid.status());
      return;
    }
    Status st = runtime::Start(rt, o->id);
    if (!st.ok()) {
      (void)runtime::Delete(rt, o->id, true);
      *exit_code = Fail(st);
      return;
    }
    if (*detach) return;
    auto code = runtime::WaitForwardingSignals(*pid);
    Status del = runtime::Delete(rt, o->id, true);
    if (!code.ok()) {
      *exit_code = Fail(code.status());
      return;
    }
    if (!del.ok()) (void)Fail(del);
    *exit_code = *code;
  });
}

}  // namespace see::runsee
