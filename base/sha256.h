// SHA-256 (FIPS 180-4), for naming things (the shim socket address, as containerd derives it).
// Not for secrets: no constant-time guarantees are needed or made. Written here so the shim does
// not map libcrypto (~0.5-0.9 MiB of PSS per pod) for one digest.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace see {

std::array<uint8_t, 32> Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);

}  // namespace see
