#include "shim/metrics.h"

#include <string>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"
#include "proto/any.h"

namespace see::shim {

namespace {

uint64_t Raw(const cgroups::MemoryStats& m, const std::string& key) {
  for (const auto& [k, v] : m.raw) {
    if (k == key) return v;
  }
  return 0;
}

Result<google::protobuf::Any> V1(const cgroups::Stats& s) {
  io::containerd::cgroups::v1::Metrics out;
  auto* pids = out.mutable_pids();
  pids->set_current(s.pids.current);
  pids->set_limit(s.pids.limit);
  auto* cpu = out.mutable_cpu();
  cpu->mutable_usage()->set_total(s.cpu.usage_ns);
  cpu->mutable_usage()->set_user(s.cpu.user_ns);
  cpu->mutable_usage()->set_kernel(s.cpu.system_ns);
  for (uint64_t v : s.cpu.per_cpu_ns) cpu->mutable_usage()->add_per_cpu(v);
  cpu->mutable_throttling()->set_periods(s.cpu.nr_periods);
  cpu->mutable_throttling()->set_throttled_periods(s.cpu.nr_throttled);
  cpu->mutable_throttling()->set_throttled_time(s.cpu.throttled_ns);
  auto* mem = out.mutable_memory();
  const auto& m = s.memory;
  mem->set_cache(m.cache);
  mem->set_rss(m.rss);
  mem->set_rss_huge(Raw(m, "rss_huge"));
  mem->set_mapped_file(Raw(m, "mapped_file"));
  mem->set_dirty(Raw(m, "dirty"));
  mem->set_writeback(Raw(m, "writeback"));
  mem->set_pg_pg_in(Raw(m, "pgpgin"));
  mem->set_pg_pg_out(Raw(m, "pgpgout"));
  mem->set_pg_fault(Raw(m, "pgfault"));
  mem->set_pg_maj_fault(Raw(m, "pgmajfault"));
  mem->set_inactive_anon(Raw(m, "inactive_anon"));
  mem->set_active_anon(Raw(m, "active_anon"));
  mem->set_inactive_file(Raw(m, "inactive_file"));
  mem->set_active_file(Raw(m, "active_file"));
  mem->set_unevictable(Raw(m, "unevictable"));
  mem->set_hierarchical_memory_limit(Raw(m, "hierarchical_memory_limit"));
  mem->set_hierarchical_swap_limit(Raw(m, "hierarchical_memsw_limit"));
  mem->set_total_cache(Raw(m, "total_cache"));
  mem->set_total_rss(Raw(m, "total_rss"));
  mem->set_total_rss_huge(Raw(m, "total_rss_huge"));
  mem->set_total_mapped_file(Raw(m, "total_mapped_file"));
  mem->set_total_dirty(Raw(m, "total_dirty"));
  mem->set_total_writeback(Raw(m, "total_writeback"));
  mem->set_total_pg_pg_in(Raw(m, "total_pgpgin"));
  mem->set_total_pg_pg_out(Raw(m, "total_pgpgout"));
  mem->set_total_pg_fault(Raw(m, "total_pgfault"));
  mem->set_total_pg_maj_fault(Raw(m, "total_pgmajfault"));
  mem->set_total_inactive_anon(Raw(m, "total_inactive_anon"));
  mem->set_total_active_anon(Raw(m, "total_active_anon"));
  mem->set_total_inactive_file(Raw(m, "total_inactive_file"));
  mem->set_total_active_file(Raw(m, "total_active_file"));
  mem->set_total_unevictable(Raw(m, "total_unevictable"));
  mem->mutable_usage()->set_usage(m.usage);
  mem->mutable_usage()->set_max(m.max_usage);
  mem->mutable_usage()->set_limit(m.limit);
  mem->mutable_usage()->set_failcnt(m.failcnt);
  mem->mutable_swap()->set_usage(m.swap_usage);
  mem->mutable_swap()->set_limit(m.swap_limit);
  out.mutable_memory_oom_control()->set_oom_kill(m.oom_kill);
  auto add_blk = [](const std::vector<cgroups::BlkioEntry>& in, auto* list) {
    for (const auto& e : in) {
      auto* x = list->Add();
      x->set_op(e.op);
      x->set_major(e.major);
      x->set_minor(e.minor);
      x->set_value(e.value);
    }
  };
  add_blk(s.io_service_bytes, out.mutable_blkio()->mutable_io_service_bytes_recursive());
  add_blk(s.io_serviced, out.mutable_blkio()->mutable_io_serviced_recursive());
  for (const auto& h : s.hugetlb) {
    auto* x = out.add_hugetlb();
    x->set_pagesize(h.page_size);
    x->set_usage(h.usage);
    x->set_max(h.max);
    x->set_failcnt(h.failcnt);
  }
  return proto::PackAny(out);
}

Result<google::protobuf::Any> V2(const cgroups::Stats& s) {
  io::containerd::cgroups::v2::Metrics out;
  out.mutable_pids()->set_current(s.pids.current);
  out.mutable_pids()->set_limit(s.pids.limit);
  auto* cpu = out.mutable_cpu();
  cpu->set_usage_usec(s.cpu.usage_ns / 1000);
  cpu->set_user_usec(s.cpu.user_ns / 1000);
  cpu->set_system_usec(s.cpu.system_ns / 1000);
  cpu->set_nr_periods(s.cpu.nr_periods);
  cpu->set_nr_throttled(s.cpu.nr_throttled);
  cpu->set_throttled_usec(s.cpu.throttled_ns / 1000);
  auto* mem = out.mutable_memory();
  const auto& m = s.memory;
  mem->set_anon(Raw(m, "anon"));
  mem->set_file(Raw(m, "file"));
  mem->set_kernel_stack(Raw(m, "kernel_stack"));
  mem->set_slab(Raw(m, "slab"));
  mem->set_sock(Raw(m, "sock"));
  mem->set_shmem(Raw(m, "shmem"));
  mem->set_file_mapped(Raw(m, "file_mapped"));
  mem->set_file_dirty(Raw(m, "file_dirty"));
  mem->set_file_writeback(Raw(m, "file_writeback"));
  mem->set_anon_thp(Raw(m, "anon_thp"));
  mem->set_inactive_anon(Raw(m, "inactive_anon"));
  mem->set_active_anon(Raw(m, "active_anon"));
  mem->set_inactive_file(Raw(m, "inactive_file"));
  mem->set_active_file(Raw(m, "active_file"));
  mem->set_unevictable(Raw(m, "unevictable"));
  mem->set_slab_reclaimable(Raw(m, "slab_reclaimable"));
  mem->set_slab_unreclaimable(Raw(m, "slab_unreclaimable"));
  mem->set_pgfault(Raw(m, "pgfault"));
  mem->set_pgmajfault(Raw(m, "pgmajfault"));
  mem->set_usage(m.usage);
  mem->set_usage_limit(m.limit);
  mem->set_swap_usage(m.swap_usage);
  mem->set_swap_limit(m.swap_limit);
  out.mutable_memory_events()->set_max(m.failcnt);
  out.mutable_memory_events()->set_oom_kill(m.oom_kill);
  for (const auto& h : s.hugetlb) {
    auto* x = out.add_hugetlb();
    x->set_pagesize(h.page_size);
    x->set_current(h.usage);
    x->set_max(h.max);
  }
  return proto::PackAny(out);
}

}  // namespace

Result<google::protobuf::Any> MetricsAny(const cgroups::Stats& stats) {
  return stats.version == cgroups::Version::kV1 ? V1(stats) : V2(stats);
}

}  // namespace see::shim
