#include <gtest/gtest.h>

#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/cgroups/v2/stats/metrics.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "github.com/containerd/containerd/pkg/runtimeoptions/v1/api.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "proto/any.h"
#include "proto/ttrpc.pb.h"

namespace see::proto {
namespace {

// containerd resolves Any payloads by these exact names; a wrong proto package would make every
// event and option we send unreadable to it.
TEST(ProtoTest, TypeUrlsMatchContainerd) {
  EXPECT_EQ(TypeUrl(containerd::events::TaskExit()), "containerd.events.TaskExit");
  EXPECT_EQ(TypeUrl(containerd::events::TaskCreate()), "containerd.events.TaskCreate");
  EXPECT_EQ(TypeUrl(containerd::events::TaskOOM()), "containerd.events.TaskOOM");
  EXPECT_EQ(TypeUrl(containerd::events::TaskExecAdded()), "containerd.events.TaskExecAdded");
  EXPECT_EQ(TypeUrl(containerd::task::v2::CreateTaskRequest()),
            "containerd.task.v2.CreateTaskRequest");
  EXPECT_EQ(TypeUrl(containerd::runc::v1::Options()), "containerd.runc.v1.Options");
  EXPECT_EQ(TypeUrl(runtimeoptions::v1::Options()), "runtimeoptions.v1.Options");
  EXPECT_EQ(TypeUrl(io::containerd::cgroups::v1::Metrics()), "io.containerd.cgroups.v1.Metrics");
  EXPECT_EQ(TypeUrl(io::containerd::cgroups::v2::Metrics()), "io.containerd.cgroups.v2.Metrics");
  EXPECT_EQ(TypeUrl(containerd::services::events::ttrpc::v1::ForwardRequest()),
            "containerd.services.events.ttrpc.v1.ForwardRequest");
}

TEST(ProtoTest, PackAnyHasNoPrefixAndRoundTrips) {
  containerd::events::TaskExit exit;
  exit.set_container_id("c1");
  exit.set_pid(42);
  exit.set_exit_status(137);
  Result<google::protobuf::Any> any = PackAny(exit);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->type_url(), "containerd.events.TaskExit");

  containerd::events::TaskExit back;
  ASSERT_TRUE(UnpackAny(*any, &back).ok());
  EXPECT_EQ(back.container_id(), "c1");
  EXPECT_EQ(back.pid(), 42u);
  EXPECT_EQ(back.exit_status(), 137u);
}

TEST(ProtoTest, UnpackAnyAcceptsPrefixedUrlAndRejectsOtherTypes) {
  containerd::runc::v1::Options opts;
  opts.set_binary_name("runsee");
  google::protobuf::Any any;
  any.PackFrom(opts);  // protobuf's form: "type.googleapis.com/containerd.runc.v1.Options"
  containerd::runc::v1::Options back;
  ASSERT_TRUE(UnpackAny(any, &back).ok());
  EXPECT_EQ(back.binary_name(), "runsee");

  containerd::events::TaskExit wrong;
  Status s = UnpackAny(any, &wrong);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);

  any.set_value("\xff\xff\xff");  // truncated varint
  EXPECT_EQ(UnpackAny(any, &back).code(), Code::kInvalidArgument);
}

// Field numbers of the ttrpc envelope must equal the Go struct tags (types.go); check the bytes.
TEST(ProtoTest, TtrpcRequestWireFormat) {
  ::ttrpc::Request req;
  req.set_service("s");
  req.set_method("m");
  req.set_payload("p");
  req.set_timeout_nano(1);
  auto* kv = req.add_metadata();
  kv->set_key("k");
  kv->set_value("v");
  std::string wire;
  ASSERT_TRUE(req.SerializeToString(&wire));
  const std::string want("\x0a\x01s"
                         "\x12\x01m"
                         "\x1a\x01p"
                         "\x20\x01"
                         "\x2a\x06\x0a\x01k\x12\x01v",
                         19);
  EXPECT_EQ(wire, want);
}

TEST(ProtoTest, ShimCreateRequestCarriesOptions) {
  containerd::task::v2::CreateTaskRequest req;
  req.set_id("pod");
  req.set_bundle("/run/b");
  auto* m = req.add_rootfs();
  m->set_type("overlay");
  runtimeoptions::v1::Options opts;
  opts.set_config_path("/etc/see.toml");
  Result<google::protobuf::Any> any = PackAny(opts);
  ASSERT_TRUE(any.ok());
  *req.mutable_options() = *any;
  std::string wire = req.SerializeAsString();
  containerd::task::v2::CreateTaskRequest back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.rootfs(0).type(), "overlay");
  runtimeoptions::v1::Options opts_back;
  ASSERT_TRUE(UnpackAny(back.options(), &opts_back).ok());
  EXPECT_EQ(opts_back.config_path(), "/etc/see.toml");
}

}  // namespace
}  // namespace see::proto
