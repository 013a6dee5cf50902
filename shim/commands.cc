#include "shim/commands.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "base/file_util.h"
#include "base/logging.h"
#include "base/ttrpc/address.h"
#include "base/ttrpc/server.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "runtime/linux/container.h"
#include "shim/backend.h"
#include "shim/event_loop.h"
#include "shim/log_sink.h"
#include "shim/publisher.h"
#include "shim/rootfs.h"
#include "shim/task_dispatch.h"
#include "shim/task_service.h"

extern char** environ;

namespace see::shim {

namespace {

// containerd's grouping labels, in its order (runc/manager groupLabels).
constexpr const char* kGroupLabels[] = {"io.containerd.runc.v2.group",
                                        "io.kubernetes.cri.sandbox-id"};

bool CanConnect(const ttrpc::UnixAddress& a) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd && connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.addr), a.len) == 0;
}

std::string Cwd() {
  char buf[4096];
  return getcwd(buf, sizeof(buf)) ? std::string(buf) : std::string(".");
}

}  // namespace

std::string RuntimeRoot(const std::string& ns) { return "/run/containerd/see/" + ns; }

Result<std::string> ShimAddressForBundle(const ShimFlags& flags, const std::string& bundle_dir) {
  std::string grouping = flags.id;
  auto text = ReadFile(bundle_dir + "/config.json");
  if (!text.ok()) return text.status().Wrap("reading config.json");
  auto j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("config.json is not valid JSON");
  if (j.contains("annotations") && j["annotations"].is_object()) {
    for (const char* label : kGroupLabels) {
      auto it = j["annotations"].find(label);
      if (it != j["annotations"].end() && it->is_string()) {
        grouping = it->get<std::string>();
        break;
      }
    }
  }
  return ttrpc::ShimSocketAddress(flags.address, flags.ns, grouping);
}

int RunStart(const ShimFlags& flags) {
  // Nothing may go to stderr on success: containerd reads the combined output as the address.
  auto fail = [](const Status& st) {
    fprintf(stderr, "containerd-shim-see-v2: %s\n", st.ToString().c_str());
    return 1;
  };
  if (flags.ns.empty() || flags.id.empty()) return fail(InvalidArgument("-namespace and -id are required"));
  std::string bundle = Cwd();
  auto address = ShimAddressForBundle(flags, bundle);
  if (!address.ok()) return fail(address.status());
  auto ua = ttrpc::ParseUnixAddress(*address);
  if (!ua.ok()) return fail(ua.status());
  if (!ua->abstract) {
    auto slash = ua->path.rfind('/');
    Status st = MkdirAll(ua->path.substr(0, slash), 0711);
    if (!st.ok()) return fail(st);
  }
  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) return fail(ErrnoStatus("socket"));
  auto bind_it = [&] {
    return bind(listener.get(), reinterpret_cast<const sockaddr*>(&ua->addr), ua->len);
  };
  if (bind_it() < 0) {
    if (errno != EADDRINUSE) return fail(ErrnoStatus("bind " + *address));
    if (CanConnect(*ua)) {
      // The pod already has its shim: this container joins it.
      Status st = WriteFile(bundle + "/address", *address);
      if (!st.ok()) return fail(st);
      fputs(address->c_str(), stdout);
      return 0;
    }
    unlink(ua->path.c_str());  // left by a dead shim
    if (bind_it() < 0) return fail(ErrnoStatus("bind " + *address));
  }
  if (!ua->abstract) chmod(ua->path.c_str(), 0600);
  if (listen(listener.get(), 128) < 0) return fail(ErrnoStatus("listen"));
  Status st = WriteFile(bundle + "/address", *address);
  if (!st.ok()) return fail(st);

  std::vector<std::string> args = {"containerd-shim-see-v2", "-namespace", flags.ns, "-id",
                                   flags.id,                 "-address",   flags.address,
                                   "-socket",                ua->abstract ? "" : ua->path};
  if (flags.debug) args.push_back("-debug");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int lfd = listener.get();
  pid_t pid = fork();
  if (pid < 0) return fail(ErrnoStatus("fork"));
  if (pid == 0) {
    setsid();
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    if (lfd == 3) {
      fcntl(3, F_SETFD, 0);
    } else if (dup2(lfd, 3) < 0) {
      _exit(126);
    }
    execve("/proc/self/exe", argv.data(), environ);
    _exit(127);
  }
  // The daemon is re-parented to containerd's subreaper (or init) when we exit; nothing to wait.
  // containerd writes the runtime options to stdin; they reach the shim again with Create.
  char buf[4096];
  while (read(0, buf, sizeof(buf)) > 0) {
  }
  fputs(address->c_str(), stdout);
  return 0;
}

int RunDelete(const ShimFlags& flags) {
  std::string bundle = flags.bundle.empty() ? Cwd() : flags.bundle;
  (void)InitLogging({.path = "", .format = LogFormat::kText, .level = spdlog::level::warn,
                     .name = "containerd-shim-see-v2"});
  runtime::RuntimeOptions rt;
  rt.root = RuntimeRoot(flags.ns);
  uint32_t pid = 0;
  if (auto info = runtime::GetState(rt, flags.id); info.ok()) pid = info->state.init_pid;
  auto backend = NewRuntimeBackend(rt.root);
  Status st = backend->Delete(flags.id, /*force=*/true);
  if (!st.ok() && st.code() != Code::kNotFound) {
    spdlog::warn("deleting container {}: {}", flags.id, st.ToString());
  }
  st = UnmountRootfs(bundle + "/rootfs");
  if (!st.ok()) spdlog::warn("{}", st.ToString());
  // The socket of the dead shim, unless another container of the pod still has a live one there;
  // likewise the pod's see-sentry (it normally exited with its owner, the shim).
  if (auto address = ReadFile(bundle + "/address"); address.ok()) {
    auto ua = ttrpc::ParseUnixAddress(*address);
    if (ua.ok() && !ua->abstract && !CanConnect(*ua)) {
      unlink(ua->path.c_str());
      KillLeftoverSentry(PodDirForShimSocket(ua->path));
      ReleaseLeftoverUsernsClaims(PodDirForShimSocket(ua->path));
    }
  }
  ::containerd::task::v2::DeleteResponse resp;
  resp.set_pid(pid);
  resp.set_exit_status(128 + SIGKILL);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  resp.mutable_exited_at()->set_seconds(ns / 1000000000);
  resp.mutable_exited_at()->set_nanos(static_cast<int32_t>(ns % 1000000000));
  std::string out = resp.SerializeAsString();
  if (!WriteAll(1, out).ok()) return 1;
  return 0;
}

int RunDaemon(const ShimFlags& flags) {
  // SIGCHLD arrives through the reaper's signalfd; SIGPIPE as EPIPE from write. Blocked before any
  // thread exists so every thread inherits the mask (the runtime unblocks them for children).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // One malloc arena: the shim's three threads (ttrpc, loop, publisher) allocate little, and an
  // arena per thread costs the idle shim resident heap pages for nothing.
  mallopt(M_ARENA_MAX, 1);
  InstallShimLogger("log", flags.debug);
  spdlog::info("starting containerd-shim-see-v2 (namespace {}, id {})", flags.ns, flags.id);
  // Orphaned processes of containers without their own pid namespace come to us, not to init.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  auto loop = EventLoop::Create();
  if (!loop.ok()) {
    spdlog::error("{}", loop.status().ToString());
    return 1;
  }
  auto server = ttrpc::Server::Create();
  if (!server.ok()) {
    spdlog::error("{}", server.status().ToString());
    return 1;
  }
  auto backend = NewRuntimeBackend(RuntimeRoot(flags.ns),
                                   PodDirForShimSocket(flags.socket.empty() ? flags.id : flags.socket));
  TtrpcPublisher publisher(flags.ttrpc_address, flags.ns);
  ttrpc::Server* srv = server->get();
  TaskService service(loop->get(), backend.get(), &publisher, {.ns = flags.ns},
                      [srv] { srv->Shutdown(); });
  Status st = RegisterTaskService(srv, &service);
  if (st.ok()) st = service.StartReaper();
  if (st.ok()) st = srv->AddListener(UniqueFd(3));
  if (!st.ok()) {
    spdlog::error("{}", st.ToString());
    return 1;
  }
  EventLoop* l = loop->get();
  std::thread loop_thread([l] {
    Status s = l->Run();
    if (!s.ok()) spdlog::error("event loop: {}", s.ToString());
  });
  st = srv->Serve();
  if (!st.ok()) spdlog::error("ttrpc server: {}", st.ToString());
  l->Stop();
  loop_thread.join();
  if (!flags.socket.empty()) unlink(flags.socket.c_str());
  (void)publisher.Flush(std::chrono::seconds(5));
  spdlog::info("shim exiting");
  return st.ok() ? 0 : 1;
}

}  // namespace see::shim
