// The Task service end to end inside one process: a real ttrpc server and client over a unix
// socket, the real TaskService and EventLoop, and a fake backend whose "containers" are plain
// child processes. Checks containerd's event order, Wait/Delete semantics, error codes, and that
// malformed frames neither crash nor wedge the shim.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "base/file_util.h"
#include "base/ttrpc/client.h"
#include "base/ttrpc/frame.h"
#include "base/ttrpc/server.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "proto/ttrpc.pb.h"
#include "shim/backend.h"
#include "shim/task_service.h"

namespace see::shim {
namespace {

class FakeBackend : public ContainerBackend {
 public:
  std::vector<std::string> init_args = {"/bin/sh", "-c", "echo hello; exit 3"};
  std::string last_update;
  // The init is started at once by a stand-in for the pod's see-sentry (`sentry`), which reaps it
  // without ever reporting the exit and then exits itself (ClaimExit names it).
  bool sentry_reaps = false;
  pid_t sentry = -1;

  bool ClaimExit(pid_t pid, int) override { return sentry_reaps && pid == sentry; }

  // The pod's user namespace: PrepareUserNamespace's answer, and how often an unused one was
  // released after a failed create.
  int userns_fd = -1;
  int userns_released = 0;
  Result<int> PrepareUserNamespace(const std::string&, const UsernsSettings&) override {
    return userns_fd;
  }
  void ReleaseUnusedUserNamespace() override { ++userns_released; }

  // The pod sentry's exit reports: the test calls it (on the service's loop) as the backend would.
  ExitCallback on_exit;
  void WatchExits(EventLoop*, ExitCallback cb) override { on_exit = std::move(cb); }

  Result<pid_t> Create(const BackendCreate& c) override {
    if (c.id == "fail") return InvalidArgument("config.json: process.args is required");
    if (sentry_reaps) {
      int p[2];
      if (pipe2(p, O_CLOEXEC) < 0) return ErrnoStatus("pipe");
      sentry = fork();
      if (sentry == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        pid_t init = fork();
        if (init == 0) {
          execl("/bin/sleep", "sleep", "1000", nullptr);
          _exit(127);
        }
        (void)!write(p[1], &init, sizeof(init));
        waitpid(init, nullptr, 0);
        _exit(0);
      }
      close(p[1]);
      pid_t init = -1;
      (void)!read(p[0], &init, sizeof(init));
      close(p[0]);
      pids_[c.id] = init;
      return init;
    }
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) < 0) return ErrnoStatus("pipe");
    pid_t pid = Spawn(init_args, c.stdio, gate[0], gate[1]);
    close(gate[0]);
    if (pid < 0) return ErrnoStatus("fork");
    gates_[c.id] = gate[1];
    pids_[c.id] = pid;
    return pid;
  }
  Status Start(const std::string& id) override {
    if (sentry_reaps) return Status::Ok();
    auto it = gates_.find(id);
    if (it == gates_.end()) return FailedPrecondition("not created");
    close(it->second);  // the child's read() returns 0: go
    gates_.erase(it);
    return Status::Ok();
  }
  Result<pid_t> Exec(const BackendExec& e) override {
    auto j = nlohmann::json::parse(e.process_json, nullptr, false);
    if (j.is_discarded() || !j.contains("args")) return InvalidArgument("process: args");
    pid_t pid = Spawn(j["args"].get<std::vector<std::string>>(), e.stdio, -1, -1);
    if (pid < 0) return ErrnoStatus("fork");
    return pid;
  }
  Status Kill(const std::string& id, int sig, bool) override {
    auto it = pids_.find(id);
    if (it == pids_.end()) return NotFound("container " + id + " does not exist");
    ::kill(it->second, sig);
    return Status::Ok();
  }
  Status Delete(const std::string& id, bool force) override {
    if (force && pids_.count(id)) ::kill(pids_[id], SIGKILL);
    if (gates_.count(id)) {
      close(gates_[id]);
      gates_.erase(id);
    }
    pids_.erase(id);
    return Status::Ok();
  }
  Status Pause(const std::string&) override { return Status::Ok(); }
  Status Resume(const std::string&) override { return Status::Ok(); }
  Result<std::vector<pid_t>> Pids(const std::string& id) override {
    return std::vector<pid_t>{pids_[id]};
  }
  Status Update(const std::string&, const std::string& json) override {
    last_update = json;
    return Status::Ok();
  }
  Result<cgroups::Stats> Stats(const std::string&) override {
    cgroups::Stats s;
    s.version = cgroups::Version::kV1;
    s.memory.usage = 1234;
    return s;
  }
  Result<std::unique_ptr<cgroups::Manager>> Cgroup(const std::string&) override {
    return NotFound("no cgroup in the fake");
  }
  bool SharesPidNamespace(const std::string&) override { return false; }

 private:
  static pid_t Spawn(const std::vector<std::string>& args, const ProcessStdioFds& stdio, int gate,
                     int gate_w) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid != 0) return pid;
    for (int n = 0; n < 3; ++n) {
      int fd = stdio.fds[n] >= 0 ? stdio.fds[n] : open("/dev/null", O_RDWR);
      dup2(fd, n);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (gate >= 0) {
      close(gate_w);  // or the read below never sees EOF
      char c;
      while (read(gate, &c, 1) < 0 && errno == EINTR) {
      }
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::map<std::string, int> gates_;
  std::map<std::string, pid_t> pids_;
};

class RecordingPublisher : public Publisher {
 public:
  void Publish(const google::protobuf::MessageLite& event) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string t = TopicFor(event);
    if (t == "/tasks/exit") {
      t += ":" + static_cast<const ::containerd::events::TaskExit&>(event).id();
    }
    topics_.push_back(t);
  }
  std::vector<std::string> topics() {
    std::lock_guard<std::mutex> lock(mu_);
    return topics_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> topics_;
};

class TaskServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    dir_ = std::filesystem::temp_directory_path() /
           ("see-task-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    socket_ = (dir_ / "shim.sock").string();
    loop_ = EventLoop::Create().value();
    server_ = ttrpc::Server::Create().value();
    service_ = std::make_unique<TaskService>(
        loop_.get(), &backend_, &publisher_,
        TaskServiceOptions{.ns = "test",
                           .console_dir = dir_,
                           .mount_rootfs = mount_rootfs_,
                           .exit_io_grace = exit_io_grace_},
        [this] {
          shutdown_called_ = true;
          server_->Shutdown();
        });
    ASSERT_TRUE(RegisterTaskService(server_.get(), service_.get()).ok());
    ASSERT_TRUE(service_->StartReaper().ok());
    ASSERT_TRUE(server_->Listen(socket_).ok());
    loop_thread_ = std::thread([this] { (void)loop_->Run(); });
    server_thread_ = std::thread([this] { (void)server_->Serve(); });
    client_ = Dial();
  }
  void TearDown() override {
    client_.reset();
    server_->Shutdown();
    server_thread_.join();
    loop_->Stop();
    loop_thread_.join();
    service_.reset();
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ttrpc::Client> Dial() {
    auto c = ttrpc::Client::Dial(socket_);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(*c);
  }

  template <typename Resp = google::protobuf::Empty>
  Status Call(const char* method, const google::protobuf::MessageLite& req, Resp* resp = nullptr,
              ttrpc::Client* client = nullptr) {
    Resp ignored;
    return (client ? client : client_.get())
        ->Call(kTaskService, method, req, resp ? resp : &ignored);
  }

  // An output FIFO with a reader thread collecting everything until EOF.
  struct Output {
    std::string path, data;
    std::atomic<bool> stop{false};
    std::thread reader;
  };
  std::unique_ptr<Output> MakeOutput(const std::string& name) {
    auto o = std::make_unique<Output>();
    o->path = (dir_ / name).string();
    EXPECT_EQ(mkfifo(o->path.c_str(), 0600), 0);
    int fd = open(o->path.c_str(), O_RDONLY | O_NONBLOCK);
    fcntl(fd, F_SETFL, 0);
    Output* raw = o.get();
    o->reader = std::thread([raw, fd] {
      char buf[4096];
      ssize_t n;
      // A FIFO read returns 0 before the shim opened its end, too; wait for real EOF after data
      // or after the writer came and went.
      for (;;) {
        n = read(fd, buf, sizeof(buf));
        if (n > 0) {
          raw->data.append(buf, n);
          continue;
        }
        if (n == 0 && !raw->data.empty()) break;
        if (n == 0) {
          usleep(2000);
          if (raw->stop) break;
          continue;
        }
        break;
      }
      close(fd);
    });
    return o;
  }

  taskapi::CreateTaskRequest CreateReq(const std::string& id, const std::string& stdout_path = "") {
    taskapi::CreateTaskRequest req;
    req.set_id(id);
    req.set_bundle(dir_.string());
    req.set_stdout(stdout_path);
    return req;
  }

  taskapi::ExecProcessRequest ExecReq(const std::string& id, const std::string& exec_id,
                                      const nlohmann::json& args,
                                      const std::string& stdout_path = "") {
    taskapi::ExecProcessRequest req;
    req.set_id(id);
    req.set_exec_id(exec_id);
    req.set_stdout(stdout_path);
    req.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
    req.mutable_spec()->set_value(nlohmann::json{{"args", args}}.dump());
    return req;
  }

  std::chrono::milliseconds exit_io_grace_ = std::chrono::seconds(3);
  bool mount_rootfs_ = false;
  std::filesystem::path dir_;
  std::string socket_;
  FakeBackend backend_;
  RecordingPublisher publisher_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ttrpc::Server> server_;
  std::unique_ptr<TaskService> service_;
  std::thread loop_thread_, server_thread_;
  std::unique_ptr<ttrpc::Client> client_;
  std::atomic<bool> shutdown_called_{false};
};

TEST_F(TaskServiceTest, InitLifecycleEventsInContainerdOrder) {
  auto out = MakeOutput("stdout");
  taskapi::CreateTaskResponse created;
  ASSERT_TRUE(Call("Create", CreateReq("c1", out->path), &created).ok());
  EXPECT_GT(created.pid(), 0u);

  taskapi::StateRequest sreq;
  sreq.set_id("c1");
  taskapi::StateResponse state;
  ASSERT_TRUE(Call("State", sreq, &state).ok());
  EXPECT_EQ(state.status(), ::containerd::v1::types::CREATED);

  // Wait is asynchronous: it is answered later on its own connection while others proceed.
  taskapi::WaitResponse waited;
  Status wait_status;
  auto waiter = Dial();
  std::thread wt([&] {
    taskapi::WaitRequest w;
    w.set_id("c1");
    wait_status = Call("Wait", w, &waited, waiter.get());
  });
  taskapi::StartRequest start;
  start.set_id("c1");
  taskapi::StartResponse started;
  ASSERT_TRUE(Call("Start", start, &started).ok());
  EXPECT_EQ(started.pid(), created.pid());
  wt.join();
  ASSERT_TRUE(wait_status.ok()) << wait_status.ToString();
  EXPECT_EQ(waited.exit_status(), 3u);
  EXPECT_GT(waited.exited_at().seconds(), 0);

  taskapi::DeleteRequest del;
  del.set_id("c1");
  taskapi::DeleteResponse deleted;
  ASSERT_TRUE(Call("Delete", del, &deleted).ok());
  EXPECT_EQ(deleted.exit_status(), 3u);
  EXPECT_EQ(deleted.pid(), created.pid());
  out->reader.join();
  EXPECT_EQ(out->data, "hello\n");
  EXPECT_EQ(publisher_.topics(), (std::vector<std::string>{"/tasks/create", "/tasks/start",
                                                           "/tasks/exit:c1", "/tasks/delete"}));
  EXPECT_EQ(Call("State", sreq, &state).code(), Code::kNotFound);

  ASSERT_TRUE(Call("Shutdown", taskapi::ShutdownRequest()).ok());
  for (int i = 0; i < 1000 && !shutdown_called_; ++i) usleep(1000);
  EXPECT_TRUE(shutdown_called_);
}

TEST_F(TaskServiceTest, ExecEventsAndExitCodes) {
  backend_.init_args = {"/bin/sleep", "100"};
  ASSERT_TRUE(Call("Create", CreateReq("c2")).ok());
  taskapi::StartRequest start;
  start.set_id("c2");
  ASSERT_TRUE(Call("Start", start).ok());

  auto out = MakeOutput("exec-out");
  auto exec = ExecReq("c2", "e1", {"/bin/sh", "-c", "echo from-exec; exit 7"}, out->path);
  ASSERT_TRUE(Call("Exec", exec).ok());
  EXPECT_EQ(Call("Exec", exec).code(), Code::kAlreadyExists);
  start.set_exec_id("e1");
  ASSERT_TRUE(Call("Start", start).ok());
  taskapi::WaitRequest wait;
  wait.set_id("c2");
  wait.set_exec_id("e1");
  taskapi::WaitResponse waited;
  ASSERT_TRUE(Call("Wait", wait, &waited).ok());
  EXPECT_EQ(waited.exit_status(), 7u);
  taskapi::DeleteRequest del;
  del.set_id("c2");
  del.set_exec_id("e1");
  ASSERT_TRUE(Call("Delete", del).ok());
  out->reader.join();
  EXPECT_EQ(out->data, "from-exec\n");

  taskapi::PidsRequest pids;
  pids.set_id("c2");
  taskapi::PidsResponse listed;
  ASSERT_TRUE(Call("Pids", pids, &listed).ok());
  EXPECT_EQ(listed.processes_size(), 1);

  taskapi::KillRequest kill;
  kill.set_id("c2");
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(Call("Kill", kill).ok());
  wait.set_exec_id("");
  ASSERT_TRUE(Call("Wait", wait, &waited).ok());
  EXPECT_EQ(waited.exit_status(), 137u);
  EXPECT_EQ(Call("Kill", kill).code(), Code::kNotFound) << "process already finished";
  del.set_exec_id("");
  ASSERT_TRUE(Call("Delete", del).ok());
  EXPECT_EQ(publisher_.topics(),
            (std::vector<std::string>{"/tasks/create", "/tasks/start", "/tasks/exec-added",
                                      "/tasks/exec-started", "/tasks/exit:e1", "/tasks/exit:c2",
                                      "/tasks/delete"}));
}

TEST_F(TaskServiceTest, ErrorCodesContainerdMapsBack) {
  taskapi::StateRequest sreq;
  sreq.set_id("nope");
  EXPECT_EQ(Call("State", sreq).code(), Code::kNotFound);
  EXPECT_EQ(Call("Create", CreateReq("fail")).code(), Code::kInvalidArgument);

  backend_.init_args = {"/bin/sleep", "100"};
  ASSERT_TRUE(Call("Create", CreateReq("c3")).ok());
  EXPECT_EQ(Call("Create", CreateReq("c3")).code(), Code::kAlreadyExists);
  taskapi::CheckpointTaskRequest cp;
  cp.set_id("c3");
  EXPECT_EQ(Call("Checkpoint", cp).code(), Code::kUnimplemented);
  taskapi::StartRequest start;
  start.set_id("c3");
  ASSERT_TRUE(Call("Start", start).ok());
  EXPECT_EQ(Call("Start", start).code(), Code::kFailedPrecondition);
  taskapi::DeleteRequest del;
  del.set_id("c3");
  EXPECT_EQ(Call("Delete", del).code(), Code::kFailedPrecondition) << "running";
  taskapi::UpdateTaskRequest up;
  up.set_id("c3");
  up.mutable_resources()->set_type_url("example.Other");
  EXPECT_EQ(Call("Update", up).code(), Code::kInvalidArgument);
  up.mutable_resources()->set_type_url(
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
  up.mutable_resources()->set_value(R"({"pids":{"limit":10}})");
  EXPECT_TRUE(Call("Update", up).ok());
  EXPECT_EQ(backend_.last_update, R"({"pids":{"limit":10}})");
  taskapi::StatsRequest st;
  st.set_id("c3");
  taskapi::StatsResponse stats;
  ASSERT_TRUE(Call("Stats", st, &stats).ok());
  EXPECT_EQ(stats.stats().type_url(), "io.containerd.cgroups.v1.Metrics");
  taskapi::ResizePtyRequest rs;
  rs.set_id("c3");
  rs.set_width(80);
  EXPECT_EQ(Call("ResizePty", rs).code(), Code::kFailedPrecondition) << "no terminal";
  taskapi::KillRequest kill;
  kill.set_id("c3");
  kill.set_exec_id("missing");
  kill.set_signal(9);
  EXPECT_EQ(Call("Kill", kill).code(), Code::kNotFound);

  // Shutdown with a container left is answered but does not stop the shim.
  ASSERT_TRUE(Call("Shutdown", taskapi::ShutdownRequest()).ok());
  EXPECT_FALSE(shutdown_called_);
  kill.set_exec_id("");
  ASSERT_TRUE(Call("Kill", kill).ok());
  taskapi::WaitRequest wait;
  wait.set_id("c3");
  ASSERT_TRUE(Call("Wait", wait).ok());
  ASSERT_TRUE(Call("Delete", del).ok());
}

// Reaped (kill(pid, 0) fails: no zombie left) within `ms`.
bool Reaped(pid_t pid, int ms) {
  for (int i = 0; i < ms; ++i) {
    if (kill(pid, 0) < 0) return true;
    usleep(1000);
  }
  return false;
}

// The process exits while its output is still in the shim's buffer and the FIFO, and the reader
// (like containerd's client) stops reading the moment it learns of the exit: the exit must not be
// reported before the reader has everything.
TEST_F(TaskServiceTest, ExitReportWaitsForOutputToDrain) {
  constexpr size_t kSize = 600000;  // fits in the pump's buffer plus the pipes: the process exits
  backend_.init_args = {"/bin/sh", "-c", "head -c 600000 /dev/zero; exit 2"};
  std::string path = (dir_ / "slow-out").string();
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  UniqueFd rd(open(path.c_str(), O_RDONLY | O_NONBLOCK));
  ASSERT_TRUE(rd.valid());
  taskapi::CreateTaskResponse created;
  ASSERT_TRUE(Call("Create", CreateReq("slow", path), &created).ok());

  std::atomic<bool> exit_seen{false}, reading{false};
  taskapi::WaitResponse waited;
  Status wait_status;
  auto waiter = Dial();
  std::thread wt([&] {
    taskapi::WaitRequest w;
    w.set_id("slow");
    wait_status = Call("Wait", w, &waited, waiter.get());
    exit_seen = true;
  });
  std::string data;
  std::thread reader([&] {
    while (!reading) usleep(1000);
    char buf[4096];
    while (!exit_seen) {  // stops at the exit report, unread data or not
      ssize_t n = read(rd.get(), buf, sizeof(buf));
      if (n > 0) {
        data.append(buf, n);
      } else if (n == 0 && !data.empty()) {
        break;
      } else {
        usleep(500);
      }
    }
  });
  taskapi::StartRequest start;
  start.set_id("slow");
  ASSERT_TRUE(Call("Start", start).ok());
  ASSERT_TRUE(Reaped(static_cast<pid_t>(created.pid()), 5000));
  usleep(300 * 1000);
  EXPECT_FALSE(exit_seen) << "exit reported while output was still buffered";
  EXPECT_EQ(publisher_.topics(), (std::vector<std::string>{"/tasks/create", "/tasks/start"}));
  taskapi::StateRequest sreq;
  sreq.set_id("slow");
  taskapi::StateResponse state;
  ASSERT_TRUE(Call("State", sreq, &state).ok());
  EXPECT_EQ(state.status(), ::containerd::v1::types::RUNNING);

  reading = true;
  wt.join();
  reader.join();
  ASSERT_TRUE(wait_status.ok()) << wait_status.ToString();
  EXPECT_EQ(waited.exit_status(), 2u);
  EXPECT_EQ(data.size(), kSize);
  ASSERT_TRUE(Call("State", sreq, &state).ok());
  EXPECT_EQ(state.status(), ::containerd::v1::types::STOPPED);
  taskapi::DeleteRequest del;
  del.set_id("slow");
  ASSERT_TRUE(Call("Delete", del).ok());
  EXPECT_EQ(publisher_.topics(), (std::vector<std::string>{"/tasks/create", "/tasks/start",
                                                           "/tasks/exit:slow", "/tasks/delete"}));
}

class TaskServiceShortGraceTest : public TaskServiceTest {
 protected:
  TaskServiceShortGraceTest() { exit_io_grace_ = std::chrono::milliseconds(300); }
};

// Kills the process whose pid the test's shell wrote to `pidfile` (a grandchild of the shim).
void KillFromPidFile(const std::string& pidfile) {
  auto text = ReadFile(pidfile);
  if (text.ok() && !text->empty()) ::kill(std::stoi(*text), SIGKILL);
}

// A grandchild keeps the output pipe open forever after the process exited: the exit is reported
// after the grace, and Delete answers too (the grandchild's later output is dropped).
TEST_F(TaskServiceShortGraceTest, ExitAndDeleteBoundedWhenPipeStaysOpen) {
  std::string pidfile = (dir_ / "grandchild.pid").string();
  // The pid file names the sleep itself (not the subshell, whose SIGKILL would orphan it): once it
  // is killed the subshell prints and exits by itself.
  backend_.init_args = {"/bin/sh", "-c",
                        "(sleep 1000 & echo $! > " + pidfile + "; wait; echo late) & " +
                            "echo early; exit 6"};
  auto out = MakeOutput("stdout");
  taskapi::CreateTaskResponse created;
  ASSERT_TRUE(Call("Create", CreateReq("gc", out->path), &created).ok());
  taskapi::StartRequest start;
  start.set_id("gc");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Call("Start", start).ok());
  taskapi::WaitRequest wait;
  wait.set_id("gc");
  taskapi::WaitResponse waited;
  ASSERT_TRUE(Call("Wait", wait, &waited).ok());
  EXPECT_EQ(waited.exit_status(), 6u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(300));
  taskapi::DeleteRequest del;
  del.set_id("gc");
  Status deleted = Call("Delete", del);
  KillFromPidFile(pidfile);
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  out->reader.join();
  EXPECT_EQ(out->data, "early\n");
}

// The same for an exec'd process (`ctr tasks exec ... sh -c 'sleep 1000 &'`), whose Delete is
// what containerd's client waits on.
TEST_F(TaskServiceShortGraceTest, ExecDeleteBoundedWhenPipeStaysOpen) {
  backend_.init_args = {"/bin/sleep", "100"};
  ASSERT_TRUE(Call("Create", CreateReq("c5")).ok());
  taskapi::StartRequest start;
  start.set_id("c5");
  ASSERT_TRUE(Call("Start", start).ok());
  std::string pidfile = (dir_ / "exec-grandchild.pid").string();
  auto out = MakeOutput("exec-out");
  auto exec = ExecReq("c5", "e1",
                      {"/bin/sh", "-c", "sleep 1000 & echo $! > " + pidfile + "; echo from-exec"},
                      out->path);
  ASSERT_TRUE(Call("Exec", exec).ok());
  start.set_exec_id("e1");
  ASSERT_TRUE(Call("Start", start).ok());
  taskapi::WaitRequest wait;
  wait.set_id("c5");
  wait.set_exec_id("e1");
  ASSERT_TRUE(Call("Wait", wait).ok());
  taskapi::DeleteRequest del;
  del.set_id("c5");
  del.set_exec_id("e1");
  Status deleted = Call("Delete", del);
  KillFromPidFile(pidfile);
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  out->reader.join();
  EXPECT_EQ(out->data, "from-exec\n");
  taskapi::KillRequest kill;
  kill.set_id("c5");
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(Call("Kill", kill).ok());
  wait.set_exec_id("");
  ASSERT_TRUE(Call("Wait", wait).ok());
  del.set_exec_id("");
  ASSERT_TRUE(Call("Delete", del).ok());
}

// The pod's see-sentry reaped a container process and died before reporting it: once the shim
// has its exit, that process's exit is delivered (killed) instead of never.
TEST_F(TaskServiceTest, AnExitTheSentryReapedButNeverReportedIsDelivered) {
  backend_.sentry_reaps = true;
  taskapi::CreateTaskResponse created;
  ASSERT_TRUE(Call("Create", CreateReq("s1"), &created).ok());
  taskapi::StartRequest start;
  start.set_id("s1");
  taskapi::StartResponse started;
  ASSERT_TRUE(Call("Start", start, &started).ok());
  ::kill(static_cast<pid_t>(created.pid()), SIGKILL);  // the stand-in reaps it, then exits
  taskapi::StateRequest sreq;
  sreq.set_id("s1");
  taskapi::StateResponse state;
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(Call("State", sreq, &state).ok());
    if (state.status() == ::containerd::v1::types::STOPPED) break;
    usleep(10000);
  }
  EXPECT_EQ(state.status(), ::containerd::v1::types::STOPPED);
  EXPECT_EQ(state.exit_status(), 137u);
  taskapi::DeleteRequest del;
  del.set_id("s1");
  taskapi::DeleteResponse deleted;
  EXPECT_TRUE(Call("Delete", del, &deleted).ok());
}

class TaskServiceRootfsTest : public TaskServiceTest {
 protected:
  TaskServiceRootfsTest() { mount_rootfs_ = true; }
};

// A rootfs that cannot be id-mapped for the pod's user namespace fails the create with the way
// out named, and the namespace claimed for it is released (no container holds it).
TEST_F(TaskServiceRootfsTest, ARootfsThatCannotBeIdMappedNamesTheWayOutAndReleasesTheClaim) {
  backend_.userns_fd = 1000;  // never used: a tmpfs rootfs is refused before any id-mapping
  auto req = CreateReq("c1");
  auto* m = req.add_rootfs();
  m->set_type("tmpfs");
  m->set_source("tmpfs");
  Status st = Call("Create", req);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot id-map a tmpfs rootfs"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("see.dev/user-namespace: host"), std::string::npos) << st.message();
  EXPECT_EQ(backend_.userns_released, 1);
  backend_.userns_fd = -1;
  st = Call("Create", CreateReq("c2"));  // no rootfs mounts: nothing to id-map
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(backend_.userns_released, 1) << "released only by a failed create";
}

// The pod's sentry reaps the pod's processes, so an exit report read late can name a pid that a
// newer process of the pod holds by then: it must not end that process, whose own exit and
// signals still work (through the pidfd opened when it started).
TEST_F(TaskServiceTest, AStaleExitReportDoesNotEndTheProcessThatHoldsThePidNow) {
  backend_.init_args = {"/bin/sleep", "100"};
  ASSERT_TRUE(Call("Create", CreateReq("st")).ok());
  taskapi::StartRequest start;
  start.set_id("st");
  ASSERT_TRUE(Call("Start", start).ok());
  auto exec = ExecReq("st", "e1", {"/bin/sleep", "100"});
  ASSERT_TRUE(Call("Exec", exec).ok());
  start.set_exec_id("e1");
  taskapi::StartResponse started;
  ASSERT_TRUE(Call("Start", start, &started).ok());
  auto pid = static_cast<pid_t>(started.pid());
  ASSERT_TRUE(backend_.on_exit);
  std::promise<void> reported;
  loop_->Post([&] {
    backend_.on_exit(pid, 0);  // "exited 0": an earlier holder of the pid
    reported.set_value();
  });
  reported.get_future().wait();
  taskapi::StateRequest sreq;
  sreq.set_id("st");
  sreq.set_exec_id("e1");
  taskapi::StateResponse state;
  ASSERT_TRUE(Call("State", sreq, &state).ok());
  EXPECT_EQ(state.status(), ::containerd::v1::types::RUNNING) << "ended by a stale report";
  taskapi::KillRequest kill;
  kill.set_id("st");
  kill.set_exec_id("e1");
  kill.set_signal(SIGKILL);
  ASSERT_TRUE(Call("Kill", kill).ok());
  taskapi::WaitRequest wait;
  wait.set_id("st");
  wait.set_exec_id("e1");
  taskapi::WaitResponse waited;
  ASSERT_TRUE(Call("Wait", wait, &waited).ok());
  EXPECT_EQ(waited.exit_status(), 137u);
  EXPECT_EQ(Call("Kill", kill).code(), Code::kNotFound) << "signalling a finished exec";
  kill.clear_exec_id();
  EXPECT_TRUE(Call("Kill", kill).ok());
}

TEST_F(TaskServiceTest, DeleteOfNeverStartedInit) {
  backend_.init_args = {"/bin/sleep", "100"};
  ASSERT_TRUE(Call("Create", CreateReq("c4")).ok());
  taskapi::DeleteRequest del;
  del.set_id("c4");
  taskapi::DeleteResponse deleted;
  ASSERT_TRUE(Call("Delete", del, &deleted).ok());
  EXPECT_EQ(deleted.exit_status(), 137u);
}

// Hostile bytes on one connection: answered with an error or closed, never a crash or a hang; a
// well-behaved connection keeps working throughout.
TEST_F(TaskServiceTest, MalformedFramesDoNotHurtOtherConnections) {
  auto raw = [&](const std::string& bytes, bool expect_answer) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    ASSERT_TRUE(WriteAll(fd.get(), bytes).ok());
    if (!expect_answer) return;  // closed with the frame incomplete
    shutdown(fd.get(), SHUT_WR);
    timeval tv{10, 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char hdr[ttrpc::kHeaderSize];
    ssize_t n = recv(fd.get(), hdr, sizeof(hdr), MSG_WAITALL);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof(hdr))) << "an answer (error) was expected";
    auto h = ttrpc::DecodeHeader(reinterpret_cast<const uint8_t*>(hdr));
    std::string payload(h.length, '\0');
    ASSERT_EQ(recv(fd.get(), payload.data(), h.length, MSG_WAITALL), static_cast<ssize_t>(h.length));
    ::ttrpc::Response resp;
    ASSERT_TRUE(resp.ParseFromString(payload));
    EXPECT_NE(resp.status().code(), 0) << "garbage must not succeed";
  };
  auto request = [](const std::string& service, const std::string& method,
                    const std::string& payload) {
    ::ttrpc::Request r;
    r.set_service(service);
    r.set_method(method);
    r.set_payload(payload);
    return *ttrpc::EncodeFrame(1, ttrpc::MessageType::kRequest, r.SerializeAsString());
  };
  raw(std::string("\x00\x00", 2), false);                                  // truncated header
  raw(std::string("\x7f\xff\xff\xff\x00\x00\x00\x01\x01\x00", 10), true);  // 2 GiB length
  raw(request("containerd.task.v2.Nope", "State", ""), true);              // unknown service
  raw(request(kTaskService, "Explode", ""), true);                         // unknown method
  raw(request(kTaskService, "Create", "\xff\xff\xff\xff"), true);          // invalid protobuf
  raw(*ttrpc::EncodeFrame(1, ttrpc::MessageType::kRequest, "\x0a\xff"), true);  // bad envelope
  raw(std::string(64, '\x42'), false);                                     // noise

  taskapi::ConnectResponse connected;
  ASSERT_TRUE(Call("Connect", taskapi::ConnectRequest(), &connected).ok());
  EXPECT_EQ(connected.shim_pid(), static_cast<uint32_t>(getpid()));
}

}  // namespace
}  // namespace see::shim
