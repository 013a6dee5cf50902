// Small string helpers shared across components.
#pragma once

#include <string_view>
#include <vector>

namespace see {

// "a:b::c" split on ':' gives {"a", "b", "", "c"}; "" gives {""}. The views point into `s`.
inline std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

}  // namespace see
