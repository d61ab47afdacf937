// kfed-jsonpatch: applies a JSON Patch (RFC 6902), a JSON Merge Patch (RFC 7386) or the
// KubeFed-style overrides of one cluster to a JSON document, for previewing overrides and
// for tests. The result goes to stdout; errors go to stderr with a non-zero exit.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/json_patch.h"
#include "overrides/overrides.h"
#include "rapidjson/document.h"

namespace {

constexpr char kExamples[] = R"(
Examples:
  # Apply an RFC 6902 patch to deployment.json:
  echo '[{"op": "replace", "path": "/spec/replicas", "value": 3}]' > patch.json
  kfed-jsonpatch --patch patch.json deployment.json

  # Merge patch (RFC 7386), document from stdin:
  echo '{"metadata": {"labels": {"tier": "gold"}}}' > merge.json
  kubectl get deploy web -o json | kfed-jsonpatch --merge --patch merge.json

  # Preview what cluster member2 receives from a FederatedDeployment's overrides
  # (FILE holds the spec.overrides array or the whole federated object):
  kfed-jsonpatch --overrides federated-deployment.json --cluster member2 template.json

Exit status: 0 on success, 1 when an input cannot be read or parsed or the patch does not
apply (the message on stderr says which operation failed and why).)";

// Reads `path`, or stdin for "-".
absl::StatusOr<std::string> ReadInput(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    if (std::cin.bad()) return absl::UnavailableError("cannot read stdin");
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<rapidjson::Document> ReadJson(const std::string& what, const std::string& path) {
  absl::StatusOr<std::string> text = ReadInput(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<rapidjson::Document> doc = kfed::json::Parse(*text);
  if (!doc.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path == "-" ? "(stdin)" : path, ": ", doc.status().message()));
  }
  return doc;
}

int Fail(const absl::Status& status) {
  std::cerr << "kfed-jsonpatch: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "Applies a JSON Patch (RFC 6902), a JSON Merge Patch (RFC 7386) or the KubeFed\n"
      "overrides of one cluster to a JSON document and prints the result.",
      "kfed-jsonpatch");
  std::string patch_file;
  std::string overrides_file;
  std::string cluster;
  std::string document_file = "-";
  bool merge = false;
  bool compact = false;
  CLI::Option* patch_option =
      app.add_option("--patch", patch_file, "JSON Patch file (- for stdin)")->type_name("FILE");
  CLI::Option* overrides_option =
      app.add_option("--overrides", overrides_file,
                     "spec.overrides array, or a federated object holding one (- for stdin)")
          ->type_name("FILE");
  CLI::Option* cluster_option =
      app.add_option("--cluster", cluster, "cluster whose overrides to apply")->type_name("NAME");
  CLI::Option* merge_flag =
      app.add_flag("--merge", merge, "the --patch file is an RFC 7386 merge patch");
  app.add_flag("--compact", compact, "print the result on one line");
  app.add_option("document", document_file, "JSON document (default or - for stdin)")
      ->type_name("DOCUMENT_FILE");
  patch_option->excludes(overrides_option);
  merge_flag->needs(patch_option);
  overrides_option->needs(cluster_option);
  cluster_option->needs(overrides_option);
  app.footer(kExamples);
  CLI11_PARSE(app, argc, argv);

  if (patch_file.empty() && overrides_file.empty()) {
    std::cerr << "kfed-jsonpatch: one of --patch or --overrides is required\n"
              << "Run with --help for more information.\n";
    return 1;
  }
  const std::string& input_file = patch_file.empty() ? overrides_file : patch_file;
  if (input_file == "-" && document_file == "-") {
    return Fail(
        absl::InvalidArgumentError("the patch and the document cannot both come from stdin"));
  }

  absl::StatusOr<rapidjson::Document> document = ReadJson("document", document_file);
  if (!document.ok()) return Fail(document.status());
  absl::StatusOr<rapidjson::Document> input =
      ReadJson(patch_file.empty() ? "overrides" : "patch", input_file);
  if (!input.ok()) return Fail(input.status());

  absl::Status status;
  if (!overrides_file.empty()) {
    const rapidjson::Value* overrides = &*input;
    if (input->IsObject()) {
      overrides = kfed::json::FindPath(*input, {"spec", "overrides"});
      if (overrides == nullptr) {
        return Fail(absl::InvalidArgumentError(
            absl::StrCat("overrides ", overrides_file, ": object has no spec.overrides")));
      }
    }
    status = kfed::overrides::ApplyClusterOverrides(*overrides, cluster, &*document);
  } else if (merge) {
    status = kfed::json::ApplyMergePatch(*input, &*document);
  } else {
    status = kfed::json::ApplyJsonPatch(*input, &*document);
  }
  if (!status.ok()) return Fail(status);

  std::cout << (compact ? kfed::json::Serialize(*document) : kfed::json::SerializePretty(*document))
            << "\n";
  return std::cout.good() ? 0 : 1;
}
