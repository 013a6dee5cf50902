// runsee's verbs. Each Add<Verb> registers a CLI11 subcommand whose callback does the work
// through see_runtime and stores the process exit code in *exit_code. The CLI stays thin: flags
// in, one library call, output out.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "base/status.h"
#include "runtime/linux/container.h"

namespace see::runsee {

struct GlobalFlags {
  std::string root = "/run/runsee";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  std::string rootless = "auto";  // accepted and ignored (runc compatibility)
  std::string criu;               // accepted and ignored
  std::string sandbox = "sentry";  // sentry | none (runtime::Sandbox)
  std::string sentry_path;         // see-sentry binary; empty: beside runsee, then PATH

  runtime::RuntimeOptions Runtime() const {
    runtime::RuntimeOptions rt;
    rt.root = root;
    rt.sentry_path = sentry_path;
    return rt;
  }
  runtime::Sandbox SandboxMode() const {
    return sandbox == "none" ? runtime::Sandbox::kNone : runtime::Sandbox::kSentry;
  }
};

// Logs `st` at error level (runc-shaped when --log-format json) and returns the exit code 1.
int Fail(const Status& st);

// The create/run flags shared by both verbs (bundle, pid file, console, fds, sandbox socket).
void AddCreateFlags(CLI::App* cmd, runtime::CreateOptions* o);

void AddCreate(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddStart(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddState(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddKill(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddDelete(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddRun(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddExec(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddPs(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddPause(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddResume(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddUpdate(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddEvents(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddFeatures(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddSpec(CLI::App& app, const GlobalFlags& g, int* exit_code);
void AddList(CLI::App& app, const GlobalFlags& g, int* exit_code);

}  // namespace see::runsee
