// JSON helpers over RapidJSON, the one JSON representation used across kfed.
//
// Objects from a server or a user are held as rapidjson::Document / rapidjson::Value.
// Nothing here asserts on data: malformed input comes back as an error naming the problem.
#ifndef KFED_BASE_JSON_H_
#define KFED_BASE_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace kfed::json {

// Parses `text`; errors say where and why ("offset 12: Missing a comma ...").
absl::StatusOr<rapidjson::Document> Parse(absl::string_view text);

// Parses `text` into `doc` (with `doc`'s allocator), as Parse does; every JSON reader in
// kfed uses this, so numbers mean the same everywhere (doubles are correctly rounded, a
// number beyond a double is an error). kInvalidArgument "at offset N: why" on error.
absl::Status ParseInto(absl::string_view text, rapidjson::Document& doc);

// Compact serialization (no spaces), keys in document order.
std::string Serialize(const rapidjson::Value& value);

// Indented serialization for humans.
std::string SerializePretty(const rapidjson::Value& value);

// A deep copy of `value` as a new document.
rapidjson::Document Clone(const rapidjson::Value& value);

// Member lookup that tolerates non-objects: returns nullptr when `object` is not an object
// or has no member `name`.
const rapidjson::Value* Find(const rapidjson::Value& object, absl::string_view name);
rapidjson::Value* FindMutable(rapidjson::Value& object, absl::string_view name);

// Follows a path of member names; nullptr when any step is missing or not an object.
const rapidjson::Value* FindPath(const rapidjson::Value& object,
                                 std::initializer_list<absl::string_view> path);

// The string at `name`, or `fallback` when missing or not a string.
std::string GetString(const rapidjson::Value& object, absl::string_view name,
                      absl::string_view fallback = "");

// Sets object[name] = value (a deep copy made with `alloc`), replacing any existing member.
// `object` must be an object.
void Set(rapidjson::Value& object, absl::string_view name, const rapidjson::Value& value,
         rapidjson::Document::AllocatorType& alloc);
void SetString(rapidjson::Value& object, absl::string_view name, absl::string_view value,
               rapidjson::Document::AllocatorType& alloc);

// Returns object[name], creating it as an empty object when missing (or replacing a
// non-object). `object` must be an object.
rapidjson::Value& EnsureObject(rapidjson::Value& object, absl::string_view name,
                               rapidjson::Document::AllocatorType& alloc);

// Removes object[name] if present; returns whether it was there.
bool Remove(rapidjson::Value& object, absl::string_view name);

// "null", "a boolean", "an object", "an array", "a string", "a number": for error messages.
const char* TypeName(const rapidjson::Value& value);

// Deep equality (RapidJSON's operator==: object members compared regardless of order).
bool Equal(const rapidjson::Value& a, const rapidjson::Value& b);

}  // namespace kfed::json

#endif  // KFED_BASE_JSON_H_
