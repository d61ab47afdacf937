#include "base/json_patch.h"

#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status_macros.h"

namespace kfed::json {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

// A short rendering of a value for error messages.
std::string Preview(const rapidjson::Value& value) {
  constexpr std::size_t kMaxPreview = 80;
  std::string text = json::Serialize(value);
  if (text.size() > kMaxPreview) text = absl::StrCat(text.substr(0, kMaxPreview - 3), "...");
  return text;
}

rapidjson::Value StringValue(const std::string& s, Allocator& allocator) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), allocator);
}

// The JSON value an operation carries, as a copy owned by `allocator`.
rapidjson::Value OperationValue(const PatchOperation& operation, Allocator& allocator) {
  if (operation.value == nullptr) return rapidjson::Value(rapidjson::kNullType);
  return DeepCopyValue(*operation.value, allocator);
}

// Moves the element just appended to `array` to `index`, shifting later elements up.
// RapidJSON has no insert.
void RotateIntoPlace(rapidjson::Value& array, rapidjson::SizeType index) {
  for (rapidjson::SizeType j = array.Size() - 1; j > index; --j) array[j].Swap(array[j - 1]);
}

// Same for the last member of an object.
void RotateMemberIntoPlace(rapidjson::Value& object, rapidjson::SizeType position) {
  auto member = object.MemberEnd() - 1;
  for (auto target = object.MemberBegin() + position; member > target; --member) {
    member->name.Swap((member - 1)->name);
    member->value.Swap((member - 1)->value);
  }
}

// Records how to revert each change made to a document, so that a patch failing part-way
// can be rolled back without copying the document first. Entries name locations by the
// operations' pointers (which outlive the log) and are replayed in reverse order: when an
// entry is undone the document is logically as it was right after that change, so its
// location resolves again (addresses may differ: RapidJSON reallocates member arrays).
class UndoLog {
 public:
  explicit UndoLog(rapidjson::Document* doc) : doc_(doc) {}

  // The value at `path` (which exists) was replaced; `old` is the previous value.
  void RecordSet(const JsonPointer* path, rapidjson::Value old) {
    entries_.push_back(Entry{Kind::kSet, path, 0, rapidjson::Value(), std::move(old)});
  }
  // A member was appended to the object holding `path`.
  void RecordObjectAdd(const JsonPointer* path) {
    entries_.push_back(Entry{Kind::kObjectAdd, path, 0, rapidjson::Value(), rapidjson::Value()});
  }
  // The member at `position` of the object holding `path` was erased.
  void RecordObjectErase(const JsonPointer* path, rapidjson::SizeType position,
                         rapidjson::Value name, rapidjson::Value old) {
    entries_.push_back(Entry{Kind::kObjectErase, path, position, std::move(name), std::move(old)});
  }
  // An element was inserted at `index` of the array holding `path`.
  void RecordArrayInsert(const JsonPointer* path, rapidjson::SizeType index) {
    entries_.push_back(
        Entry{Kind::kArrayInsert, path, index, rapidjson::Value(), rapidjson::Value()});
  }
  // The element at `index` of the array holding `path` was erased.
  void RecordArrayErase(const JsonPointer* path, rapidjson::SizeType index, rapidjson::Value old) {
    entries_.push_back(Entry{Kind::kArrayErase, path, index, rapidjson::Value(), std::move(old)});
  }
  // The whole document was replaced.
  void RecordRoot(rapidjson::Value old) {
    entries_.push_back(Entry{Kind::kRoot, nullptr, 0, rapidjson::Value(), std::move(old)});
  }

  // Reverts every recorded change, newest first.
  void Rollback() {
    Allocator& allocator = doc_->GetAllocator();
    for (auto entry = entries_.rbegin(); entry != entries_.rend(); ++entry) {
      switch (entry->kind) {
        case Kind::kRoot:
          static_cast<rapidjson::Value&>(*doc_).Swap(entry->value);
          break;
        case Kind::kSet:
          Resolve(entry->path->ResolveMutable(*doc_)).Swap(entry->value);
          break;
        case Kind::kObjectAdd: {
          rapidjson::Value& object = Resolve(entry->path->ResolveParentMutable(*doc_));
          object.EraseMember(object.MemberEnd() - 1);
          break;
        }
        case Kind::kObjectErase: {
          rapidjson::Value& object = Resolve(entry->path->ResolveParentMutable(*doc_));
          object.AddMember(entry->name, entry->value, allocator);
          RotateMemberIntoPlace(object, entry->index);
          break;
        }
        case Kind::kArrayInsert: {
          rapidjson::Value& array = Resolve(entry->path->ResolveParentMutable(*doc_));
          array.Erase(array.Begin() + entry->index);
          break;
        }
        case Kind::kArrayErase: {
          rapidjson::Value& array = Resolve(entry->path->ResolveParentMutable(*doc_));
          array.PushBack(entry->value, allocator);
          RotateIntoPlace(array, entry->index);
          break;
        }
      }
    }
    entries_.clear();
  }

 private:
  enum class Kind { kRoot, kSet, kObjectAdd, kObjectErase, kArrayInsert, kArrayErase };
  struct Entry {
    Kind kind;
    const JsonPointer* path;
    rapidjson::SizeType index;
    rapidjson::Value name;
    rapidjson::Value value;
  };

  // A location recorded in the log always resolves again (see the class comment); not
  // resolving is a bug in this file, and continuing would corrupt the document.
  static rapidjson::Value& Resolve(absl::StatusOr<rapidjson::Value*> value) {
    if (!value.ok()) std::abort();
    return **value;
  }

  rapidjson::Document* doc_;
  std::vector<Entry> entries_;
};

// Replaces the whole document with `value` (allocated with the document's allocator).
void SetRoot(rapidjson::Value value, rapidjson::Document* doc, UndoLog* log) {
  static_cast<rapidjson::Value&>(*doc).Swap(value);
  log->RecordRoot(std::move(value));
}

// RFC 6902 section 4.1. Checks everything before it changes anything.
absl::Status Add(const JsonPointer& path, rapidjson::Value value, rapidjson::Document* doc,
                 UndoLog* log) {
  if (path.IsRoot()) {
    SetRoot(std::move(value), doc, log);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(rapidjson::Value * parent, path.ResolveParentMutable(*doc));
  const std::string& token = path.LastToken();
  Allocator& allocator = doc->GetAllocator();
  if (parent->IsObject()) {
    auto it = parent->FindMember(
        rapidjson::StringRef(token.data(), static_cast<rapidjson::SizeType>(token.size())));
    if (it != parent->MemberEnd()) {
      it->value.Swap(value);
      log->RecordSet(&path, std::move(value));
    } else {
      parent->AddMember(StringValue(token, allocator), value, allocator);
      log->RecordObjectAdd(&path);
    }
    return absl::OkStatus();
  }
  if (parent->IsArray()) {
    rapidjson::SizeType index = parent->Size();
    if (token != "-") {
      ASSIGN_OR_RETURN(std::size_t parsed, ParseArrayIndex(token));
      if (parsed > parent->Size()) {
        return absl::InvalidArgumentError(absl::StrCat("array index ", parsed, " out of range at ",
                                                       path.Parent().ToString(), " (size ",
                                                       parent->Size(), ")"));
      }
      index = static_cast<rapidjson::SizeType>(parsed);
    }
    parent->PushBack(value, allocator);
    RotateIntoPlace(*parent, index);
    log->RecordArrayInsert(&path, index);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("cannot add to ", path.Parent().ToString(),
                                                 ": it is ", json::TypeName(*parent),
                                                 ", not an object or array"));
}

// RFC 6902 section 4.2. Keeps the order of the remaining members.
absl::Status Remove(const JsonPointer& path, rapidjson::Document* doc, UndoLog* log) {
  if (path.IsRoot()) return absl::InvalidArgumentError("cannot remove the whole document");
  RETURN_IF_ERROR(path.ResolveMutable(*doc).status());
  ASSIGN_OR_RETURN(rapidjson::Value * parent, path.ResolveParentMutable(*doc));
  const std::string& token = path.LastToken();
  if (parent->IsObject()) {
    auto it = parent->FindMember(
        rapidjson::StringRef(token.data(), static_cast<rapidjson::SizeType>(token.size())));
    auto position = static_cast<rapidjson::SizeType>(it - parent->MemberBegin());
    rapidjson::Value name;
    name.Swap(it->name);
    rapidjson::Value old;
    old.Swap(it->value);
    parent->EraseMember(it);
    log->RecordObjectErase(&path, position, std::move(name), std::move(old));
  } else {
    // Resolve succeeded, so this is an array and the token a valid index.
    ASSIGN_OR_RETURN(std::size_t index, ParseArrayIndex(token));
    rapidjson::Value old;
    old.Swap((*parent)[static_cast<rapidjson::SizeType>(index)]);
    parent->Erase(parent->Begin() + index);
    log->RecordArrayErase(&path, static_cast<rapidjson::SizeType>(index), std::move(old));
  }
  return absl::OkStatus();
}

// RFC 6902 section 4.3, plus the KubeFed-compatible option.
absl::Status Replace(const JsonPointer& path, rapidjson::Value value, const PatchOptions& options,
                     rapidjson::Document* doc, UndoLog* log) {
  if (path.IsRoot()) {
    SetRoot(std::move(value), doc, log);
    return absl::OkStatus();
  }
  absl::StatusOr<rapidjson::Value*> target = path.ResolveMutable(*doc);
  if (target.ok()) {
    (*target)->Swap(value);
    log->RecordSet(&path, std::move(value));
    return absl::OkStatus();
  }
  if (options.replace_sets_missing_member) {
    absl::StatusOr<rapidjson::Value*> parent = path.ResolveParentMutable(*doc);
    if (parent.ok() && (*parent)->IsObject()) return Add(path, std::move(value), doc, log);
  }
  return target.status();
}

absl::Status Test(const JsonPointer& path, const rapidjson::Value& expected,
                  const rapidjson::Document& doc) {
  ASSIGN_OR_RETURN(const rapidjson::Value* actual, path.Resolve(doc));
  // RapidJSON's equality is the RFC's: numbers by value, objects regardless of order.
  if (*actual == expected) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("test failed: found ", Preview(*actual), ", expected ", Preview(expected)));
}

absl::Status ApplyOne(const PatchOperation& operation, const PatchOptions& options,
                      rapidjson::Document* doc, UndoLog* log) {
  Allocator& allocator = doc->GetAllocator();
  switch (operation.op) {
    case PatchOp::kAdd:
      return Add(operation.path, OperationValue(operation, allocator), doc, log);
    case PatchOp::kRemove:
      return Remove(operation.path, doc, log);
    case PatchOp::kReplace:
      return Replace(operation.path, OperationValue(operation, allocator), options, doc, log);
    case PatchOp::kMove: {
      absl::StatusOr<const rapidjson::Value*> source = operation.from.Resolve(*doc);
      if (!source.ok()) return Annotate(source.status(), "from");
      if (operation.from == operation.path) return absl::OkStatus();
      if (operation.from.IsProperPrefixOf(operation.path)) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot move ", operation.from.ToString(), " into its own child"));
      }
      // A copy, because the undo log keeps the removed original to restore it.
      rapidjson::Value moved = DeepCopyValue(**source, allocator);
      RETURN_IF_ERROR(Remove(operation.from, doc, log));
      return Add(operation.path, std::move(moved), doc, log);
    }
    case PatchOp::kCopy: {
      absl::StatusOr<const rapidjson::Value*> source = operation.from.Resolve(*doc);
      if (!source.ok()) return Annotate(source.status(), "from");
      return Add(operation.path, DeepCopyValue(**source, allocator), doc, log);
    }
    case PatchOp::kTest: {
      rapidjson::Value null_value;
      return Test(operation.path, operation.value == nullptr ? null_value : *operation.value, *doc);
    }
  }
  return absl::InternalError("unknown patch operation");
}

absl::StatusOr<PatchOp> ParseOpName(absl::string_view name) {
  if (name == "add") return PatchOp::kAdd;
  if (name == "remove") return PatchOp::kRemove;
  if (name == "replace") return PatchOp::kReplace;
  if (name == "move") return PatchOp::kMove;
  if (name == "copy") return PatchOp::kCopy;
  if (name == "test") return PatchOp::kTest;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown op \"", name, "\" (want add, remove, replace, move, copy or test)"));
}

absl::string_view StringOf(const rapidjson::Value& value) {
  return absl::string_view(value.GetString(), value.GetStringLength());
}

void MergeInto(rapidjson::Value& target, const rapidjson::Value& patch, Allocator& allocator) {
  if (!patch.IsObject()) {
    target = DeepCopyValue(patch, allocator);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (auto& member : patch.GetObject()) {
    auto it = target.FindMember(member.name);
    if (member.value.IsNull()) {
      while (it != target.MemberEnd()) {
        target.EraseMember(it);
        it = target.FindMember(member.name);
      }
      continue;
    }
    if (it != target.MemberEnd()) {
      MergeInto(it->value, member.value, allocator);
      continue;
    }
    rapidjson::Value merged;
    MergeInto(merged, member.value, allocator);
    target.AddMember(DeepCopyValue(member.name, allocator), merged, allocator);
  }
}

}  // namespace

absl::string_view PatchOpName(PatchOp op) {
  switch (op) {
    case PatchOp::kAdd:
      return "add";
    case PatchOp::kRemove:
      return "remove";
    case PatchOp::kReplace:
      return "replace";
    case PatchOp::kMove:
      return "move";
    case PatchOp::kCopy:
      return "copy";
    case PatchOp::kTest:
      return "test";
  }
  return "unknown";
}

std::string PatchOperation::Describe() const {
  std::string path_text = path.IsRoot() ? "\"\"" : path.ToString();
  std::string out = absl::StrCat(PatchOpName(op), " ", path_text);
  if (op == PatchOp::kMove || op == PatchOp::kCopy) {
    absl::StrAppend(&out, " from ", from.IsRoot() ? "\"\"" : from.ToString());
  }
  return out;
}

absl::StatusOr<std::vector<PatchOperation>> ParseJsonPatch(const rapidjson::Value& patch) {
  if (!patch.IsArray()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a JSON patch must be an array of operations, got ", json::TypeName(patch)));
  }
  std::vector<PatchOperation> operations;
  operations.reserve(patch.Size());
  for (rapidjson::SizeType i = 0; i < patch.Size(); ++i) {
    const rapidjson::Value& item = patch[i];
    std::string where = absl::StrCat("operation ", i);
    if (!item.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": must be an object, got ", json::TypeName(item)));
    }
    // RFC 6902 Appendix A.13: an operation with a repeated member (two "op"s) is invalid.
    for (auto a = item.MemberBegin(); a != item.MemberEnd(); ++a) {
      for (auto b = a + 1; b != item.MemberEnd(); ++b) {
        if (a->name == b->name) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": member \"", StringOf(a->name), "\" appears more than once"));
        }
      }
    }
    PatchOperation operation;
    const rapidjson::Value* op = json::Find(item, "op");
    if (op == nullptr) return absl::InvalidArgumentError(absl::StrCat(where, ": missing \"op\""));
    if (!op->IsString()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": \"op\" must be a string"));
    }
    absl::StatusOr<PatchOp> kind = ParseOpName(StringOf(*op));
    if (!kind.ok()) return Annotate(kind.status(), where);
    operation.op = *kind;
    const rapidjson::Value* path = json::Find(item, "path");
    if (path == nullptr || !path->IsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, " (", StringOf(*op),
                       "): ", path == nullptr ? "missing \"path\"" : "\"path\" must be a string"));
    }
    absl::StatusOr<JsonPointer> pointer = JsonPointer::Parse(StringOf(*path));
    if (!pointer.ok())
      return Annotate(pointer.status(), absl::StrCat(where, " (", StringOf(*op), ")"));
    operation.path = *std::move(pointer);
    if (operation.op == PatchOp::kMove || operation.op == PatchOp::kCopy) {
      const rapidjson::Value* from = json::Find(item, "from");
      if (from == nullptr || !from->IsString()) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, " (", StringOf(*op), " ", StringOf(*path),
            "): ", from == nullptr ? "missing \"from\"" : "\"from\" must be a string"));
      }
      absl::StatusOr<JsonPointer> from_pointer = JsonPointer::Parse(StringOf(*from));
      if (!from_pointer.ok()) {
        return Annotate(from_pointer.status(),
                        absl::StrCat(where, " (", StringOf(*op), " ", StringOf(*path), ")"));
      }
      operation.from = *std::move(from_pointer);
    }
    if (operation.op == PatchOp::kAdd || operation.op == PatchOp::kReplace ||
        operation.op == PatchOp::kTest) {
      operation.value = json::Find(item, "value");
      if (operation.value == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, " (", operation.Describe(), "): missing \"value\""));
      }
    }
    operations.push_back(std::move(operation));
  }
  return operations;
}

absl::Status ApplyPatchOperations(absl::Span<const PatchOperation> operations,
                                  const PatchOptions& options, rapidjson::Document* doc,
                                  std::size_t* failed_index) {
  UndoLog log(doc);
  for (std::size_t i = 0; i < operations.size(); ++i) {
    absl::Status status = ApplyOne(operations[i], options, doc, &log);
    if (status.ok()) continue;
    log.Rollback();
    if (failed_index != nullptr) *failed_index = i;
    // Missing paths are not something a retry fixes: the patch does not apply.
    if (status.code() == absl::StatusCode::kNotFound) {
      return absl::InvalidArgumentError(status.message());
    }
    return status;
  }
  return absl::OkStatus();
}

absl::Status ApplyJsonPatch(const rapidjson::Value& patch, rapidjson::Document* doc) {
  ASSIGN_OR_RETURN(std::vector<PatchOperation> operations, ParseJsonPatch(patch));
  std::size_t failed = 0;
  absl::Status status = ApplyPatchOperations(operations, PatchOptions(), doc, &failed);
  if (status.ok()) return status;
  return Annotate(status,
                  absl::StrCat("operation ", failed, " (", operations[failed].Describe(), ")"));
}

absl::Status ApplyMergePatch(const rapidjson::Value& patch, rapidjson::Document* doc) {
  MergeInto(*doc, patch, doc->GetAllocator());
  return absl::OkStatus();
}

rapidjson::Value DeepCopyValue(const rapidjson::Value& value, Allocator& allocator) {
  switch (value.GetType()) {
    case rapidjson::kStringType:
      return rapidjson::Value(value.GetString(), value.GetStringLength(), allocator);
    case rapidjson::kArrayType: {
      rapidjson::Value array(rapidjson::kArrayType);
      array.Reserve(value.Size(), allocator);
      for (const rapidjson::Value& element : value.GetArray()) {
        array.PushBack(DeepCopyValue(element, allocator), allocator);
      }
      return array;
    }
    case rapidjson::kObjectType: {
      rapidjson::Value object(rapidjson::kObjectType);
      for (const auto& member : value.GetObject()) {
        object.AddMember(DeepCopyValue(member.name, allocator),
                         DeepCopyValue(member.value, allocator), allocator);
      }
      return object;
    }
    default:
      // null, booleans and numbers own no memory.
      return rapidjson::Value(value, allocator);
  }
}

}  // namespace kfed::json
