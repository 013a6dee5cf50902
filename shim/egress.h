// Per-pod egress policy (issue 5): the pod annotation `see.dev/egress` lists where the pod's
// processes may open connections to; everything else is refused. Enforced with iptables rules in
// the pod's network namespace, installed by the shim (on the host, with its privileges) before the
// pod's first process runs; the pod's processes have no CAP_NET_ADMIN and cannot change them.
//
// Annotation format: entries separated by commas and/or white space:
//   10.0.0.0/8            any protocol and port to that network (a bare address means /32, /128)
//   10.1.2.3:443          TCP and UDP to that port only (also 10.0.0.0/8:443)
//   [fd00::/8]:443        IPv6 with a port (a bare IPv6 address or network needs no brackets)
//   example.internal:8080 a host name: resolved by the shim on the HOST (getaddrinfo) when the pod
//                         starts and again every `egress_refresh` seconds (shim config), the
//                         rules following the answers. A name that does not resolve allows
//                         nothing until it does. The host's resolver decides, not the pod's.
//   dns                   UDP and TCP port 53 to the name servers of the resolv.conf bind-mounted
//                         at /etc/resolv.conf in the pod's containers (the CRI's per-pod file),
//                         read as each container is created.
// No annotation: no policy (everything allowed; nothing is executed). An empty annotation allows
// nothing but loopback. A malformed entry fails the container's Create with InvalidArgument
// naming the entry. Always allowed: loopback and packets of established connections (so replies
// to inbound connections pass). Refused connections fail at once (TCP reset, ICMP
// admin-prohibited) rather than time out. IPv4 and IPv6 are both filtered.
//
// Rules (iptables-restore --noflush, filter table, both families): chain SEE-EGRESS, jumped to
// first from OUTPUT, rewritten as a whole on every change (atomic per family).
#pragma once

#include <netinet/in.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "shim/event_loop.h"

namespace see::shim::egress {

inline constexpr char kAnnotation[] = "see.dev/egress";

// An IPv4 or IPv6 network; host bits are cleared by the parser.
struct Cidr {
  int family = AF_INET;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> addr{};
  int prefix = 32;
  std::string ToString() const;  // "10.0.0.0/8", "fd00::/8"
  bool operator==(const Cidr&) const = default;
  auto operator<=>(const Cidr&) const = default;
};

struct Entry {
  enum class Kind { kCidr, kHost, kDns };
  Kind kind = Kind::kCidr;
  Cidr cidr;         // kCidr
  std::string host;  // kHost
  uint16_t port = 0; // 0: any protocol and port
  std::string text;  // as written
};

struct Policy {
  std::vector<Entry> entries;
  bool dns() const;
  std::vector<std::string> hosts() const;
};

// Parses the annotation. InvalidArgument naming the offending entry.
Result<Policy> ParsePolicy(std::string_view text);

// Parses an address, with optional "/prefix". InvalidArgument when it is neither.
Result<Cidr> ParseCidr(std::string_view text);

// The `nameserver` addresses of a resolv.conf text (unparsable ones skipped).
std::vector<Cidr> NameServers(std::string_view resolv_conf);

// One allowed destination after names were resolved.
struct Allow {
  Cidr cidr;
  uint16_t port = 0;  // 0: any
  bool operator==(const Allow&) const = default;
  auto operator<=>(const Allow&) const = default;
};

// The allowed destinations of `policy`, given each host's addresses (`resolved[i]` for
// policy.hosts()[i]) and the pod's name servers. Sorted, without duplicates.
std::vector<Allow> Allowed(const Policy& policy, const std::vector<std::vector<Cidr>>& resolved,
                           const std::vector<Cidr>& name_servers);

// iptables-restore input for `family` (AF_INET: iptables, AF_INET6: ip6tables). `hook` adds the
// jump from OUTPUT (the first installation only).
std::string RestoreInput(int family, const std::vector<Allow>& allowed, bool hook);

// Runs (ip6)iptables-restore --noflush with `input` inside the network namespace `netns_fd`.
// The caller's thread must be the only one reaping children (it waits for its child directly).
Status RunRestore(int netns_fd, int family, const std::string& input);

// Resolves a host name to its addresses (getaddrinfo). NotFound when it has none.
using Resolver = std::function<Result<std::vector<Cidr>>(const std::string& host)>;
Result<std::vector<Cidr>> ResolveHost(const std::string& host);

// The policy of one pod, installed in its network namespace. Loop thread only, except for the
// resolution of host names, which runs on a short-lived thread so a slow DNS never stalls the
// pod's stdio.
class PodEgress {
 public:
  // Applies `restore` (family, input) in the pod's namespace: RunRestore unless a test fakes it.
  using Restorer = std::function<Status(int netns_fd, int family, const std::string& input)>;
  struct Options {
    Resolver resolve = ResolveHost;
    Restorer restore = RunRestore;
  };

  // Resolves the host names (blocking: the pod is starting) and installs the rules.
  static Result<std::unique_ptr<PodEgress>> Start(Policy policy, UniqueFd netns, Options options);
  ~PodEgress();
  PodEgress(const PodEgress&) = delete;
  PodEgress& operator=(const PodEgress&) = delete;

  // Adds name servers (a container's resolv.conf); re-installs the rules when the set grew.
  Status AddNameServers(const std::vector<Cidr>& servers);

  // Resolves the host names again (call from a thread); returns the answers for Update().
  std::vector<std::vector<Cidr>> Resolve() const;
  // Installs the rules for new answers when they differ from the installed ones. Loop thread.
  Status Update(std::vector<std::vector<Cidr>> resolved);

  // With host names: re-resolves every `interval` (at least kMinRefresh) on a timerfd watched by
  // `loop`, resolution on a short-lived thread, Update() back on the loop. No-op without names.
  // `loop` must outlive this object.
  static constexpr std::chrono::seconds kMinRefresh{5};
  Status StartRefresh(EventLoop* loop, std::chrono::seconds interval);

  bool has_hosts() const { return !hosts_.empty(); }
  const std::vector<Allow>& installed() const { return installed_; }

 private:
  PodEgress(Policy policy, UniqueFd netns, Options options);
  Status Install();
  void OnTimer();

  // Shared with resolver threads: cleared when this object goes, so a late answer is dropped.
  struct Link {
    std::mutex mu;
    EventLoop* loop = nullptr;  // guarded by mu
    PodEgress* self = nullptr;  // guarded by mu; dereferenced on the loop thread only
  };
  std::shared_ptr<Link> link_ = std::make_shared<Link>();
  EventLoop* loop_ = nullptr;
  UniqueFd timer_;
  bool resolving_ = false;

  Policy policy_;
  std::vector<std::string> hosts_;
  UniqueFd netns_;
  Options options_;
  std::vector<std::vector<Cidr>> resolved_;
  std::vector<Cidr> name_servers_;
  std::vector<Allow> installed_;
  bool hooked_ = false;  // the OUTPUT jumps exist (both families)
};

}  // namespace see::shim::egress
