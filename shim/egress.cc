#include "shim/egress.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include "base/child_process.h"
#include "base/logging.h"

extern char** environ;

namespace see::shim::egress {

namespace {

Status BadEntry(std::string_view entry, const std::string& why) {
  return InvalidArgument(std::string(kAnnotation) + ": entry \"" + std::string(entry) + "\": " +
                         why);
}

void MaskHostBits(Cidr* c) {
  int bytes = c->family == AF_INET ? 4 : 16;
  for (int i = 0; i < bytes; ++i) {
    int keep = std::clamp(c->prefix - 8 * i, 0, 8);
    c->addr[i] &= static_cast<uint8_t>(0xff00 >> keep);
  }
  for (int i = bytes; i < 16; ++i) c->addr[i] = 0;
}

Result<uint16_t> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5 ||
      !std::all_of(s.begin(), s.end(), [](char ch) { return isdigit(static_cast<unsigned char>(ch)); })) {
    return InvalidArgument("port must be a number 1-65535");
  }
  int v = std::stoi(std::string(s));
  if (v < 1 || v > 65535) return InvalidArgument("port must be a number 1-65535");
  return static_cast<uint16_t>(v);
}

// RFC 1123 host name: dot-separated labels of letters, digits and '-', not starting or ending
// with '-'; a trailing dot is allowed.
bool ValidHostName(std::string_view h) {
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty() || h.size() > 253) return false;
  size_t start = 0;
  while (start <= h.size()) {
    size_t end = h.find('.', start);
    if (end == std::string_view::npos) end = h.size();
    std::string_view label = h.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char ch : label) {
      if (!isalnum(static_cast<unsigned char>(ch)) && ch != '-') return false;
    }
    start = end + 1;
  }
  return true;
}

bool LooksNumeric(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return isdigit(static_cast<unsigned char>(ch)) || ch == '.' || ch == '/';
  });
}

Result<Entry> ParseEntry(std::string_view text) {
  Entry e;
  e.text = std::string(text);
  if (text == "dns") {
    e.kind = Entry::Kind::kDns;
    return e;
  }
  std::string_view addr = text, port;
  if (text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return BadEntry(text, "missing ']'");
    addr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return BadEntry(text, "expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) return BadEntry(text, "port must be a number 1-65535");
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    size_t colon = text.find(':');
    addr = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) return BadEntry(text, "port must be a number 1-65535");
  }
  if (!port.empty()) {
    auto p = ParsePort(port);
    if (!p.ok()) return BadEntry(text, p.status().message());
    e.port = *p;
  }
  if (addr.empty()) return BadEntry(text, "empty address");
  if (auto c = ParseCidr(addr); c.ok()) {
    e.kind = Entry::Kind::kCidr;
    e.cidr = *c;
    return e;
  } else if (addr.find(':') != std::string_view::npos || LooksNumeric(addr)) {
    return BadEntry(text, c.status().message());
  }
  if (!ValidHostName(addr)) return BadEntry(text, "not an address, network or host name");
  e.kind = Entry::Kind::kHost;
  e.host = std::string(addr);
  return e;
}

std::string PortSuffix(uint16_t port) { return port ? ":" + std::to_string(port) : ""; }

}  // namespace

std::string Cidr::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr.data(), buf, sizeof(buf));
  return std::string(buf) + "/" + std::to_string(prefix);
}

Result<Cidr> ParseCidr(std::string_view text) {
  Cidr c;
  std::string a(text);
  int max = 32;
  std::string prefix;
  if (size_t slash = a.find('/'); slash != std::string::npos) {
    prefix = a.substr(slash + 1);
    a.resize(slash);
  }
  if (inet_pton(AF_INET, a.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET;
  } else if (inet_pton(AF_INET6, a.c_str(), c.addr.data()) == 1) {
    c.family = AF_INET6;
    max = 128;
  } else {
    return InvalidArgument("not an IPv4 or IPv6 address");
  }
  c.prefix = max;
  if (size_t slash = std::string_view(text).find('/'); slash != std::string_view::npos) {
    if (prefix.empty() || prefix.size() > 3 ||
        !std::all_of(prefix.begin(), prefix.end(), [](char ch) { return isdigit(static_cast<unsigned char>(ch)); }) ||
        std::stoi(prefix) > max) {
      return InvalidArgument("prefix length must be 0-" + std::to_string(max));
    }
    c.prefix = std::stoi(prefix);
  }
  MaskHostBits(&c);
  return c;
}

Result<Policy> ParsePolicy(std::string_view text) {
  Policy p;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || isspace(static_cast<unsigned char>(text[i])))) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ',' && !isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) break;
    SEE_ASSIGN_OR_RETURN(Entry e, ParseEntry(text.substr(start, i - start)));
    p.entries.push_back(std::move(e));
  }
  return p;
}

bool Policy::dns() const {
  return std::any_of(entries.begin(), entries.end(),
                     [](const Entry& e) { return e.kind == Entry::Kind::kDns; });
}

std::vector<std::string> Policy::hosts() const {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (e.kind == Entry::Kind::kHost &&
        std::find(out.begin(), out.end(), e.host) == out.end()) {
      out.push_back(e.host);
    }
  }
  return out;
}

std::vector<Cidr> NameServers(std::string_view resolv_conf) {
  std::vector<Cidr> out;
  std::istringstream in{std::string(resolv_conf)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value) || key != "nameserver") continue;
    // glibc accepts "fe80::1%eth0"; the zone does not matter to a filter on the address.
    value = value.substr(0, value.find('%'));
    if (auto c = ParseCidr(value); c.ok()) out.push_back(*c);
  }
  return out;
}

std::vector<Allow> Allowed(const Policy& policy, const std::vector<std::vector<Cidr>>& resolved,
                           const std::vector<Cidr>& name_servers) {
  std::set<Allow> out;
  std::vector<std::string> hosts = policy.hosts();
  for (const auto& e : policy.entries) {
    switch (e.kind) {
      case Entry::Kind::kCidr:
        out.insert({e.cidr, e.port});
        break;
      case Entry::Kind::kHost: {
        size_t i = std::find(hosts.begin(), hosts.end(), e.host) - hosts.begin();
        if (i < resolved.size()) {
          for (const auto& c : resolved[i]) out.insert({c, e.port});
        }
        break;
      }
      case Entry::Kind::kDns:
        for (const auto& c : name_servers) out.insert({c, 53});
        break;
    }
  }
  return {out.begin(), out.end()};
}

std::string RestoreInput(int family, const std::vector<Allow>& allowed, bool hook) {
  std::string s = "*filter\n:SEE-EGRESS - [0:0]\n";  // --noflush: declaring it flushes it
  if (hook) s += "-I OUTPUT 1 -j SEE-EGRESS\n";
  s += "-A SEE-EGRESS -o lo -j RETURN\n";
  s += "-A SEE-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN\n";
  for (const auto& a : allowed) {
    if (a.cidr.family != family) continue;
    std::string d = "-A SEE-EGRESS -d " + a.cidr.ToString();
    if (a.port == 0) {
      s += d + " -j RETURN\n";
      continue;
    }
    for (const char* proto : {"tcp", "udp"}) {
      s += d + " -p " + proto + " --dport " + std::to_string(a.port) + " -j RETURN\n";
    }
  }
  s += "-A SEE-EGRESS -p tcp -j REJECT --reject-with tcp-reset\n";
  s += family == AF_INET ? "-A SEE-EGRESS -j REJECT --reject-with icmp-admin-prohibited\n"
                         : "-A SEE-EGRESS -j REJECT --reject-with icmp6-adm-prohibited\n";
  s += "COMMIT\n";
  return s;
}

Status RunRestore(int netns_fd, int family, const std::string& input) {
  const char* name = family == AF_INET ? "iptables-restore" : "ip6tables-restore";
  std::string path;
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    if (access((std::string(dir) + name).c_str(), X_OK) == 0) {
      path = std::string(dir) + name;
      break;
    }
  }
  if (path.empty()) return NotFound(std::string(name) + " not found (Debian package iptables)");
  // Input and diagnostics through memfds: no pipe to deadlock on, nothing left to drain.
  UniqueFd in(memfd_create("see-egress-in", MFD_CLOEXEC));
  UniqueFd err(memfd_create("see-egress-err", MFD_CLOEXEC));
  if (!in || !err) return ErrnoStatus("memfd_create");
  if (pwrite(in.get(), input.data(), input.size(), 0) != static_cast<ssize_t>(input.size())) {
    return ErrnoStatus("writing the rules");
  }
  // "-w 5": iptables-legacy's lock is host-wide (a file), shared with the host's iptables users.
  const char* argv[] = {name, "--noflush", "-w", "5", nullptr};
  pid_t pid = fork();
  if (pid < 0) return ErrnoStatus("fork");
  if (pid == 0) {
    // Async-signal-safe only: the shim is multi-threaded.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (setns(netns_fd, CLONE_NEWNET) < 0) _exit(125);
    if (dup2(in.get(), 0) < 0 || dup2(err.get(), 1) < 0 || dup2(err.get(), 2) < 0) _exit(126);
    execve(path.c_str(), const_cast<char* const*>(argv), environ);
    _exit(127);
  }
  ChildProcess child(pid);
  SEE_ASSIGN_OR_RETURN(int status, child.Wait());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  char buf[1024];
  ssize_t n = pread(err.get(), buf, sizeof(buf) - 1, 0);
  std::string why(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!why.empty() && isspace(static_cast<unsigned char>(why.back()))) why.pop_back();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 125) why = "cannot enter the network namespace";
  return Internal(std::string(name) + " failed (exit " +
                  std::to_string(ExitCodeFromWaitStatus(status)) + "): " + why);
}

Result<std::vector<Cidr>> ResolveHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one answer per address
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return NotFound("resolving " + host + ": " + gai_strerror(rc));
  std::set<Cidr> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    Cidr c;
    c.family = ai->ai_family;
    if (ai->ai_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(ai->ai_addr);
      memcpy(c.addr.data(), &sin->sin_addr, 4);
      c.prefix = 32;
    } else if (ai->ai_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(ai->ai_addr);
      memcpy(c.addr.data(), &sin6->sin6_addr, 16);
      c.prefix = 128;
    } else {
      continue;
    }
    out.insert(c);
  }
  freeaddrinfo(res);
  if (out.empty()) return NotFound("resolving " + host + ": no address");
  return std::vector<Cidr>(out.begin(), out.end());
}

// ---------------------------------------------------------------------------------------------

PodEgress::PodEgress(Policy policy, UniqueFd netns, Options options)
    : policy_(std::move(policy)),
      hosts_(policy_.hosts()),
      netns_(std::move(netns)),
      options_(std::move(options)) {}

PodEgress::~PodEgress() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->loop = nullptr;
    link_->self = nullptr;
  }
  if (timer_.valid() && loop_) loop_->Remove(timer_.get());
}

Result<std::unique_ptr<PodEgress>> PodEgress::Start(Policy policy, UniqueFd netns,
                                                    Options options) {
  std::unique_ptr<PodEgress> e(new PodEgress(std::move(policy), std::move(netns), std::move(options)));
  e->resolved_ = e->Resolve();
  SEE_RETURN_IF_ERROR(e->Install());
  return e;
}

std::vector<std::vector<Cidr>> PodEgress::Resolve() const {
  std::vector<std::vector<Cidr>> out;
  for (const auto& h : hosts_) {
    auto r = options_.resolve(h);
    if (!r.ok()) {
      spdlog::warn("egress: {} (connections to it are refused until it resolves)",
                   r.status().ToString());
      out.emplace_back();
      continue;
    }
    out.push_back(std::move(*r));
  }
  return out;
}

Status PodEgress::Install() {
  std::vector<Allow> allowed = Allowed(policy_, resolved_, name_servers_);
  for (int family : {AF_INET, AF_INET6}) {
    SEE_RETURN_IF_ERROR(
        options_.restore(netns_.get(), family, RestoreInput(family, allowed, !hooked_))
            .Wrap("egress policy"));
  }
  hooked_ = true;
  installed_ = std::move(allowed);
  std::string list;
  for (const auto& a : installed_) list += " " + a.cidr.ToString() + PortSuffix(a.port);
  spdlog::info("egress: allowed{}", list.empty() ? " nothing but loopback" : list);
  return Status::Ok();
}

Status PodEgress::AddNameServers(const std::vector<Cidr>& servers) {
  bool grew = false;
  for (const auto& s : servers) {
    if (std::find(name_servers_.begin(), name_servers_.end(), s) == name_servers_.end()) {
      name_servers_.push_back(s);
      grew = true;
    }
  }
  if (!grew || !policy_.dns()) return Status::Ok();
  return Install();
}

Status PodEgress::Update(std::vector<std::vector<Cidr>> resolved) {
  // A failed lookup keeps the previous answer: a DNS outage should not cut working connections.
  for (size_t i = 0; i < resolved.size() && i < resolved_.size(); ++i) {
    if (resolved[i].empty()) resolved[i] = resolved_[i];
  }
  if (resolved == resolved_) return Status::Ok();
  resolved_ = std::move(resolved);
  return Install();
}

Status PodEgress::StartRefresh(EventLoop* loop, std::chrono::seconds interval) {
  if (hosts_.empty()) return Status::Ok();
  interval = std::max(interval, kMinRefresh);
  timer_.Reset(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) return ErrnoStatus("timerfd_create");
  itimerspec its{};
  its.it_value.tv_sec = interval.count();
  its.it_interval.tv_sec = interval.count();
  if (timerfd_settime(timer_.get(), 0, &its, nullptr) < 0) return ErrnoStatus("timerfd_settime");
  loop_ = loop;
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->loop = loop;
    link_->self = this;
  }
  return loop->Add(timer_.get(), EPOLLIN, [this](uint32_t) { OnTimer(); });
}

void PodEgress::OnTimer() {
  uint64_t ticks;
  while (read(timer_.get(), &ticks, sizeof(ticks)) == sizeof(ticks)) {
  }
  if (resolving_) return;  // the previous round is still waiting for DNS
  resolving_ = true;
  // The thread gets copies: this object may be gone when it finishes (the Link tells).
  std::thread([link = link_, hosts = hosts_, resolve = options_.resolve] {
    std::vector<std::vector<Cidr>> out;
    for (const auto& h : hosts) {
      auto r = resolve(h);
      if (!r.ok()) spdlog::warn("egress: {}", r.status().ToString());
      out.push_back(r.ok() ? std::move(*r) : std::vector<Cidr>{});
    }
    std::lock_guard<std::mutex> lock(link->mu);
    if (!link->loop) return;
    link->loop->Post([link, out = std::move(out)]() mutable {
      PodEgress* self;
      {
        std::lock_guard<std::mutex> l(link->mu);
        self = link->self;
      }
      if (!self) return;
      self->resolving_ = false;
      Status st = self->Update(std::move(out));
      if (!st.ok()) spdlog::error("egress: updating the rules: {}", st.ToString());
    });
  }).detach();
}

}  // namespace see::shim::egress
