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

  runtime::RuntimeOptions Runtime() const {
    runtime::RuntimeOptions rt;
    rt.root = root;
    return rt;
  }
};

// Logs `st` at error level (runc-shaped when --log-format json) and returns the exit code 1.
int Fail(const Status& st);

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
