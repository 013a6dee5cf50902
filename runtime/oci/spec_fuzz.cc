// Feeds arbitrary bytes to every parser of the module. Besides "no crash, no hang", it checks the
// round-trip contract on whatever parses: ParseSpec(SpecToJson(s)) == s.
//
// libFuzzer writes new inputs into the first corpus directory, so point it at a scratch copy:
//   cp -r runtime/oci/fuzz_corpus /tmp/oci-corpus
//   build-fuzz/bin/spec_fuzz -dict=runtime/oci/spec_fuzz.dict /tmp/oci-corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/oci/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  see::Result<see::oci::Spec> spec = see::oci::ParseSpec(text);
  if (spec.ok()) {
    see::Result<see::oci::Spec> again = see::oci::ParseSpec(see::oci::SpecToJson(*spec));
    if (!again.ok() || !(*again == *spec)) std::abort();
    if (spec->process) {
      for (const see::oci::Mount& m : spec->mounts) (void)see::oci::ParseMountOptions(m.options);
    }
  }
  (void)see::oci::ParseProcess(text);
  (void)see::oci::ParseResources(text);
  return 0;
}
