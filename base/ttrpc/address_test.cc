#include "base/ttrpc/address.h"

#include <gtest/gtest.h>

#include <cstring>

namespace see::ttrpc {
namespace {

// Expected value: sha256("/run/containerd/containerd.sock/k8s.io/abc"), what containerd 1.6's
// shim.SocketAddress hashes for that address/namespace/id.
TEST(AddressTest, ShimSocketAddressMatchesContainerd) {
  EXPECT_EQ(ShimSocketAddress("/run/containerd/containerd.sock", "k8s.io", "abc"),
            "unix:///run/containerd/s/"
            "a99a1752d3a0fadfb1f869026f16760475df03a572e20f4ccea9e6c1e5470b72");
  // filepath.Join cleans: a trailing slash or "./" in the address gives the same hash.
  EXPECT_EQ(ShimSocketAddress("/run/containerd//containerd.sock/", "k8s.io", "./abc"),
            ShimSocketAddress("/run/containerd/containerd.sock", "k8s.io", "abc"));
  EXPECT_NE(ShimSocketAddress("/run/containerd/containerd.sock", "default", "abc"),
            ShimSocketAddress("/run/containerd/containerd.sock", "k8s.io", "abc"));
  EXPECT_TRUE(ShimSocketAddress("/a", "b", "c", "/tmp/st").starts_with("unix:///tmp/st/s/"));
}

TEST(AddressTest, JoinAndCleanPathLikeGo) {
  EXPECT_EQ(JoinAndCleanPath({"/a", "b", "c"}), "/a/b/c");
  EXPECT_EQ(JoinAndCleanPath({"/a/", "/b/"}), "/a/b");
  EXPECT_EQ(JoinAndCleanPath({"a", "", "b"}), "a/b");
  EXPECT_EQ(JoinAndCleanPath({"/a/b", "../c"}), "/a/c");
  EXPECT_EQ(JoinAndCleanPath({"/", ".."}), "/");
  EXPECT_EQ(JoinAndCleanPath({"..", "a"}), "../a");
  EXPECT_EQ(JoinAndCleanPath({"a", ".."}), ".");
  EXPECT_EQ(JoinAndCleanPath({"", ""}), "");
}

TEST(AddressTest, ParseUnixAddress) {
  Result<UnixAddress> a = ParseUnixAddress("unix:///run/x.sock");
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->abstract);
  EXPECT_EQ(a->path, "/run/x.sock");
  EXPECT_STREQ(a->addr.sun_path, "/run/x.sock");

  Result<UnixAddress> p = ParseUnixAddress("/run/containerd/containerd.sock.ttrpc");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->path, "/run/containerd/containerd.sock.ttrpc");

  Result<UnixAddress> ab = ParseUnixAddress("@see");
  ASSERT_TRUE(ab.ok());
  EXPECT_TRUE(ab->abstract);
  EXPECT_EQ(ab->addr.sun_path[0], '\0');
  EXPECT_EQ(std::memcmp(ab->addr.sun_path + 1, "see", 3), 0);
  EXPECT_EQ(ab->len, offsetof(sockaddr_un, sun_path) + 4);

  EXPECT_EQ(ParseUnixAddress("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseUnixAddress("unix://").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseUnixAddress("/" + std::string(107, 'a')).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(ParseUnixAddress("/" + std::string(106, 'a')).ok());
}

}  // namespace
}  // namespace see::ttrpc
