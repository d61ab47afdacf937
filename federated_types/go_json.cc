#include "federated_types/go_json.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"

namespace kfed::federated_types {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr absl::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 when s[i] does not start one.
// Same acceptance as Go's utf8.DecodeRuneInString (no overlongs, no surrogates, <= U+10FFFF).
size_t ValidSequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  const size_t left = s.size() - i;
  auto cont = [&](size_t k, unsigned char lo, unsigned char hi) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(i + 1, 0x80, 0xBF) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
    return left >= 3 && cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
    return left >= 4 && cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) && cont(i + 3, 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

// The string as Go's decoder leaves it: invalid bytes replaced by U+FFFD.
std::string Sanitize(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = ValidSequenceLength(s, i);
    if (n == 0) {
      out.append(kReplacement.data(), kReplacement.size());
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

bool NeedsSanitizing(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t n = ValidSequenceLength(s, i);
    if (n == 0) return true;
    i += n;
  }
  return false;
}

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

void AppendNumber(const rapidjson::Value& value, GoNumbers numbers, std::string* out) {
  if (numbers == GoNumbers::kUnstructured && value.IsInt64()) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), value.GetInt64());
    out->append(buf, res.ptr);
    return;
  }
  out->append(GoFormatFloat(value.GetDouble()));
}

}  // namespace

std::string GoFormatFloat(double value) {
  std::string out;
  if (std::signbit(value)) out.push_back('-');
  const double abs = std::fabs(value);
  if (abs == 0) {
    out.push_back('0');
    return out;
  }
  // Shortest round-trip digits, as strconv's -1 precision gives.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), abs, std::chars_format::scientific);
  absl::string_view sci(buf, res.ptr - buf);
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits.push_back(c);
  }
  int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());

  if (abs < 1e-6 || abs >= 1e21) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    out.append(std::to_string(std::abs(exponent)));
    return out;
  }
  // 'f' format: the decimal point goes after `point` digits.
  const int point = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (point <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-point), '0');
    out.append(digits);
  } else if (point >= n) {
    out.append(digits);
    out.append(static_cast<size_t>(point - n), '0');
  } else {
    out.append(digits, 0, point);
    out.push_back('.');
    out.append(digits, point, std::string::npos);
  }
  return out;
}

void AppendGoString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '<':
        case '>':
        case '&':
          out->append("\\u00");
          out->push_back(kHex[b >> 4]);
          out->push_back(kHex[b & 0xF]);
          break;
        default:
          if (b < 0x20) {
            out->append("\\u00");
            out->push_back(kHex[b >> 4]);
            out->push_back(kHex[b & 0xF]);
          } else {
            out->push_back(static_cast<char>(b));
          }
      }
      ++i;
      continue;
    }
    size_t n = ValidSequenceLength(s, i);
    if (n == 0) {
      out->append(kReplacement.data(), kReplacement.size());
      ++i;
      continue;
    }
    // U+2028 = E2 80 A8, U+2029 = E2 80 A9.
    if (n == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xFE) == 0xA8) {
      out->append(static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

void AppendGoJson(const rapidjson::Value& value, GoNumbers numbers, std::string* out) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      out->append("null");
      return;
    case rapidjson::kFalseType:
      out->append("false");
      return;
    case rapidjson::kTrueType:
      out->append("true");
      return;
    case rapidjson::kNumberType:
      AppendNumber(value, numbers, out);
      return;
    case rapidjson::kStringType:
      AppendGoString(View(value), out);
      return;
    case rapidjson::kArrayType: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : value.GetArray()) {
        if (!first) out->push_back(',');
        first = false;
        AppendGoJson(element, numbers, out);
      }
      out->push_back(']');
      return;
    }
    case rapidjson::kObjectType: {
      // Keys as Go's decoder holds them (sanitized), sorted; the last duplicate wins.
      struct Entry {
        absl::string_view raw;
        std::string sanitized;
        bool use_sanitized;
        const rapidjson::Value* value;
        size_t order;
        absl::string_view key() const { return use_sanitized ? absl::string_view(sanitized) : raw; }
      };
      std::vector<Entry> entries;
      entries.reserve(value.MemberCount());
      size_t order = 0;
      for (const auto& m : value.GetObject()) {
        Entry e{View(m.name), std::string(), false, &m.value, order++};
        if (NeedsSanitizing(e.raw)) {
          e.sanitized = Sanitize(e.raw);
          e.use_sanitized = true;
        }
        entries.push_back(std::move(e));
      }
      std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        const absl::string_view ka = a.key(), kb = b.key();
        if (ka != kb) return ka < kb;
        return a.order < b.order;
      });
      out->push_back('{');
      bool first = true;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i + 1 < entries.size() && entries[i + 1].key() == entries[i].key()) continue;
        if (!first) out->push_back(',');
        first = false;
        AppendGoString(entries[i].key(), out);
        out->push_back(':');
        AppendGoJson(*entries[i].value, numbers, out);
      }
      out->push_back('}');
      return;
    }
  }
}

std::string GoJsonEncode(const rapidjson::Value& value, GoNumbers numbers) {
  std::string out;
  AppendGoJson(value, numbers, &out);
  out.push_back('\n');
  return out;
}

std::string Md5Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

}  // namespace kfed::federated_types
