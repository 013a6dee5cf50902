#include "base/ttrpc/rpc_status.h"

#include <gtest/gtest.h>

namespace see::ttrpc {
namespace {

TEST(RpcStatusTest, CodesKeepTheirGrpcNumbers) {
  // containerd's errdefs.FromGRPC depends on these exact numbers.
  EXPECT_EQ(static_cast<int>(RpcCode::kNotFound), 5);
  EXPECT_EQ(static_cast<int>(RpcCode::kAlreadyExists), 6);
  EXPECT_EQ(static_cast<int>(RpcCode::kFailedPrecondition), 9);
  EXPECT_EQ(static_cast<int>(RpcCode::kUnimplemented), 12);
  EXPECT_EQ(static_cast<int>(RpcCode::kUnauthenticated), 16);
}

TEST(RpcStatusTest, SeeCodesRoundTrip) {
  for (Code c : {Code::kInvalidArgument, Code::kNotFound, Code::kAlreadyExists,
                 Code::kFailedPrecondition, Code::kUnimplemented, Code::kPermissionDenied,
                 Code::kResourceExhausted, Code::kDeadlineExceeded, Code::kInternal}) {
    RpcStatus rpc = ToRpcStatus(Status(c, "m"));
    EXPECT_FALSE(rpc.ok());
    EXPECT_EQ(FromRpcStatus(rpc).code(), c) << CodeName(c);
  }
  EXPECT_TRUE(ToRpcStatus(Status::Ok()).ok());
  EXPECT_TRUE(FromRpcStatus({}).ok());
  Status s = FromRpcStatus({RpcCode::kUnavailable, "gone"});
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(s.message(), "Unavailable: gone");
  EXPECT_EQ(FromRpcStatus({static_cast<RpcCode>(99), "x"}).code(), Code::kInternal);
}

TEST(RpcStatusTest, ErrnoTextTravels) {
  RpcStatus rpc = ToRpcStatus(ErrnoStatus(ENOENT, "open /x"));
  EXPECT_EQ(rpc.code, RpcCode::kNotFound);
  EXPECT_NE(rpc.message.find("open /x"), std::string::npos);
}

TEST(RpcStatusTest, ToValidUtf8) {
  EXPECT_EQ(ToValidUtf8("plain"), "plain");
  EXPECT_EQ(ToValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"),
            "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
  const std::string r = "\xef\xbf\xbd";
  EXPECT_EQ(ToValidUtf8("a\xff\xfe" "b"), "a" + r + "b");        // one run, one replacement
  EXPECT_EQ(ToValidUtf8("\xc0\xaf"), r);                         // overlong '/'
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), r);                     // surrogate
  EXPECT_EQ(ToValidUtf8("\xf4\x90\x80\x80"), r);                 // above U+10FFFF
  EXPECT_EQ(ToValidUtf8("x\xe2\x82"), "x" + r);                  // truncated at the end
  EXPECT_EQ(ToValidUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace see::ttrpc
