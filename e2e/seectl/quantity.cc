#include "e2e/seectl/quantity.h"

#include <cctype>
#include <limits>
#include <string>

namespace see::seectl {
namespace {

// A mantissa beyond this many significant digits cannot be represented exactly in __int128 after
// scaling; no real resource quantity comes close.
constexpr int kMaxDigits = 30;
// Exponents outside this range are refused (the value would be 0 or overflow anyway).
constexpr int kMaxExp10 = 60;

Status OutOfRange() { return InvalidArgument("quantity out of range"); }

Status Bad(std::string_view s, std::string_view why) {
  return InvalidArgument("invalid quantity \"" + std::string(s) + "\": " + std::string(why));
}

struct Suffix {
  std::string_view text;
  int exp10;
  int exp2;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"", 0, 0},    {"k", 3, 0},   {"M", 6, 0},
    {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},
};

// Parses "e<int>"/"E<int>" (a decimal exponent); false when `s` is not of that form.
bool ParseExponent(std::string_view s, int* out) {
  if (s.size() < 2 || (s[0] != 'e' && s[0] != 'E')) return false;
  size_t i = 1;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') {
    neg = s[i] == '-';
    ++i;
  }
  if (i == s.size() || s.size() - i > 3) return false;  // at most 3 digits: |e| <= 999
  int v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

}  // namespace

Result<Quantity> ParseQuantity(std::string_view s) {
  if (s.empty()) return Bad(s, "empty");
  Quantity q;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') {
    q.negative = s[i] == '-';
    ++i;
  }
  int digits = 0;          // significant digits kept in the mantissa
  int frac_digits = 0;     // digits after the '.' (each divides by 10)
  bool any_digit = false;
  bool seen_dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (seen_dot) return Bad(s, "more than one '.'");
      seen_dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    any_digit = true;
    if (seen_dot) ++frac_digits;
    if (q.mantissa == 0 && c == '0') continue;  // leading zeros carry no precision
    if (++digits > kMaxDigits) return Bad(s, "too many digits");
    q.mantissa = q.mantissa * 10 + (c - '0');
  }
  if (!any_digit) return Bad(s, "no digits");
  q.exp10 = -frac_digits;

  std::string_view suffix = s.substr(i);
  int exp = 0;
  bool matched = false;
  for (const Suffix& sfx : kSuffixes) {
    if (suffix == sfx.text) {
      q.exp10 += sfx.exp10;
      q.exp2 = sfx.exp2;
      matched = true;
      break;
    }
  }
  if (!matched) {
    if (!ParseExponent(suffix, &exp)) return Bad(s, "unknown suffix \"" + std::string(suffix) + "\"");
    q.exp10 += exp;
  }
  // Trailing zeros of the mantissa move into the exponent so "1.000000000000000000000000000000001"
  // style inputs are the only ones that hit the digit limit.
  while (q.mantissa != 0 && q.mantissa % 10 == 0) {
    q.mantissa /= 10;
    ++q.exp10;
  }
  if (q.mantissa == 0) {
    q.exp10 = 0;
    q.exp2 = 0;
    q.negative = false;
  }
  if (q.exp10 > kMaxExp10 || q.exp10 < -kMaxExp10) return Bad(s, "exponent out of range");
  return q;
}

Result<int64_t> Quantity::Scaled(int extra_exp10) const {
  if (mantissa == 0) return int64_t{0};
  constexpr __int128 kLimit = static_cast<__int128>(std::numeric_limits<int64_t>::max());
  __int128 v = mantissa;
  // Multiply by 2^exp2 first (exact), then apply the decimal exponent.
  for (int k = 0; k < exp2; ++k) {
    v *= 2;
    if (v > (static_cast<__int128>(1) << 120)) return OutOfRange();
  }
  int e = exp10 + extra_exp10;
  for (; e > 0; --e) {
    v *= 10;
    if (v > kLimit) return OutOfRange();
  }
  if (e < 0) {
    __int128 div = 1;
    for (; e < 0; ++e) {
      div *= 10;
      // Dividing by more than v leaves 0 < value < 1: ceil is 1 (0 for negatives).
      if (div > v) {
        return negative ? int64_t{0} : int64_t{1};
      }
    }
    __int128 quot = v / div;
    // ceil for positive values; towards +inf for negative ones (as Kubernetes' rounding up).
    if (!negative && v % div != 0) ++quot;
    v = quot;
  }
  if (v > kLimit) return OutOfRange();
  int64_t out = static_cast<int64_t>(v);
  return negative ? -out : out;
}

Result<int64_t> Quantity::Value() const { return Scaled(0); }
Result<int64_t> Quantity::MilliValue() const { return Scaled(3); }

}  // namespace see::seectl
