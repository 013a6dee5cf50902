#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "runtime/runsee/commands.h"

namespace see::runsee {
namespace {

struct ExecArgs {
  runtime::ExecOptions o;
  std::string process_file, cwd, user;
  std::vector<std::string> env, caps;
  bool detach = false, tty = false, no_new_privs = false;
  std::vector<std::string> rest;  // <id> [command args...]
};

// The process object for exec: --process as given, else the container's own process with the
// command replaced; then the command-line overrides, as runc applies them.
Result<std::string> BuildProcessJson(const GlobalFlags& g, ExecArgs& a) {
  try {
    nlohmann::json p;
    if (!a.process_file.empty()) {
      Result<std::string> text = a.process_file == "-" ? ReadAll(0) : ReadFile(a.process_file);
      if (!text.ok()) return text.status().Wrap("reading --process");
      p = nlohmann::json::parse(*text);
    } else {
      if (a.rest.size() < 2) return InvalidArgument("exec: no command given (or --process)");
      SEE_ASSIGN_OR_RETURN(std::string spec, runtime::StoredSpecJson(g.Runtime(), a.o.id));
      p = nlohmann::json::parse(spec).value("process", nlohmann::json::object());
      p["args"] = std::vector<std::string>(a.rest.begin() + 1, a.rest.end());
      p["terminal"] = false;
    }
    if (a.tty) p["terminal"] = true;
    if (!a.cwd.empty()) p["cwd"] = a.cwd;
    for (const auto& e : a.env) p["env"].push_back(e);
    if (!a.user.empty()) {
      size_t colon = a.user.find(':');
      p["user"]["uid"] = std::stoul(a.user.substr(0, colon));
      if (colon != std::string::npos) p["user"]["gid"] = std::stoul(a.user.substr(colon + 1));
    }
    for (const auto& c : a.caps) {
      for (const char* set : {"bounding", "effective", "permitted"}) p["capabilities"][set].push_back(c);
    }
    if (a.no_new_privs) p["noNewPrivileges"] = true;
    return p.dump();
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("exec: bad process: ") + e.what());
  }
}

}  // namespace

void AddExec(CLI::App& app, const GlobalFlags& g, int* exit_code) {
  auto* cmd = app.add_subcommand("exec", "run a process in a running container");
  auto a = std::make_shared<ExecArgs>();
  cmd->add_option("-p,--process", a->process_file, "path to a process.json");
  cmd->add_flag("-d,--detach", a->detach, "return once the process runs");
  cmd->add_flag("-t,--tty", a->tty, "allocate a pty");
  cmd->add_option("--pid-file", a->o.pid_file, "file to write the process's pid to");
  cmd->add_option("--console-socket", a->o.console_socket, "unix socket receiving the pty master");
  cmd->add_option("--preserve-fds", a->o.preserve_fds, "pass N extra fds");
  cmd->add_option("--cwd", a->cwd, "working directory");
  // One value per occurrence (repeat the flag): a vector option would otherwise swallow the
  // container id and the command that follow it.
  cmd->add_option("-e,--env", a->env, "extra environment (KEY=value)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("-u,--user", a->user, "uid[:gid]");
  cmd->add_option("-c,--cap", a->caps, "extra capability")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_flag("--no-new-privs", a->no_new_privs, "set no_new_privs");
  // Everything from <id> on is positional: "exec c1 sh -c x" must not parse -c as --cap.
  cmd->prefix_command();
  cmd->footer("Arguments: <id> [command [args...]]");
  cmd->callback([&g, a, cmd, exit_code] {
    a->rest = cmd->remaining();
    if (a->rest.empty()) {
      *exit_code = Fail(InvalidArgument("exec: container id required"));
      return;
    }
    a->o.id = a->rest[0];
    auto process = BuildProcessJson(g, *a);
    if (!process.ok()) {
      *exit_code = Fail(process.status());
      return;
    }
    a->o.process_json = *process;
    auto pid = runtime::Exec(g.Runtime(), a->o);
    if (!pid.ok()) {
      *exit_code = Fail(pid.status());
      return;
    }
    if (a->detach) return;
    auto code = runtime::WaitForwardingSignals(*pid);
    if (!code.ok()) {
      *exit_code = Fail(code.status());
      return;
    }
    *exit_code = *code;
  });
}

}  // namespace see::runsee
