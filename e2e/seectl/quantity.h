// Kubernetes resource quantities ("500m", "1.5", "512Mi", "1G", "1e3"), parsed as
// k8s.io/apimachinery/pkg/api/resource does and converted exactly (integer arithmetic only).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace see::seectl {

// A parsed quantity: value = mantissa * 10^exp10 * 2^exp2 (mantissa non-negative; `negative`
// carries the sign). Kept unevaluated so conversions round exactly once, as Kubernetes does.
struct Quantity {
  bool negative = false;
  __int128 mantissa = 0;
  int exp10 = 0;
  int exp2 = 0;

  bool IsZero() const { return mantissa == 0; }
  // ceil(value), as resource.Quantity.Value(): bytes for memory. Errors when it overflows int64.
  Result<int64_t> Value() const;
  // ceil(value * 1000), as resource.Quantity.MilliValue(): millicores for CPU.
  Result<int64_t> MilliValue() const;

 private:
  Result<int64_t> Scaled(int extra_exp10) const;
};

// Accepts <sign><digits>[.<digits>]<suffix> where suffix is one of
// Ki Mi Gi Ti Pi Ei (powers of 1024), n u m "" k M G T P E (powers of 1000), or e<int>/E<int>.
// Anything else (spaces, "1.5.2", "5MB", an empty string) is an error naming the text.
Result<Quantity> ParseQuantity(std::string_view s);

}  // namespace see::seectl
