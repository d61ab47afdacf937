#include "base/json_patch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/json.h"
#include "base/testing.h"

namespace kfed::json {
namespace {

using ::kfed::testing::Json;

struct PatchCase {
  std::string name;
  std::string doc;
  std::string patch;
  std::string want;   // expected document (compared ignoring member order) when ok
  std::string error;  // non-empty: expected error message
};

void RunPatchCases(const std::vector<PatchCase>& cases) {
  for (const PatchCase& c : cases) {
    SCOPED_TRACE(c.name);
    rapidjson::Document doc = Json(c.doc);
    rapidjson::Document patch = Json(c.patch);
    const std::string before = json::Serialize(doc);
    absl::Status status = ApplyJsonPatch(patch, &doc);
    if (!c.error.empty()) {
      ASSERT_FALSE(status.ok()) << "got " << json::Serialize(doc);
      EXPECT_EQ(status.message(), c.error);
      // Atomic: a failed patch leaves the document exactly as it was.
      EXPECT_EQ(json::Serialize(doc), before);
      continue;
    }
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_TRUE(json::Equal(doc, Json(c.want)))
        << "got " << json::Serialize(doc) << " want " << c.want;
  }
}

// Every example of RFC 6902 Appendix A.
TEST(JsonPatchTest, Rfc6902AppendixA) {
  RunPatchCases({
      {"A.1 adding an object member", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux"}])", R"({"baz":"qux","foo":"bar"})", ""},
      {"A.2 adding an array element", R"({"foo":["bar","baz"]})",
       R"([{"op":"add","path":"/foo/1","value":"qux"}])", R"({"foo":["bar","qux","baz"]})", ""},
      {"A.3 removing an object member", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"remove","path":"/baz"}])", R"({"foo":"bar"})", ""},
      {"A.4 removing an array element", R"({"foo":["bar","qux","baz"]})",
       R"([{"op":"remove","path":"/foo/1"}])", R"({"foo":["bar","baz"]})", ""},
      {"A.5 replacing a value", R"({"baz":"qux","foo":"bar"})",
       R"([{"op":"replace","path":"/baz","value":"boo"}])", R"({"baz":"boo","foo":"bar"})", ""},
      {"A.6 moving a value", R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
       R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])",
       R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})", ""},
      {"A.7 moving an array element", R"({"foo":["all","grass","cows","eat"]})",
       R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])",
       R"({"foo":["all","cows","eat","grass"]})", ""},
      {"A.8 testing a value: success", R"({"baz":"qux","foo":["a",2,"c"]})",
       R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])",
       R"({"baz":"qux","foo":["a",2,"c"]})", ""},
      {"A.9 testing a value: error", R"({"baz":"qux"})",
       R"([{"op":"test","path":"/baz","value":"bar"}])", "",
       R"(operation 0 (test /baz): test failed: found "qux", expected "bar")"},
      {"A.10 adding a nested member object", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])",
       R"({"foo":"bar","child":{"grandchild":{}}})", ""},
      {"A.11 ignoring unrecognized elements", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])", R"({"foo":"bar","baz":"qux"})",
       ""},
      {"A.12 adding to a nonexistent target", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz/bat","value":"qux"}])", "",
       "operation 0 (add /baz/bat): path not found: /baz does not exist"},
      {"A.13 invalid JSON patch document", R"({"foo":"bar"})",
       R"([{"op":"add","path":"/baz","value":"qux","op":"remove"}])", "",
       R"(operation 0: member "op" appears more than once)"},
      {"A.14 ~ escape ordering", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":10}])", R"({"/":9,"~1":10})", ""},
      {"A.15 comparing strings and numbers", R"({"/":9,"~1":10})",
       R"([{"op":"test","path":"/~01","value":"10"}])", "",
       R"(operation 0 (test /~01): test failed: found 10, expected "10")"},
      {"A.16 adding an array value", R"({"foo":["bar"]})",
       R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])",
       R"({"foo":["bar",["abc","def"]]})", ""},
  });
}

TEST(JsonPatchTest, AddRules) {
  RunPatchCases({
      {"add replaces an existing member", R"({"a":1})", R"([{"op":"add","path":"/a","value":2}])",
       R"({"a":2})", ""},
      {"add at the end index appends", R"({"a":[1,2]})",
       R"([{"op":"add","path":"/a/2","value":3}])", R"({"a":[1,2,3]})", ""},
      {"add at index 0 prepends", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])",
       R"({"a":[0,1,2]})", ""},
      {"add with - appends to an empty array", R"({"a":[]})",
       R"([{"op":"add","path":"/a/-","value":{"x":1}}])", R"({"a":[{"x":1}]})", ""},
      {"add past the end", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/3","value":3}])", "",
       "operation 0 (add /a/3): array index 3 out of range at /a (size 2)"},
      {"add with a leading zero", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/01","value":3}])",
       "", R"(operation 0 (add /a/01): invalid array index "01": leading zeros are not allowed)"},
      {"add with a negative index", R"({"a":[1,2]})", R"([{"op":"add","path":"/a/-1","value":3}])",
       "", R"(operation 0 (add /a/-1): invalid array index "-1": must be a non-negative integer)"},
      {"add the whole document", R"({"a":1})", R"([{"op":"add","path":"","value":[1]}])", "[1]",
       ""},
      {"add into a scalar", R"({"a":1})", R"([{"op":"add","path":"/a/b","value":2}])", "",
       "operation 0 (add /a/b): cannot add to /a: it is a number, not an object or array"},
      {"add an empty key", R"({})", R"([{"op":"add","path":"/","value":1}])", R"({"":1})", ""},
      {"add a null value", R"({})", R"([{"op":"add","path":"/a","value":null}])", R"({"a":null})",
       ""},
      {"add with an escaped key", R"({"labels":{}})",
       R"([{"op":"add","path":"/labels/kubefed.io~1managed","value":"true"}])",
       R"({"labels":{"kubefed.io/managed":"true"}})", ""},
  });
}

TEST(JsonPatchTest, RemoveReplaceRules) {
  RunPatchCases({
      {"remove a missing member", R"({"a":1})", R"([{"op":"remove","path":"/b"}])", "",
       "operation 0 (remove /b): path not found"},
      {"remove out of range", R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])", "",
       "operation 0 (remove /a/1): array index 1 out of range at /a (size 1)"},
      {"remove with -", R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", "",
       R"(operation 0 (remove /a/-): "-" refers to the (nonexistent) element after the last in /a)"},
      {"remove the document", R"({"a":1})", R"([{"op":"remove","path":""}])", "",
       R"(operation 0 (remove ""): cannot remove the whole document)"},
      {"replace a missing member is an error (RFC 6902)", R"({"spec":{}})",
       R"([{"op":"replace","path":"/spec/replicas","value":3}])", "",
       "operation 0 (replace /spec/replicas): path not found"},
      {"replace with -", R"({"a":[1]})", R"([{"op":"replace","path":"/a/-","value":2}])", "",
       R"(operation 0 (replace /a/-): "-" refers to the (nonexistent) element after the last in /a)"},
      {"replace out of range", R"({"a":[1]})", R"([{"op":"replace","path":"/a/1","value":2}])", "",
       "operation 0 (replace /a/1): array index 1 out of range at /a (size 1)"},
      {"replace with a leading zero", R"({"a":[1]})",
       R"([{"op":"replace","path":"/a/00","value":2}])", "",
       R"(operation 0 (replace /a/00): invalid array index "00": leading zeros are not allowed)"},
      {"replace an array element", R"({"a":[1,2]})",
       R"([{"op":"replace","path":"/a/1","value":{"b":[]}}])", R"({"a":[1,{"b":[]}]})", ""},
      {"replace the document", R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])",
       R"({"b":2})", ""},
  });
}

TEST(JsonPatchTest, MoveCopyTestRules) {
  RunPatchCases({
      {"move to itself", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":1})",
       ""},
      {"move into its own child", R"({"a":{"b":1}})",
       R"([{"op":"move","from":"/a","path":"/a/b/c"}])", "",
       "operation 0 (move /a/b/c from /a): cannot move /a into its own child"},
      {"move from a missing path", R"({"a":1})", R"([{"op":"move","from":"/b","path":"/c"}])", "",
       "operation 0 (move /c from /b): from: path not found"},
      {"move to a missing parent", R"({"a":1})", R"([{"op":"move","from":"/a","path":"/x/y"}])", "",
       "operation 0 (move /x/y from /a): path not found: /x does not exist"},
      {"move to a sibling with a shared prefix", R"({"a":1,"ab":{}})",
       R"([{"op":"move","from":"/a","path":"/ab/a"}])", R"({"ab":{"a":1}})", ""},
      {"move replaces the target", R"({"a":1,"b":2})", R"([{"op":"move","from":"/a","path":"/b"}])",
       R"({"b":1})", ""},
      {"copy", R"({"a":{"x":[1]}})", R"([{"op":"copy","from":"/a","path":"/b"}])",
       R"({"a":{"x":[1]},"b":{"x":[1]}})", ""},
      {"copy into an array", R"({"a":[1,2]})", R"([{"op":"copy","from":"/a/0","path":"/a/-"}])",
       R"({"a":[1,2,1]})", ""},
      {"copy into its own child", R"({"a":{}})", R"([{"op":"copy","from":"/a","path":"/a/b"}])",
       R"({"a":{"b":{}}})", ""},
      {"copy is deep", R"({"a":{"x":1}})",
       R"([{"op":"copy","from":"/a","path":"/b"},{"op":"replace","path":"/b/x","value":2}])",
       R"({"a":{"x":1},"b":{"x":2}})", ""},
      {"test numbers by value", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])",
       R"({"a":1})", ""},
      {"test objects regardless of order", R"({"a":{"x":1,"y":2}})",
       R"([{"op":"test","path":"/a","value":{"y":2,"x":1}}])", R"({"a":{"x":1,"y":2}})", ""},
      {"test arrays in order", R"({"a":[1,2]})", R"([{"op":"test","path":"/a","value":[2,1]}])", "",
       "operation 0 (test /a): test failed: found [1,2], expected [2,1]"},
      {"test null against a missing member", R"({})", R"([{"op":"test","path":"/a","value":null}])",
       "", "operation 0 (test /a): path not found"},
      {"test the whole document", R"({"a":1})", R"([{"op":"test","path":"","value":{"a":1}}])",
       R"({"a":1})", ""},
  });
}

TEST(JsonPatchTest, MalformedPatches) {
  RunPatchCases({
      {"not an array", "{}", R"({"op":"add"})", "",
       "a JSON patch must be an array of operations, got an object"},
      {"operation not an object", "{}", "[1]", "", "operation 0: must be an object, got a number"},
      {"missing op", "{}", R"([{"path":"/a"}])", "", R"(operation 0: missing "op")"},
      {"op not a string", "{}", R"([{"op":1,"path":"/a"}])", "",
       R"(operation 0: "op" must be a string)"},
      {"unknown op", "{}", R"([{"op":"merge","path":"/a"}])", "",
       R"(operation 0: unknown op "merge" (want add, remove, replace, move, copy or test))"},
      {"missing path", "{}", R"([{"op":"remove"}])", "", R"(operation 0 (remove): missing "path")"},
      {"invalid path", "{}", R"([{"op":"remove","path":"a"}])", "",
       R"(operation 0 (remove): invalid JSON pointer "a": must be empty or start with "/")"},
      {"missing value", "{}", R"([{"op":"test","path":"/a"},{"op":"add","path":"/a"}])", "",
       R"(operation 0 (test /a): missing "value")"},
      {"missing from", "{}", R"([{"op":"copy","path":"/a"}])", "",
       R"(operation 0 (copy /a): missing "from")"},
      {"invalid from", "{}", R"([{"op":"move","path":"/a","from":"~"}])", "",
       R"(operation 0 (move /a): invalid JSON pointer "~": must be empty or start with "/")"},
      {"empty patch", R"({"a":1})", "[]", R"({"a":1})", ""},
  });
}

TEST(JsonPatchTest, ErrorNamesTheOperation) {
  rapidjson::Document doc = Json(R"({"spec":{"template":{}}})");
  absl::Status status = ApplyJsonPatch(Json(R"([
      {"op": "add", "path": "/spec/paused", "value": true},
      {"op": "test", "path": "/spec/paused", "value": true},
      {"op": "replace", "path": "/spec/replicas", "value": 3}])"),
                                       &doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "operation 2 (replace /spec/replicas): path not found");
}

TEST(JsonPatchTest, FailedTestIsFailedPrecondition) {
  rapidjson::Document doc = Json(R"({"a":1})");
  absl::Status status = ApplyJsonPatch(Json(R"([{"op":"test","path":"/a","value":2}])"), &doc);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
}

// A patch that fails late leaves every earlier change undone, including member order.
TEST(JsonPatchTest, AtomicOnLateFailure) {
  const std::string original =
      R"({"metadata":{"name":"web","labels":{"a":"1","b":"2"}},"spec":{"replicas":1,"list":[1,2,3]}})";
  const std::vector<std::string> patches = {
      R"([{"op":"remove","path":"/metadata/labels/a"},{"op":"add","path":"/metadata/labels/a","value":"1"},
          {"op":"remove","path":"/nope"}])",
      R"([{"op":"replace","path":"/spec/replicas","value":5},{"op":"add","path":"/spec/list/0","value":0},
          {"op":"move","from":"/spec/list","path":"/moved"},{"op":"test","path":"/moved/0","value":1}])",
      R"([{"op":"add","path":"","value":[]},{"op":"add","path":"/x","value":1}])",
      R"([{"op":"remove","path":"/metadata/name"},{"op":"remove","path":"/spec/list/1"},
          {"op":"add","path":"/spec/list/1","value":9},{"op":"copy","from":"/spec","path":"/metadata/spec"},
          {"op":"replace","path":"/metadata/labels","value":{}},{"op":"add","path":"/metadata/labels/a","value":1},
          {"op":"remove","path":"/metadata/labels/a"},{"op":"test","path":"/x","value":1}])",
      R"([{"op":"move","from":"/spec/list/0","path":"/spec/list/2"},{"op":"move","from":"/metadata","path":"/spec/meta"},
          {"op":"move","from":"/spec/meta/labels/b","path":"/b"},{"op":"remove","path":"/nope"}])",
      // A move whose add fails after its remove happened.
      R"([{"op":"move","from":"/spec/replicas","path":"/missing/replicas"}])",
  };
  for (const std::string& patch : patches) {
    SCOPED_TRACE(patch);
    rapidjson::Document doc = Json(original);
    EXPECT_FALSE(ApplyJsonPatch(Json(patch), &doc).ok());
    EXPECT_EQ(json::Serialize(doc), original);
  }
}

TEST(JsonPatchTest, KeepsMemberOrder) {
  rapidjson::Document doc = Json(R"({"a":1,"b":2,"c":3})");
  ASSERT_TRUE(
      ApplyJsonPatch(
          Json(
              R"([{"op":"remove","path":"/a"},{"op":"replace","path":"/c","value":4},{"op":"add","path":"/d","value":5}])"),
          &doc)
          .ok());
  EXPECT_EQ(json::Serialize(doc), R"({"b":2,"c":4,"d":5})");
}

TEST(JsonPatchTest, ReplaceSetsMissingMemberOption) {
  PatchOptions options;
  options.replace_sets_missing_member = true;
  rapidjson::Document patch = Json(R"([{"op":"replace","path":"/spec/replicas","value":3}])");
  absl::StatusOr<std::vector<PatchOperation>> operations = ParseJsonPatch(patch);
  ASSERT_TRUE(operations.ok());

  rapidjson::Document doc = Json(R"({"spec":{}})");
  ASSERT_TRUE(ApplyPatchOperations(*operations, options, &doc).ok());
  EXPECT_EQ(json::Serialize(doc), R"({"spec":{"replicas":3}})");

  // The parent must still exist, and arrays are not extended.
  rapidjson::Document no_parent = Json(R"({})");
  std::size_t failed = 99;
  absl::Status status = ApplyPatchOperations(*operations, options, &no_parent, &failed);
  EXPECT_EQ(status.message(), "path not found: /spec does not exist");
  EXPECT_EQ(failed, 0u);
  rapidjson::Document array_patch = Json(R"([{"op":"replace","path":"/a/1","value":3}])");
  rapidjson::Document array_doc = Json(R"({"a":[0]})");
  EXPECT_FALSE(ApplyPatchOperations(*ParseJsonPatch(array_patch), options, &array_doc).ok());
}

TEST(JsonPatchTest, DescribeOperations) {
  rapidjson::Document patch = Json(
      R"([{"op":"move","from":"/a","path":"/b"},{"op":"add","path":"","value":1},{"op":"copy","from":"","path":"/c"}])");
  absl::StatusOr<std::vector<PatchOperation>> operations = ParseJsonPatch(patch);
  ASSERT_TRUE(operations.ok()) << operations.status();
  EXPECT_EQ((*operations)[0].Describe(), "move /b from /a");
  EXPECT_EQ((*operations)[1].Describe(), "add \"\"");
  EXPECT_EQ((*operations)[2].Describe(), "copy /c from \"\"");
}

TEST(JsonPatchTest, ValuesOutliveThePatch) {
  rapidjson::Document doc = Json(R"({"a":[]})");
  {
    rapidjson::Document patch = Json(
        R"([{"op":"add","path":"/a/-","value":{"k":"a long string value, not inlined"}}])");
    ASSERT_TRUE(ApplyJsonPatch(patch, &doc).ok());
  }
  EXPECT_EQ(json::Serialize(doc), R"({"a":[{"k":"a long string value, not inlined"}]})");
}

struct MergeCase {
  std::string original;
  std::string patch;
  std::string want;
};

// Every example of RFC 7386 Appendix A, and the example of section 3.
TEST(MergePatchTest, Rfc7386Examples) {
  const std::vector<MergeCase> cases = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
      {R"({"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
           "tags":["example","sample"],"content":"This will be unchanged"})",
       R"({"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},
           "tags":["example"]})",
       R"({"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
           "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})"},
  };
  for (const MergeCase& c : cases) {
    SCOPED_TRACE(c.original + " + " + c.patch);
    rapidjson::Document doc = Json(c.original);
    ASSERT_TRUE(ApplyMergePatch(Json(c.patch), &doc).ok());
    EXPECT_TRUE(json::Equal(doc, Json(c.want)))
        << "got " << json::Serialize(doc) << " want " << c.want;
  }
}

TEST(MergePatchTest, KeepsOrderAndCopiesValues) {
  rapidjson::Document doc = Json(R"({"a":1,"b":{"x":1},"c":3})");
  {
    rapidjson::Document patch =
        Json(R"({"b":{"y":"a string long enough to be heap allocated"},"a":null,"d":4})");
    ASSERT_TRUE(ApplyMergePatch(patch, &doc).ok());
  }
  EXPECT_EQ(json::Serialize(doc),
            R"({"b":{"x":1,"y":"a string long enough to be heap allocated"},"c":3,"d":4})");
}

}  // namespace
}  // namespace kfed::json
