// libFuzzer target: ParseManifests must return a Status for any input, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "e2e/seectl/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  see::Result<see::seectl::Manifests> m = see::seectl::ParseManifests(in);
  if (m.ok()) {
    for (const auto& pod : m->pods) {
      for (const auto& c : pod.spec.containers) {
        // Every parsed quantity converts without overflow surprises.
        if (c.resources.limits.cpu) (void)c.resources.limits.cpu->MilliValue();
        if (c.resources.limits.memory) (void)c.resources.limits.memory->Value();
      }
    }
  }
  return 0;
}
