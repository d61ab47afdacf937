#include "base/json.h"

#include <locale.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"
#include "rapidjson/prettywriter.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace kfed::json {
namespace {

// Builds a Document like Document::Parse, except for numbers: RapidJSON 1.1.0's own
// full-precision conversion reads out of bounds (GetCachedPower with an index past its
// 87-entry table, for 999...9e308) and calls __builtin_clzll(0) (a zero significand, for
// 0e80, which then parses as 2.57e+61); both found by the fuzzers' UBSan. Numbers arrive
// as text (kParseNumbersAsStringsFlag) and are converted here: integers that fit 64 bits
// exactly as RapidJSON would, everything else with glibc's correctly rounded strtod in the
// C locale (the same value Go's strconv.ParseFloat gives).
class DocumentBuilder {
 public:
  DocumentBuilder(rapidjson::Document& doc,
                  const rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>& in)
      : doc_(doc), in_(in) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool EndObject(rapidjson::SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) { return doc_.EndArray(elements); }

  // `text` is a valid JSON number (the reader checked the grammar).
  bool RawNumber(const char* text, rapidjson::SizeType n, bool) {
    const absl::string_view t(text, n);
    if (t.find_first_of(".eE") == absl::string_view::npos) {
      const bool minus = t[0] == '-';
      uint64_t u = 0;
      if (absl::SimpleAtoi(t.substr(minus ? 1 : 0), &u)) {
        // Int64/Uint64 give the same type flags as RapidJSON's Int/Uint for small values.
        if (!minus) return doc_.Uint64(u);
        if (u <= (uint64_t{1} << 63)) return doc_.Int64(static_cast<int64_t>(~u + 1));
      }
    }
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(0));
    const std::string copy(t);
    const double d = strtod_l(copy.c_str(), nullptr, c_locale);
    if (std::isinf(d)) {
      too_big_at_ = in_.Tell() - n;
      return false;
    }
    return doc_.Double(d);
  }

  // Where a number too big for a double starts, or -1.
  int64_t too_big_at() const { return too_big_at_; }

 private:
  rapidjson::Document& doc_;
  const rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>& in_;
  int64_t too_big_at_ = -1;
};

}  // namespace

absl::Status ParseInto(absl::string_view text, rapidjson::Document& doc) {
  // Doubles must round-trip exactly, or KubeFed-compatible hashes of templates holding them
  // would differ from Go's: numbers are converted exactly (see DocumentBuilder).
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(stream);
  rapidjson::Reader reader;
  rapidjson::ParseResult result;
  int64_t too_big_at = -1;
  auto parse = [&](rapidjson::Document& d) {
    DocumentBuilder builder(d, in);
    result = reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, builder);
    too_big_at = builder.too_big_at();
    return !result.IsError();
  };
  doc.Populate(parse);
  if (too_big_at >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("at offset ", too_big_at, ": ",
                     rapidjson::GetParseError_En(rapidjson::kParseErrorNumberTooBig)));
  }
  if (result.IsError()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "at offset ", result.Offset(), ": ", rapidjson::GetParseError_En(result.Code())));
  }
  return absl::OkStatus();
}

absl::StatusOr<rapidjson::Document> Parse(absl::string_view text) {
  rapidjson::Document doc;
  if (absl::Status s = ParseInto(text, doc); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON ", s.message()));
  }
  return doc;
}

std::string Serialize(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string SerializePretty(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

rapidjson::Document Clone(const rapidjson::Value& value) {
  rapidjson::Document doc;
  doc.CopyFrom(value, doc.GetAllocator());
  return doc;
}

const rapidjson::Value* Find(const rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* FindMutable(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(rapidjson::StringRef(name.data(), name.size()));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const rapidjson::Value* FindPath(const rapidjson::Value& object,
                                 std::initializer_list<absl::string_view> path) {
  const rapidjson::Value* current = &object;
  for (absl::string_view name : path) {
    current = Find(*current, name);
    if (current == nullptr) return nullptr;
  }
  return current;
}

std::string GetString(const rapidjson::Value& object, absl::string_view name,
                      absl::string_view fallback) {
  const rapidjson::Value* v = Find(object, name);
  if (v == nullptr || !v->IsString()) return std::string(fallback);
  return std::string(v->GetString(), v->GetStringLength());
}

void Set(rapidjson::Value& object, absl::string_view name, const rapidjson::Value& value,
         rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value copy(value, alloc);
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    *existing = std::move(copy);
    return;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc), copy,
      alloc);
}

void SetString(rapidjson::Value& object, absl::string_view name, absl::string_view value,
               rapidjson::Document::AllocatorType& alloc) {
  rapidjson::Value v(value.data(), static_cast<rapidjson::SizeType>(value.size()), alloc);
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    *existing = std::move(v);
    return;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc), v,
      alloc);
}

rapidjson::Value& EnsureObject(rapidjson::Value& object, absl::string_view name,
                               rapidjson::Document::AllocatorType& alloc) {
  if (rapidjson::Value* existing = FindMutable(object, name)) {
    if (!existing->IsObject()) existing->SetObject();
    return *existing;
  }
  object.AddMember(
      rapidjson::Value(name.data(), static_cast<rapidjson::SizeType>(name.size()), alloc),
      rapidjson::Value(rapidjson::kObjectType), alloc);
  return (object.MemberEnd() - 1)->value;
}

bool Remove(rapidjson::Value& object, absl::string_view name) {
  if (!object.IsObject()) return false;
  return object.RemoveMember(rapidjson::StringRef(name.data(), name.size()));
}

const char* TypeName(const rapidjson::Value& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "a value";
}

bool Equal(const rapidjson::Value& a, const rapidjson::Value& b) { return a == b; }

}  // namespace kfed::json
