#include "status/redact.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/json_pointer.h"

namespace kfed::status {
namespace {

constexpr absl::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

using Path = std::vector<std::string>;

// The size of what a base64 text decodes to (Secret `data` values are base64).
size_t DecodedSize(absl::string_view base64) {
  size_t n = base64.size();
  size_t padding = 0;
  while (padding < 2 && n > padding && base64[n - 1 - padding] == '=') ++padding;
  return n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1) - padding;
}

// How a redacted value is shown.
enum class Mark { kBare, kSize, kDecodedSize };

std::string Marker(const rapidjson::Value& value, Mark mark) {
  if (mark == Mark::kBare || !value.IsString()) return std::string(kRedactedPrefix) + "]";
  const bool base64 = mark == Mark::kDecodedSize;
  absl::string_view text(value.GetString(), value.GetStringLength());
  return absl::StrCat(kRedactedPrefix, ": ", base64 ? DecodedSize(text) : text.size(), " bytes]");
}

bool IsSecretField(const std::string& token) { return token == "data" || token == "stringData"; }

bool IsContainer(const rapidjson::Value& value) { return value.IsObject() || value.IsArray(); }

// Whether the value at `path` (from the object's root) is replaced whole, and how.
bool RedactWhole(Sensitivity sensitivity, const Path& path, const rapidjson::Value& value,
                 Mark* mark) {
  *mark = Mark::kSize;
  if (path.size() == 3 && path[0] == "metadata" && path[1] == "annotations" &&
      path[2] == kLastApplied) {
    return true;
  }
  if (path.empty()) return false;
  if (IsSecretField(path[0])) {
    // A Secret's values; under kAll too (a type marked sensitive may carry data as well).
    if (path.size() >= 2 || !IsContainer(value)) {
      if (path[0] == "data") *mark = Mark::kDecodedSize;
      return true;
    }
    return false;
  }
  if (sensitivity == Sensitivity::kAll) {
    const std::string& top = path[0];
    *mark = Mark::kBare;
    return top != "apiVersion" && top != "kind" && top != "metadata" && !IsContainer(value);
  }
  return false;
}

void Walk(Sensitivity sensitivity, Path& path, rapidjson::Value& value,
          rapidjson::Document::AllocatorType& allocator) {
  Mark mark = Mark::kBare;
  if (RedactWhole(sensitivity, path, value, &mark)) {
    value.SetString(Marker(value, mark), allocator);
    return;
  }
  if (value.IsObject()) {
    for (auto& member : value.GetObject()) {
      path.emplace_back(member.name.GetString(), member.name.GetStringLength());
      Walk(sensitivity, path, member.value, allocator);
      path.pop_back();
    }
  } else if (value.IsArray()) {
    for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
      path.push_back(absl::StrCat(i));
      Walk(sensitivity, path, value[i], allocator);
      path.pop_back();
    }
  }
}

std::string WholeMarker() { return absl::StrCat("\"", kRedactedPrefix, "]\""); }

}  // namespace

std::string RedactObjectJson(Sensitivity sensitivity, absl::string_view object_json) {
  if (sensitivity == Sensitivity::kNone || object_json.empty()) return std::string(object_json);
  absl::StatusOr<rapidjson::Document> doc = json::Parse(object_json);
  if (!doc.ok() || !doc->IsObject()) return WholeMarker();
  Path path;
  Walk(sensitivity, path, *doc, doc->GetAllocator());
  return json::SerializePretty(*doc);
}

std::string RedactOverridesJson(Sensitivity sensitivity, absl::string_view overrides_json) {
  if (sensitivity == Sensitivity::kNone || overrides_json.empty()) {
    return std::string(overrides_json);
  }
  absl::StatusOr<rapidjson::Document> doc = json::Parse(overrides_json);
  if (!doc.ok() || !doc->IsArray()) return WholeMarker();
  auto& allocator = doc->GetAllocator();
  for (rapidjson::Value& op : doc->GetArray()) {
    if (!op.IsObject()) {
      op.SetString(std::string(kRedactedPrefix) + "]", allocator);
      continue;
    }
    rapidjson::Value* value = json::FindMutable(op, "value");
    if (value == nullptr) continue;
    const rapidjson::Value* path_text = json::Find(op, "path");
    absl::StatusOr<json::JsonPointer> pointer =
        path_text != nullptr && path_text->IsString()
            ? json::JsonPointer::Parse(path_text->GetString())
            : absl::InvalidArgumentError("no path");
    if (!pointer.ok()) {
      value->SetString(std::string(kRedactedPrefix) + "]", allocator);
      continue;
    }
    Path path = pointer->tokens();
    Walk(sensitivity, path, *value, allocator);
  }
  return json::Serialize(*doc);
}

}  // namespace kfed::status
