#include "federated_types/field_readers.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace kfed::federated_types {

absl::Status FieldError(absl::string_view field, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::Status ReadString(const rapidjson::Value& object, absl::string_view name,
                        absl::string_view path, std::string* out) {
  const rapidjson::Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsString()) return FieldError(absl::StrCat(path, ".", name), "must be a string");
  out->assign(v->GetString(), v->GetStringLength());
  return absl::OkStatus();
}

absl::Status ReadInt(const rapidjson::Value& object, absl::string_view name,
                     absl::string_view path, int64_t* out) {
  const rapidjson::Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsInt64()) return FieldError(absl::StrCat(path, ".", name), "must be an integer");
  *out = v->GetInt64();
  return absl::OkStatus();
}

absl::Status ReadBool(const rapidjson::Value& object, absl::string_view name,
                      absl::string_view path, bool* out) {
  const rapidjson::Value* v = json::Find(object, name);
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsBool()) return FieldError(absl::StrCat(path, ".", name), "must be a boolean");
  *out = v->GetBool();
  return absl::OkStatus();
}

}  // namespace kfed::federated_types
