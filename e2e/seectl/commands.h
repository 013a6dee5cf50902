// seectl's verbs over a CriClient. Each returns the process exit code; errors go to stderr.
#pragma once

#include <string>
#include <vector>

#include "e2e/seectl/cri_client.h"
#include "e2e/seectl/translate.h"

namespace see::seectl {

struct Globals {
  std::string endpoint;
  std::string namespace_ = "default";
  bool all_namespaces = false;
  int rpc_timeout_s = 120;
};

struct ApplyOptions {
  std::string file;  // "-" for stdin
  bool wait = false;
  int wait_timeout_s = 300;
  int init_timeout_s = 300;
  std::string image_pull = "manifest";  // manifest | IfNotPresent | Never
  std::string resolv_conf = "/etc/resolv.conf";
  NodeConfig node;
};

struct DeleteOptions {
  std::string file;
  std::vector<std::string> targets;  // pod/NAME, NAME, job/NAME, deployment/NAME
  int grace_period_s = -1;           // -1: the pod's terminationGracePeriodSeconds
  bool ignore_not_found = false;
};

struct ExecOptions {
  std::string target;
  std::string container;
  std::vector<std::string> command;
  bool stdin = false;
  bool tty = false;
  int timeout_s = 0;  // ExecSync timeout, 0: none
};

struct WaitOptions {
  std::string target;
  std::string for_condition = "completion";  // completion | ready
  int timeout_s = 300;
};

struct LogsOptions {
  std::string target;
  std::string container;
  bool follow = false;
};

int CmdApply(CriClient& cri, const Globals& g, const ApplyOptions& o);
int CmdDelete(CriClient& cri, const Globals& g, const DeleteOptions& o);
int CmdGetPods(CriClient& cri, const Globals& g, const std::string& output,
               const std::vector<std::string>& names);
int CmdLogs(CriClient& cri, const Globals& g, const LogsOptions& o);
int CmdExec(CriClient& cri, const Globals& g, const ExecOptions& o);
int CmdWait(CriClient& cri, const Globals& g, const WaitOptions& o);
int CmdVersion(CriClient& cri);
int CmdImages(CriClient& cri);

// -it: runs `o.command` over the CRI streaming URL (WebSocket, v4.channel.k8s.io); exit code of
// the command, or -1 with `err` set.
int ExecStream(const std::string& url, bool stdin, bool tty, std::string* err);

}  // namespace see::seectl
