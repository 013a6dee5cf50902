#include "e2e/seectl/commands.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "base/cleanup.h"
#include "base/file_util.h"
#include "e2e/seectl/host.h"
#include "e2e/seectl/manifest.h"

namespace see::seectl {
namespace {

namespace cri = runtime::v1;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

int Fail(const Status& st) {
  std::cerr << "seectl: " << st.message();
  if (st.err() != 0) std::cerr << ": " << std::strerror(st.err());
  std::cerr << "\n";
  return 1;
}

void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// --- finding pods -------------------------------------------------------------------------------

// "NAME", "pod/NAME", "job/NAME", "deployment/NAME": a label selector for the pod sandboxes.
Result<std::map<std::string, std::string>> Selector(const Globals& g, const std::string& target) {
  std::map<std::string, std::string> sel;
  if (!g.all_namespaces) sel[kPodNamespaceLabel] = g.namespace_;
  std::string kind = "pod", name = target;
  size_t slash = target.find('/');
  if (slash != std::string::npos) {
    kind = target.substr(0, slash);
    name = target.substr(slash + 1);
  }
  if (!IsDnsSubdomain(name)) return InvalidArgument("\"" + target + "\" is not a pod name");
  if (kind == "pod" || kind == "pods" || kind == "po") {
    sel[kPodNameLabel] = name;
  } else if (kind == "job" || kind == "jobs") {
    sel[kOwnerKindLabel] = "Job";
    sel[kOwnerNameLabel] = name;
  } else if (kind == "deployment" || kind == "deployments" || kind == "deploy") {
    sel[kOwnerKindLabel] = "Deployment";
    sel[kOwnerNameLabel] = name;
  } else {
    return InvalidArgument("\"" + kind + "\": seectl knows pod/, job/ and deployment/");
  }
  return sel;
}

// Sandboxes matching `sel`, newest first.
Result<std::vector<cri::PodSandbox>> ListSandboxes(CriClient& cri,
                                                   const std::map<std::string, std::string>& sel,
                                                   bool ready_only) {
  cri::ListPodSandboxRequest req;
  for (const auto& [k, v] : sel) (*req.mutable_filter()->mutable_label_selector())[k] = v;
  if (ready_only) req.mutable_filter()->mutable_state()->set_state(cri::SANDBOX_READY);
  SEE_ASSIGN_OR_RETURN(cri::ListPodSandboxResponse resp, cri.ListPodSandbox(req));
  std::vector<cri::PodSandbox> out;
  for (const cri::PodSandbox& p : resp.items()) {
    if (p.labels().count(kPodNameLabel)) out.push_back(p);  // a kubelet/seectl pod
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.created_at() > b.created_at();
  });
  return out;
}

// The newest sandbox of `target` (ready ones preferred).
Result<cri::PodSandbox> FindPod(CriClient& cri, const Globals& g, const std::string& target) {
  SEE_ASSIGN_OR_RETURN(auto sel, Selector(g, target));
  SEE_ASSIGN_OR_RETURN(std::vector<cri::PodSandbox> pods, ListSandboxes(cri, sel, false));
  if (pods.empty()) {
    return NotFound("pod " + target + " not found" +
                    (g.all_namespaces ? "" : " in namespace " + g.namespace_));
  }
  for (const cri::PodSandbox& p : pods) {
    if (p.state() == cri::SANDBOX_READY) return p;
  }
  return pods.front();
}

Result<std::vector<cri::Container>> PodContainers(CriClient& cri, const std::string& sandbox_id) {
  cri::ListContainersRequest req;
  req.mutable_filter()->set_pod_sandbox_id(sandbox_id);
  SEE_ASSIGN_OR_RETURN(cri::ListContainersResponse resp, cri.ListContainers(req));
  std::vector<cri::Container> out(resp.containers().begin(), resp.containers().end());
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.created_at() < b.created_at(); });
  return out;
}

bool IsInit(const cri::Container& c) { return c.labels().count(kInitLabel) != 0; }

std::string ContainerName(const cri::Container& c) {
  auto it = c.labels().find(kContainerNameLabel);
  return it != c.labels().end() ? it->second : c.metadata().name();
}

// The container `name` of a pod, or its only app container when `name` is empty.
Result<cri::Container> PickContainer(CriClient& cri, const cri::PodSandbox& pod,
                                     const std::string& name) {
  SEE_ASSIGN_OR_RETURN(std::vector<cri::Container> all, PodContainers(cri, pod.id()));
  std::vector<cri::Container> apps;
  for (const cri::Container& c : all) {
    if (!name.empty() ? ContainerName(c) == name : !IsInit(c)) apps.push_back(c);
  }
  const std::string& pod_name = pod.metadata().name();
  if (apps.empty()) {
    return NotFound(name.empty() ? "pod " + pod_name + " has no containers"
                                 : "container " + name + " not found in pod " + pod_name);
  }
  if (name.empty() && apps.size() > 1) {
    std::string names;
    for (const cri::Container& c : apps) names += (names.empty() ? "" : ", ") + ContainerName(c);
    return InvalidArgument("pod " + pod_name + " has containers " + names + ": choose one with -c");
  }
  return apps.back();  // the newest attempt
}

// --- apply --------------------------------------------------------------------------------------

// kubelet's EnsureImageExists: returns the image reference to create the container from, and
// checks the image's user when runAsNonRoot needs it.
Result<std::string> EnsureImage(CriClient& cri, const ContainerPlan& c, const ApplyOptions& o) {
  std::string policy = o.image_pull == "manifest" ? c.pull_policy : o.image_pull;
  cri::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image(c.image);
  SEE_ASSIGN_OR_RETURN(cri::ImageStatusResponse status, cri.ImageStatus(sreq));
  bool present = status.has_image() && !status.image().id().empty();
  if (policy == "Always" || (policy == "IfNotPresent" && !present)) {
    cri::PullImageRequest preq;
    preq.mutable_image()->set_image(c.image);
    Result<cri::PullImageResponse> pulled = cri.PullImage(preq, seconds(600));
    if (!pulled.ok()) {
      return pulled.status().Wrap("container " + c.config.metadata().name() + ": pulling image " +
                                  c.image + " (imagePullPolicy " + policy + ")");
    }
    SEE_ASSIGN_OR_RETURN(status, cri.ImageStatus(sreq));
    present = status.has_image() && !status.image().id().empty();
  }
  if (!present) {
    return FailedPrecondition("container " + c.config.metadata().name() + ": image " + c.image +
                              " is not present and imagePullPolicy is Never");
  }
  const cri::Image& img = status.image();
  if (c.verify_image_non_root) {
    if (img.has_uid() && img.uid().value() != 0) return img.id();
    if (!img.has_uid() && !img.username().empty()) {
      return FailedPrecondition("container " + c.config.metadata().name() +
                                ": runAsNonRoot and image has non-numeric user (" + img.username() +
                                "), cannot verify user is non-root");
    }
    return FailedPrecondition("container " + c.config.metadata().name() +
                              ": runAsNonRoot and image will run as root");
  }
  return img.id();
}

Status StopAndRemoveSandbox(CriClient& cri, const std::string& id) {
  cri::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(id);
  SEE_RETURN_IF_ERROR(cri.StopPodSandbox(stop).status());
  cri::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(id);
  return cri.RemovePodSandbox(rm).status();
}

Result<cri::ContainerStatus> GetStatus(CriClient& cri, const std::string& id) {
  cri::ContainerStatusRequest req;
  req.set_container_id(id);
  SEE_ASSIGN_OR_RETURN(cri::ContainerStatusResponse resp, cri.ContainerStatus(req));
  return resp.status();
}

Result<std::string> CreateAndStart(CriClient& cri, const std::string& sandbox_id,
                                   const cri::PodSandboxConfig& sb, const ContainerPlan& c,
                                   const std::string& image_ref) {
  cri::CreateContainerRequest req;
  req.set_pod_sandbox_id(sandbox_id);
  *req.mutable_config() = c.config;
  req.mutable_config()->mutable_image()->set_image(image_ref);
  *req.mutable_sandbox_config() = sb;
  const std::string& name = c.config.metadata().name();
  Result<cri::CreateContainerResponse> created = cri.CreateContainer(req);
  if (!created.ok()) return created.status().Wrap("creating container " + name);
  cri::StartContainerRequest start;
  start.set_container_id(created->container_id());
  Status st = cri.StartContainer(start).status();
  if (!st.ok()) return st.Wrap("starting container " + name);
  return created->container_id();
}

Result<cri::ContainerStatus> WaitExited(CriClient& cri, const std::string& id, int timeout_s) {
  auto deadline = Clock::now() + seconds(timeout_s);
  while (true) {
    SEE_ASSIGN_OR_RETURN(cri::ContainerStatus st, GetStatus(cri, id));
    if (st.state() == cri::CONTAINER_EXITED) return st;
    if (Clock::now() > deadline) {
      return Status(Code::kDeadlineExceeded, "container " + st.metadata().name() +
                                                 " still running after " +
                                                 std::to_string(timeout_s) + "s");
    }
    Sleep(200);
  }
}

Status WaitRunning(CriClient& cri, const std::vector<std::string>& ids, int timeout_s) {
  auto deadline = Clock::now() + seconds(timeout_s);
  for (const std::string& id : ids) {
    while (true) {
      SEE_ASSIGN_OR_RETURN(cri::ContainerStatus st, GetStatus(cri, id));
      if (st.state() == cri::CONTAINER_RUNNING) break;
      if (st.state() == cri::CONTAINER_EXITED) {
        // A container that ran to completion is as far as it goes; failure is an error.
        if (st.exit_code() == 0) break;
        return FailedPrecondition("container " + st.metadata().name() + " exited " +
                                  std::to_string(st.exit_code()) +
                                  (st.reason().empty() ? "" : " (" + st.reason() + ")"));
      }
      if (Clock::now() > deadline) {
        return Status(Code::kDeadlineExceeded, "container " + st.metadata().name() +
                                                   " not running after " +
                                                   std::to_string(timeout_s) + "s");
      }
      Sleep(200);
    }
  }
  return Status::Ok();
}

Status ApplyPod(CriClient& cri, const Globals& g, const Manifests& m, const Pod& pod,
                const ApplyOptions& o, const NodeConfig& node) {
  std::string ns = pod.namespace_.empty() ? g.namespace_ : pod.namespace_;
  std::map<std::string, std::string> sel = {{kPodNamespaceLabel, ns}, {kPodNameLabel, pod.name}};
  SEE_ASSIGN_OR_RETURN(std::vector<cri::PodSandbox> existing, ListSandboxes(cri, sel, false));
  if (!existing.empty()) {
    const cri::PodSandbox& p = existing.front();
    auto it = p.annotations().find(kSpecHashAnnotation);
    if (p.state() == cri::SANDBOX_READY && it != p.annotations().end() &&
        it->second == pod.spec_hash) {
      std::cout << "pod/" << pod.name << " unchanged\n";
      return Status::Ok();
    }
    return AlreadyExists("pod " + ns + "/" + pod.name +
                         (p.state() == cri::SANDBOX_READY ? " exists with a different spec"
                                                          : " exists (NotReady)") +
                         "; run `seectl delete pod " + pod.name + "` first");
  }

  SEE_ASSIGN_OR_RETURN(std::string uid, NewUuid());
  NodeConfig n = node;
  n.default_namespace = g.namespace_;
  SEE_ASSIGN_OR_RETURN(PodPlan plan, PlanPod(pod, m.runtime_classes, n, uid));

  // Images before anything exists: a pull failure leaves nothing behind.
  std::vector<std::string> init_refs, refs;
  for (const ContainerPlan& c : plan.init_containers) {
    SEE_ASSIGN_OR_RETURN(std::string ref, EnsureImage(cri, c, o));
    init_refs.push_back(ref);
  }
  for (const ContainerPlan& c : plan.containers) {
    SEE_ASSIGN_OR_RETURN(std::string ref, EnsureImage(cri, c, o));
    refs.push_back(ref);
  }

  UndoStack undo;
  SEE_RETURN_IF_ERROR(PrepareHost(plan, &undo));
  cri::RunPodSandboxRequest run;
  *run.mutable_config() = plan.sandbox;
  run.set_runtime_handler(plan.handler);
  Result<cri::RunPodSandboxResponse> sandbox = cri.RunPodSandbox(run, seconds(300));
  if (!sandbox.ok()) {
    return sandbox.status().Wrap("pod " + pod.name + " (runtime handler \"" + plan.handler + "\")");
  }
  const std::string sandbox_id = sandbox->pod_sandbox_id();
  undo.Push([&cri, sandbox_id] { (void)StopAndRemoveSandbox(cri, sandbox_id); });

  // Init containers run one at a time, each to a successful exit, before the others start.
  for (size_t i = 0; i < plan.init_containers.size(); ++i) {
    const ContainerPlan& c = plan.init_containers[i];
    SEE_ASSIGN_OR_RETURN(std::string id,
                         CreateAndStart(cri, sandbox_id, plan.sandbox, c, init_refs[i]));
    SEE_ASSIGN_OR_RETURN(cri::ContainerStatus st, WaitExited(cri, id, o.init_timeout_s));
    if (st.exit_code() != 0) {
      return FailedPrecondition("init container " + c.config.metadata().name() + " exited " +
                                std::to_string(st.exit_code()) +
                                (st.reason().empty() ? "" : " (" + st.reason() + ")") +
                                "; seectl does not restart it");
    }
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < plan.containers.size(); ++i) {
    SEE_ASSIGN_OR_RETURN(std::string id,
                         CreateAndStart(cri, sandbox_id, plan.sandbox, plan.containers[i], refs[i]));
    ids.push_back(id);
  }
  undo.Release();
  std::cout << "pod/" << pod.name << " created (namespace " << ns << ", handler "
            << (plan.handler.empty() ? "<default>" : plan.handler) << ", qos "
            << QosClassName(plan.qos) << ", sandbox " << sandbox_id.substr(0, 13) << ")\n";
  if (o.wait) SEE_RETURN_IF_ERROR(WaitRunning(cri, ids, o.wait_timeout_s));
  return Status::Ok();
}

Result<std::string> ReadInput(const std::string& file) {
  if (file == "-") {
    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return s;
  }
  return ReadFile(file);
}

Result<Manifests> LoadManifests(const std::string& file) {
  Result<std::string> text = ReadInput(file);
  if (!text.ok()) return text.status().Wrap("reading " + file);
  Result<Manifests> m = ParseManifests(*text);
  if (!m.ok()) return m.status().Wrap(file);
  return m;
}

// --- delete -------------------------------------------------------------------------------------

std::string Annotation(const cri::PodSandbox& p, const char* key) {
  auto it = p.annotations().find(key);
  return it != p.annotations().end() ? it->second : "";
}

// kubelet's killPod: stop the containers with the grace period (in parallel), then the sandbox;
// then remove it and the host-side pieces.
Status DeleteSandbox(CriClient& cri, const cri::PodSandbox& p, int grace_s) {
  if (grace_s < 0) {
    std::string a = Annotation(p, kGraceAnnotation);
    grace_s = a.empty() ? 30 : std::atoi(a.c_str());
  }
  SEE_ASSIGN_OR_RETURN(std::vector<cri::Container> ctrs, PodContainers(cri, p.id()));
  std::vector<Status> results(ctrs.size());
  std::vector<std::thread> stoppers;
  for (size_t i = 0; i < ctrs.size(); ++i) {
    if (ctrs[i].state() != cri::CONTAINER_RUNNING) continue;
    stoppers.emplace_back([&, i] {
      cri::StopContainerRequest req;
      req.set_container_id(ctrs[i].id());
      req.set_timeout(grace_s);
      results[i] = cri.StopContainer(req, seconds(grace_s + 60)).status();
    });
  }
  for (std::thread& t : stoppers) t.join();
  for (const Status& st : results) SEE_RETURN_IF_ERROR(st);
  SEE_RETURN_IF_ERROR(StopAndRemoveSandbox(cri, p.id()));
  auto uid = p.labels().find(kPodUidLabel);
  if (uid != p.labels().end()) {
    SEE_RETURN_IF_ERROR(CleanupHost(uid->second, Annotation(p, kPodDirAnnotation),
                                    Annotation(p, kLogDirAnnotation),
                                    Annotation(p, kCgroupAnnotation)));
  }
  return Status::Ok();
}

Status DeleteTarget(CriClient& cri, const Globals& g, const std::string& target,
                    const DeleteOptions& o) {
  SEE_ASSIGN_OR_RETURN(auto sel, Selector(g, target));
  SEE_ASSIGN_OR_RETURN(std::vector<cri::PodSandbox> pods, ListSandboxes(cri, sel, false));
  if (pods.empty()) {
    if (o.ignore_not_found) return Status::Ok();
    return NotFound("pod " + target + " not found in namespace " + g.namespace_);
  }
  std::set<std::string> names;
  for (const cri::PodSandbox& p : pods) {
    SEE_RETURN_IF_ERROR(DeleteSandbox(cri, p, o.grace_period_s));
    names.insert(p.metadata().name());
  }
  for (const std::string& n : names) std::cout << "pod/" << n << " deleted\n";
  return Status::Ok();
}

// --- get ----------------------------------------------------------------------------------------

struct PodView {
  cri::PodSandbox sandbox;
  std::vector<cri::ContainerStatus> containers;  // init first, in creation order
  std::string status;
  int ready = 0;
  int total = 0;
};

Result<PodView> ViewPod(CriClient& cri, const cri::PodSandbox& p) {
  PodView v;
  v.sandbox = p;
  SEE_ASSIGN_OR_RETURN(std::vector<cri::Container> ctrs, PodContainers(cri, p.id()));
  int running = 0, exited_ok = 0, created = 0, init_total = 0, init_done = 0;
  std::string failure;
  for (const cri::Container& c : ctrs) {
    Result<cri::ContainerStatus> st = GetStatus(cri, c.id());
    if (!st.ok()) continue;  // removed meanwhile
    v.containers.push_back(*st);
    if (IsInit(c)) {
      ++init_total;
      if (st->state() == cri::CONTAINER_EXITED && st->exit_code() == 0) ++init_done;
      continue;
    }
    ++v.total;
    switch (st->state()) {
      case cri::CONTAINER_RUNNING: ++running; break;
      case cri::CONTAINER_CREATED: ++created; break;
      case cri::CONTAINER_EXITED:
        if (st->exit_code() == 0) {
          ++exited_ok;
        } else if (failure.empty()) {
          failure = st->reason().empty() || st->reason() == "Error" ? "Error" : st->reason();
        }
        break;
      default: break;
    }
  }
  v.ready = running;
  if (v.total == 0 && init_total > init_done) {
    v.status = "Init:" + std::to_string(init_done) + "/" + std::to_string(init_total);
  } else if (!failure.empty()) {
    v.status = failure;
  } else if (created > 0) {
    v.status = "ContainerCreating";
  } else if (running > 0) {
    v.status = p.state() == cri::SANDBOX_READY ? "Running" : "Terminating";
  } else if (v.total > 0 && exited_ok == v.total) {
    v.status = "Completed";
  } else {
    v.status = p.state() == cri::SANDBOX_READY ? "Pending" : "NotReady";
  }
  return v;
}

std::string Age(int64_t created_ns) {
  int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  int64_t s = std::max<int64_t>(0, (now - created_ns) / 1000000000);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

const char* StateName(cri::ContainerState s) {
  switch (s) {
    case cri::CONTAINER_CREATED: return "created";
    case cri::CONTAINER_RUNNING: return "running";
    case cri::CONTAINER_EXITED: return "exited";
    default: return "unknown";
  }
}

nlohmann::json PodJson(const PodView& v) {
  const cri::PodSandbox& p = v.sandbox;
  nlohmann::json j;
  j["name"] = p.metadata().name();
  j["namespace"] = p.metadata().namespace_();
  j["uid"] = p.metadata().uid();
  j["sandboxId"] = p.id();
  j["sandboxState"] = p.state() == cri::SANDBOX_READY ? "ready" : "notready";
  j["runtimeHandler"] = p.runtime_handler();
  j["createdAt"] = p.created_at();
  j["status"] = v.status;
  j["ready"] = std::to_string(v.ready) + "/" + std::to_string(v.total);
  j["labels"] = nlohmann::json::object();
  for (const auto& [k, val] : p.labels()) j["labels"][k] = val;
  j["containers"] = nlohmann::json::array();
  for (const cri::ContainerStatus& c : v.containers) {
    nlohmann::json cj;
    auto it = c.labels().find(kContainerNameLabel);
    cj["name"] = it != c.labels().end() ? it->second : c.metadata().name();
    cj["id"] = c.id();
    cj["init"] = c.labels().count(kInitLabel) != 0;
    cj["state"] = StateName(c.state());
    cj["exitCode"] = c.exit_code();
    cj["reason"] = c.reason();
    cj["message"] = c.message();
    cj["image"] = c.image().image();
    cj["imageRef"] = c.image_ref();
    cj["startedAt"] = c.started_at();
    cj["finishedAt"] = c.finished_at();
    cj["logPath"] = c.log_path();
    j["containers"].push_back(cj);
  }
  return j;
}

// --- logs ---------------------------------------------------------------------------------------

// Prints the text of complete CRI log lines from `in`, joining partial ("P") lines; returns the
// bytes consumed (an incomplete last line is left for the next read).
size_t PrintLog(std::string_view data, std::string* pending) {
  size_t used = 0;
  while (true) {
    size_t nl = data.find('\n', used);
    if (nl == std::string_view::npos) break;
    LogLine l;
    if (ParseCriLogLine(data.substr(used, nl - used), &l)) {
      *pending += l.text;
      if (!l.partial) {
        std::cout << *pending << '\n';
        pending->clear();
      }
    }
    used = nl + 1;
  }
  std::cout.flush();
  return used;
}

}  // namespace

int CmdApply(CriClient& cri, const Globals& g, const ApplyOptions& o) {
  Result<Manifests> m = LoadManifests(o.file);
  if (!m.ok()) return Fail(m.status());
  for (const std::string& n : m->notes) std::cerr << "seectl: note: " << n << "\n";
  NodeConfig node = o.node;
  if (node.memory_capacity == 0) {
    Result<int64_t> mem = MemTotal();
    if (mem.ok()) node.memory_capacity = *mem;
  }
  if (!o.resolv_conf.empty()) {
    Result<std::string> rc = ReadFile(o.resolv_conf);
    if (rc.ok()) {
      ParseResolvConf(*rc, &node.host_nameservers, &node.host_searches, &node.host_options);
    }
  }
  int rc = 0;
  for (const Pod& pod : m->pods) {
    Status st = ApplyPod(cri, g, *m, pod, o, node);
    if (!st.ok()) rc = Fail(st.Wrap("pod/" + pod.name));
  }
  return rc;
}

int CmdDelete(CriClient& cri, const Globals& g, const DeleteOptions& o) {
  std::vector<std::pair<Globals, std::string>> targets;
  if (!o.file.empty()) {
    Result<Manifests> m = LoadManifests(o.file);
    if (!m.ok()) return Fail(m.status());
    for (const Pod& p : m->pods) {
      Globals pg = g;
      if (!p.namespace_.empty()) pg.namespace_ = p.namespace_;
      pg.all_namespaces = false;
      targets.emplace_back(pg, p.name);
    }
  }
  for (const std::string& t : o.targets) targets.emplace_back(g, t);
  if (targets.empty()) return Fail(InvalidArgument("delete: name a pod or give -f FILE"));
  int rc = 0;
  for (const auto& [pg, t] : targets) {
    Status st = DeleteTarget(cri, pg, t, o);
    if (!st.ok()) rc = Fail(st);
  }
  return rc;
}

int CmdGetPods(CriClient& cri, const Globals& g, const std::string& output,
               const std::vector<std::string>& names) {
  std::vector<cri::PodSandbox> pods;
  if (names.empty()) {
    std::map<std::string, std::string> sel;
    if (!g.all_namespaces) sel[kPodNamespaceLabel] = g.namespace_;
    Result<std::vector<cri::PodSandbox>> all = ListSandboxes(cri, sel, false);
    if (!all.ok()) return Fail(all.status());
    // One line per pod: the newest sandbox of each namespace/name.
    std::set<std::pair<std::string, std::string>> seen;
    for (const cri::PodSandbox& p : *all) {
      if (seen.insert({p.metadata().namespace_(), p.metadata().name()}).second) pods.push_back(p);
    }
  } else {
    for (const std::string& n : names) {
      Result<cri::PodSandbox> p = FindPod(cri, g, n);
      if (!p.ok()) return Fail(p.status());
      pods.push_back(*p);
    }
  }
  std::sort(pods.begin(), pods.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.metadata().namespace_(), a.metadata().name()) <
           std::make_pair(b.metadata().namespace_(), b.metadata().name());
  });
  std::vector<PodView> views;
  for (const cri::PodSandbox& p : pods) {
    Result<PodView> v = ViewPod(cri, p);
    if (!v.ok()) return Fail(v.status());
    views.push_back(*v);
  }
  if (output == "json") {
    nlohmann::json items = nlohmann::json::array();
    for (const PodView& v : views) items.push_back(PodJson(v));
    std::cout << nlohmann::json{{"items", items}}.dump(2) << "\n";
    return 0;
  }
  if (output != "" && output != "wide") return Fail(InvalidArgument("-o must be json or wide"));
  if (views.empty()) {
    std::cerr << "No resources found" << (g.all_namespaces ? "" : " in " + g.namespace_ + " namespace")
              << ".\n";
    return 0;
  }
  char line[512];
  auto row = [&](const std::string& ns, const std::string& name, const std::string& ready,
                 const std::string& status, const std::string& age, const std::string& handler,
                 const std::string& id) {
    std::string out;
    if (g.all_namespaces) {
      std::snprintf(line, sizeof line, "%-16s ", ns.c_str());
      out += line;
    }
    std::snprintf(line, sizeof line, "%-32s %-6s %-18s %-6s", name.c_str(), ready.c_str(),
                  status.c_str(), age.c_str());
    out += line;
    if (output == "wide") {
      std::snprintf(line, sizeof line, " %-10s %s", handler.c_str(), id.c_str());
      out += line;
    }
    std::cout << out << "\n";
  };
  row("NAMESPACE", "NAME", "READY", "STATUS", "AGE", "HANDLER", "SANDBOX");
  for (const PodView& v : views) {
    row(v.sandbox.metadata().namespace_(), v.sandbox.metadata().name(),
        std::to_string(v.ready) + "/" + std::to_string(v.total), v.status,
        Age(v.sandbox.created_at()),
        v.sandbox.runtime_handler().empty() ? "<default>" : v.sandbox.runtime_handler(),
        v.sandbox.id().substr(0, 13));
  }
  return 0;
}

int CmdLogs(CriClient& cri, const Globals& g, const LogsOptions& o) {
  Result<cri::PodSandbox> pod = FindPod(cri, g, o.target);
  if (!pod.ok()) return Fail(pod.status());
  Result<cri::Container> c = PickContainer(cri, *pod, o.container);
  if (!c.ok()) return Fail(c.status());
  Result<cri::ContainerStatus> st = GetStatus(cri, c->id());
  if (!st.ok()) return Fail(st.status());
  const std::string path = st->log_path();
  if (path.empty()) return Fail(NotFound("container " + ContainerName(*c) + " has no log path"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrnoStatus("opening log " + path));
  std::string buf, pending;
  char chunk[65536];
  while (true) {
    in.read(chunk, sizeof chunk);
    buf.append(chunk, static_cast<size_t>(in.gcount()));
    buf.erase(0, PrintLog(buf, &pending));
    if (in) continue;
    if (!o.follow) break;
    in.clear();
    Result<cri::ContainerStatus> now = GetStatus(cri, c->id());
    if (!now.ok() || now->state() == cri::CONTAINER_EXITED) {
      // One last read: the runtime writes the final lines before reporting the exit.
      in.read(chunk, sizeof chunk);
      buf.append(chunk, static_cast<size_t>(in.gcount()));
      if (in.gcount() > 0) continue;
      break;
    }
    Sleep(250);
  }
  if (!pending.empty()) std::cout << pending << "\n";
  return 0;
}

int CmdExec(CriClient& cri, const Globals& g, const ExecOptions& o) {
  if (o.command.empty()) return Fail(InvalidArgument("exec: no command (use -- CMD ARGS...)"));
  Result<cri::PodSandbox> pod = FindPod(cri, g, o.target);
  if (!pod.ok()) return Fail(pod.status());
  Result<cri::Container> c = PickContainer(cri, *pod, o.container);
  if (!c.ok()) return Fail(c.status());
  if (c->state() != cri::CONTAINER_RUNNING) {
    return Fail(FailedPrecondition("container " + ContainerName(*c) + " is not running"));
  }
  if (o.stdin || o.tty) {
    cri::ExecRequest req;
    req.set_container_id(c->id());
    for (const std::string& a : o.command) req.add_cmd(a);
    req.set_tty(o.tty);
    req.set_stdin(o.stdin);
    req.set_stdout(true);
    req.set_stderr(!o.tty);  // with a tty, stderr is merged into stdout (CRI rule)
    Result<cri::ExecResponse> resp = cri.Exec(req);
    if (!resp.ok()) return Fail(resp.status());
    std::string err;
    int code = ExecStream(resp->url(), o.stdin, o.tty, &err);
    if (code < 0) return Fail(Internal("exec stream: " + err));
    return code;
  }
  cri::ExecSyncRequest req;
  req.set_container_id(c->id());
  for (const std::string& a : o.command) req.add_cmd(a);
  req.set_timeout(o.timeout_s);
  // The RPC deadline must outlast the command; without a command timeout, allow a day.
  Result<cri::ExecSyncResponse> resp =
      cri.ExecSync(req, seconds(o.timeout_s > 0 ? o.timeout_s + 30 : 86400));
  if (!resp.ok()) return Fail(resp.status());
  (void)!::write(STDOUT_FILENO, resp->stdout().data(), resp->stdout().size());
  (void)!::write(STDERR_FILENO, resp->stderr().data(), resp->stderr().size());
  return resp->exit_code();
}

int CmdWait(CriClient& cri, const Globals& g, const WaitOptions& o) {
  if (o.for_condition != "completion" && o.for_condition != "ready") {
    return Fail(InvalidArgument("--for must be completion or ready"));
  }
  auto deadline = Clock::now() + seconds(o.timeout_s);
  while (true) {
    Result<cri::PodSandbox> pod = FindPod(cri, g, o.target);
    if (!pod.ok()) return Fail(pod.status());
    Result<PodView> v = ViewPod(cri, *pod);
    if (!v.ok()) return Fail(v.status());
    int exited = 0, failed = 0, running = 0, apps = 0;
    for (const cri::ContainerStatus& c : v->containers) {
      if (c.labels().count(kInitLabel)) continue;
      ++apps;
      if (c.state() == cri::CONTAINER_EXITED) {
        ++exited;
        if (c.exit_code() != 0) ++failed;
      }
      if (c.state() == cri::CONTAINER_RUNNING) ++running;
    }
    bool done = o.for_condition == "completion" ? (apps > 0 && exited == apps)
                                                : (apps > 0 && running == apps) || failed > 0;
    if (done) {
      for (const cri::ContainerStatus& c : v->containers) {
        auto it = c.labels().find(kContainerNameLabel);
        std::string name = it != c.labels().end() ? it->second : c.metadata().name();
        std::cout << name << ": " << StateName(c.state());
        if (c.state() == cri::CONTAINER_EXITED) {
          std::cout << " " << c.exit_code();
          if (!c.reason().empty()) std::cout << " (" << c.reason() << ")";
        }
        std::cout << "\n";
      }
      return failed > 0 ? 1 : 0;
    }
    if (Clock::now() > deadline) {
      return Fail(Status(Code::kDeadlineExceeded, "pod " + o.target + ": not " + o.for_condition +
                                                      " after " + std::to_string(o.timeout_s) +
                                                      "s (status " + v->status + ")"));
    }
    Sleep(250);
  }
}

int CmdVersion(CriClient& cri) {
  std::cout << "Client: seectl (CRI runtime.v1)\n";
  cri::VersionRequest req;
  req.set_version("v1");
  Result<cri::VersionResponse> v = cri.Version(req);
  if (!v.ok()) return Fail(v.status());
  std::cout << "RuntimeName: " << v->runtime_name() << "\nRuntimeVersion: " << v->runtime_version()
            << "\nRuntimeApiVersion: " << v->runtime_api_version() << "\n";
  Result<cri::StatusResponse> st = cri.Status(cri::StatusRequest());
  if (!st.ok()) return Fail(st.status());
  for (const cri::RuntimeCondition& c : st->status().conditions()) {
    std::cout << c.type() << ": " << (c.status() ? "true" : "false");
    if (!c.reason().empty()) std::cout << " (" << c.reason() << ")";
    std::cout << "\n";
  }
  return 0;
}

int CmdImages(CriClient& cri) {
  Result<cri::ListImagesResponse> r = cri.ListImages(cri::ListImagesRequest());
  if (!r.ok()) return Fail(r.status());
  for (const cri::Image& img : r->images()) {
    std::string tags;
    for (const std::string& t : img.repo_tags()) tags += (tags.empty() ? "" : ",") + t;
    std::printf("%-60s %-20.19s %llu\n", tags.empty() ? "<none>" : tags.c_str(), img.id().c_str(),
                static_cast<unsigned long long>(img.size()));
  }
  return 0;
}

}  // namespace see::seectl
