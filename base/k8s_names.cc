#include "base/k8s_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace kfed::k8s {
namespace {

bool IsLowerAlnum(char c) { return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsQualifiedNamePart(absl::string_view s) {
  if (s.empty()) return false;
  if (!absl::ascii_isalnum(s.front()) || !absl::ascii_isalnum(s.back())) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

constexpr absl::string_view kNameFmtMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";

}  // namespace

std::string CheckDns1123Subdomain(absl::string_view value) {
  if (value.size() > 253) return "must be no more than 253 characters";
  bool ok = !value.empty();
  if (ok) {
    for (absl::string_view part : absl::StrSplit(value, '.')) {
      if (part.empty() || !IsLowerAlnum(part.front()) || !IsLowerAlnum(part.back())) {
        ok = false;
        break;
      }
      for (char c : part) {
        if (!IsLowerAlnum(c) && c != '-') ok = false;
      }
    }
  }
  if (!ok) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character";
  }
  return "";
}

std::string CheckDns1035Label(absl::string_view value) {
  if (value.size() > 63) return "must be no more than 63 characters";
  bool ok =
      !value.empty() && value.front() >= 'a' && value.front() <= 'z' && IsLowerAlnum(value.back());
  for (char c : value) {
    if (!IsLowerAlnum(c) && c != '-') ok = false;
  }
  if (!ok) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
           "with an alphabetic character, and end with an alphanumeric character";
  }
  return "";
}

std::string CheckQualifiedName(absl::string_view value) {
  absl::string_view name = value;
  std::vector<absl::string_view> parts = absl::StrSplit(value, '/');
  if (parts.size() > 2) {
    return absl::StrCat("a qualified name ", kNameFmtMsg,
                        " with an optional DNS subdomain prefix and '/'");
  }
  if (parts.size() == 2) {
    if (parts[0].empty()) return "prefix part must be non-empty";
    std::string prefix_error = CheckDns1123Subdomain(parts[0]);
    if (!prefix_error.empty()) return absl::StrCat("prefix part ", prefix_error);
    name = parts[1];
  }
  if (name.empty()) return "name part must be non-empty";
  if (name.size() > 63) return "name part must be no more than 63 characters";
  if (!IsQualifiedNamePart(name)) return absl::StrCat("name part ", kNameFmtMsg);
  return "";
}

std::string CheckLabelValue(absl::string_view value) {
  if (value.empty()) return "";
  if (value.size() > 63) return "must be no more than 63 characters";
  if (!IsQualifiedNamePart(value)) return absl::StrCat("a valid label ", kNameFmtMsg);
  return "";
}

}  // namespace kfed::k8s
