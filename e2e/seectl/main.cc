// seectl: runs Kubernetes Pod manifests (and the pod template of Deployments and Jobs) on a node's
// CRI runtime (containerd) the way the kubelet would, without an API server. Stateless: pods are
// found again through the labels the kubelet sets (io.kubernetes.pod.name/namespace/uid).
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "e2e/seectl/commands.h"

namespace {

constexpr char kHelp[] = R"(seectl: a CRI v1 client that runs Pod manifests like the kubelet.

Endpoint: --endpoint, else $SEE_CRI_ENDPOINT, else unix:///run/containerd/containerd.sock.

RuntimeClass: spec.runtimeClassName names a RuntimeClass; a RuntimeClass document (kind
RuntimeClass, handler) in the same file maps it to its CRI runtime handler. Without one, the
name itself is used as the handler (there is no API server to look it up in).
Deployments run one pod named <deployment>-0 (replicas ignored); Jobs run one pod <job>-0 and
need restartPolicy Never or OnFailure. Nothing is restarted: seectl has no control loop.
Targets: NAME | pod/NAME | job/NAME | deployment/NAME.)";

}  // namespace

int main(int argc, char** argv) {
  using namespace see::seectl;
  CLI::App app{kHelp, "seectl"};
  app.require_subcommand(1);
  app.fallthrough();  // global flags (-n, -A, --endpoint) also after the verb, as kubectl
  Globals g;
  const char* env = std::getenv("SEE_CRI_ENDPOINT");
  g.endpoint = env && *env ? env : "unix:///run/containerd/containerd.sock";
  app.add_option("--endpoint", g.endpoint, "CRI endpoint (unix:///path)")->capture_default_str();
  app.add_option("-n,--namespace", g.namespace_, "namespace")->capture_default_str();
  app.add_flag("-A,--all-namespaces", g.all_namespaces, "all namespaces (get, logs, exec, wait)");
  app.add_option("--rpc-timeout", g.rpc_timeout_s, "seconds per CRI call")->capture_default_str();

  ApplyOptions ap;
  CLI::App* apply = app.add_subcommand("apply", "run the pods of a manifest file");
  apply->add_option("-f,--filename", ap.file, "manifest (YAML, multi-document; - for stdin)")
      ->required();
  apply->add_flag("--wait", ap.wait, "wait until every container runs (or exited 0)");
  apply->add_option("--wait-timeout", ap.wait_timeout_s, "seconds")->capture_default_str();
  apply->add_option("--init-timeout", ap.init_timeout_s, "seconds per init container")
      ->capture_default_str();
  apply->add_option("--image-pull", ap.image_pull,
                    "manifest (imagePullPolicy as written/defaulted), IfNotPresent or Never")
      ->check(CLI::IsMember({"manifest", "IfNotPresent", "Never"}))
      ->capture_default_str();
  apply->add_option("--pod-log-dir", ap.node.pod_log_dir, "base of pod log directories")
      ->capture_default_str();
  apply->add_option("--pod-dir", ap.node.pod_dir, "base of per-pod directories (emptyDir)")
      ->capture_default_str();
  apply->add_option("--cgroup-parent", ap.node.cgroup_parent,
                    "cgroup under which pod cgroups (<parent>/<qos>/pod<uid>) go")
      ->capture_default_str();
  apply->add_option("--cluster-dns", ap.node.cluster_dns,
                    "cluster DNS server for dnsPolicy ClusterFirst (none: the host's resolv.conf)");
  apply->add_option("--cluster-domain", ap.node.cluster_domain)->capture_default_str();
  apply->add_option("--resolv-conf", ap.resolv_conf, "the host's resolv.conf")
      ->capture_default_str();

  DeleteOptions del;
  CLI::App* delete_cmd = app.add_subcommand("delete", "stop and remove pods");
  delete_cmd->add_option("-f,--filename", del.file, "delete the pods of this manifest");
  std::vector<std::string> del_args;
  delete_cmd->add_option("targets", del_args, "pod NAME... | pod/NAME | job/NAME | deployment/NAME");
  delete_cmd->add_option("--grace-period", del.grace_period_s,
                         "seconds (default: the pod's terminationGracePeriodSeconds)");
  bool now = false;
  delete_cmd->add_flag("--now", now, "grace period 1 s");
  delete_cmd->add_flag("--ignore-not-found", del.ignore_not_found);

  std::string output;
  std::vector<std::string> get_args;
  CLI::App* get = app.add_subcommand("get", "list pods: get pods [NAME...] [-o json|wide]");
  get->add_option("resource", get_args, "pods [NAME...]")->required();
  get->add_option("-o,--output", output, "json or wide");

  LogsOptions lo;
  CLI::App* logs = app.add_subcommand("logs", "print a container's log (the CRI log file)");
  logs->add_option("target", lo.target)->required();
  logs->add_option("-c,--container", lo.container);
  logs->add_flag("-f,--follow", lo.follow, "follow until the container exits");

  ExecOptions ex;
  CLI::App* exec = app.add_subcommand("exec", "run a command in a container: exec POD -- CMD...");
  exec->add_option("target", ex.target)->required();
  exec->add_option("-c,--container", ex.container);
  exec->add_flag("-i,--stdin", ex.stdin, "pass stdin (streaming Exec)");
  exec->add_flag("-t,--tty", ex.tty, "allocate a tty (streaming Exec)");
  exec->add_option("--timeout", ex.timeout_s, "seconds (ExecSync; 0: none)");
  exec->add_option("command", ex.command)->required();

  WaitOptions wo;
  CLI::App* wait = app.add_subcommand("wait", "wait for a pod's containers; prints exit codes");
  wait->add_option("target", wo.target)->required();
  wait->add_option("--for", wo.for_condition, "completion or ready")->capture_default_str();
  wait->add_option("--timeout", wo.timeout_s, "seconds")->capture_default_str();

  CLI::App* version = app.add_subcommand("version", "client and runtime versions, runtime status");
  CLI::App* images = app.add_subcommand("images", "list the runtime's images");

  CLI11_PARSE(app, argc, argv);

  CriClient cri(g.endpoint);
  cri.set_timeout(std::chrono::seconds(g.rpc_timeout_s));
  if (*apply) return CmdApply(cri, g, ap);
  if (*delete_cmd) {
    if (now) del.grace_period_s = 1;
    // `delete pod NAME...` as kubectl; also `delete pod/NAME`, `delete job/NAME`.
    for (size_t i = 0; i < del_args.size(); ++i) {
      if (i == 0 && (del_args[0] == "pod" || del_args[0] == "pods" || del_args[0] == "po")) continue;
      del.targets.push_back(del_args[i]);
    }
    return CmdDelete(cri, g, del);
  }
  if (*get) {
    if (get_args[0] != "pods" && get_args[0] != "pod" && get_args[0] != "po") {
      std::cerr << "seectl: get: only pods are listed\n";
      return 1;
    }
    return CmdGetPods(cri, g, output, {get_args.begin() + 1, get_args.end()});
  }
  if (*logs) return CmdLogs(cri, g, lo);
  if (*exec) {
    // With fallthrough, CLI11 keeps the "--" that separates the command from seectl's flags.
    if (!ex.command.empty() && ex.command.front() == "--") ex.command.erase(ex.command.begin());
    return CmdExec(cri, g, ex);
  }
  if (*wait) return CmdWait(cri, g, wo);
  if (*version) return CmdVersion(cri);
  if (*images) return CmdImages(cri);
  return 1;
}
