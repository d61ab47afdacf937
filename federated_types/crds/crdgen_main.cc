// kfed-crdgen: writes the Federated<Kind> CRD and FederatedTypeConfig for a target type.
//
//   kfed-crdgen --openapi apps_v1.json --group apps --version v1 --kind Deployment
//     --plural deployments --short-name deploy > federateddeployments.yaml
//   kfed-crdgen --crd widgets-crd.yaml -o federatedwidgets.yaml
//   kfed-crdgen --default-types --openapi-dir testdata/openapi --out-dir generated
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/yaml_json.h"
#include "federated_types/crds/crdgen.h"

namespace {

using kfed::federated_types::SchemaOptions;
using kfed::federated_types::SchemaStats;
using kfed::federated_types::TargetType;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::Status WriteOutput(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return absl::OkStatus();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

void ReportCuts(const TargetType& t, const SchemaStats& s) {
  if (s.cycles + s.depth_cuts + s.budget_cuts + s.unresolved_refs == 0) return;
  std::cerr << "kfed-crdgen: " << t.QualifiedName() << ": " << s.cycles
            << " recursive reference(s), " << s.depth_cuts << " field(s) past the depth limit, "
            << s.budget_cuts << " past the size budget, " << s.unresolved_refs
            << " unresolved reference(s) accept any value (x-kubernetes-preserve-unknown-fields)\n";
}

int Fail(const absl::Status& status) {
  std::cerr << "kfed-crdgen: " << status.message() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Generates the types.kubefed.io/v1beta1 Federated<Kind> CRD and the FederatedTypeConfig for "
      "a "
      "target type, from the target's OpenAPI v3 document (GET /openapi/v3/apis/<group>/<version>, "
      "or /openapi/v3/api/v1 for the core group) or from its CRD. Writes one YAML stream: the CRD, "
      "then the FederatedTypeConfig.",
      "kfed-crdgen"};
  std::string openapi_file, crd_file, output, openapi_dir, out_dir;
  TargetType target;
  std::string scope = "Namespaced";
  bool default_types = false, no_descriptions = false, list_openapi_paths = false;
  SchemaOptions options;
  app.add_option("--openapi", openapi_file,
                 "OpenAPI v3 document (JSON) holding the target's schema");
  app.add_option("--crd", crd_file, "the target's CustomResourceDefinition (YAML or JSON)");
  app.add_option("--group", target.group, "target API group (empty for the core group)");
  app.add_option("--version", target.version,
                 "target API version (with --crd: default the storage version)");
  app.add_option("--kind", target.kind, "target kind, e.g. Deployment");
  app.add_option("--plural", target.plural, "target plural resource name, e.g. deployments");
  app.add_option("--scope", scope, "target scope")->check(CLI::IsMember({"Namespaced", "Cluster"}));
  app.add_option(
      "--short-name", target.short_names,
      "a short name of the target (repeatable); the federated type gets it with an f prefix");
  app.add_option("-o,--output", output, "output file (default stdout)");
  app.add_flag(
      "--default-types", default_types,
      "generate the ten types KubeFed enables by default into --out-dir, reading the OpenAPI "
      "documents from --openapi-dir");
  app.add_flag("--list-openapi-paths", list_openapi_paths,
               "print the OpenAPI v3 paths (after /openapi/v3/) --default-types reads, one a line, "
               "with the file name each is saved as");
  app.add_option("--openapi-dir", openapi_dir,
                 "with --default-types: directory of saved OpenAPI documents");
  app.add_option("--out-dir", out_dir, "with --default-types: output directory");
  app.add_option("--max-depth", options.max_depth, "deepest schema nesting kept in the template")
      ->capture_default_str();
  app.add_option("--max-nodes", options.max_nodes, "most schema nodes kept in the template")
      ->capture_default_str();
  app.add_flag("--no-descriptions", no_descriptions,
               "leave field descriptions out of the template");
  CLI11_PARSE(app, argc, argv);
  options.descriptions = !no_descriptions;
  target.namespaced = scope == "Namespaced";

  if (list_openapi_paths) {
    std::vector<std::string> seen;
    for (const auto& d : kfed::federated_types::DefaultTypes()) {
      if (std::find(seen.begin(), seen.end(), d.openapi_path) != seen.end()) continue;
      seen.push_back(d.openapi_path);
      std::cout << d.openapi_path << " " << kfed::federated_types::OpenApiFileName(d.openapi_path)
                << "\n";
    }
    return 0;
  }

  if (default_types) {
    if (openapi_dir.empty() || out_dir.empty()) {
      return Fail(absl::InvalidArgumentError("--default-types needs --openapi-dir and --out-dir"));
    }
    for (const auto& d : kfed::federated_types::DefaultTypes()) {
      std::string path =
          absl::StrCat(openapi_dir, "/", kfed::federated_types::OpenApiFileName(d.openapi_path));
      auto text = ReadFile(path);
      if (!text.ok()) return Fail(text.status());
      auto doc = kfed::json::Parse(*text);
      if (!doc.ok())
        return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", doc.status().message())));
      auto t = kfed::federated_types::TemplateSchemaFromOpenApi(*doc, d.target, options);
      if (!t.ok())
        return Fail(absl::InvalidArgumentError(absl::StrCat(path, ": ", t.status().message())));
      ReportCuts(d.target, t->stats);
      std::string out = absl::StrCat(out_dir, "/", d.target.QualifiedName(), ".yaml");
      if (auto s = WriteOutput(out, kfed::federated_types::RenderYaml(d.target, t->schema));
          !s.ok()) {
        return Fail(s);
      }
      std::cerr << "kfed-crdgen: wrote " << out << "\n";
    }
    return 0;
  }

  if (openapi_file.empty() == crd_file.empty()) {
    return Fail(absl::InvalidArgumentError(
        "give exactly one of --openapi, --crd or --default-types (see --help)"));
  }
  absl::StatusOr<kfed::federated_types::TemplateSchema> schema;
  if (!crd_file.empty()) {
    auto text = ReadFile(crd_file);
    if (!text.ok()) return Fail(text.status());
    auto crd = kfed::yaml::ParseYaml(*text);
    if (!crd.ok())
      return Fail(absl::InvalidArgumentError(absl::StrCat(crd_file, ": ", crd.status().message())));
    auto from_crd = kfed::federated_types::TargetTypeFromCrd(*crd, target.version);
    if (!from_crd.ok())
      return Fail(
          absl::InvalidArgumentError(absl::StrCat(crd_file, ": ", from_crd.status().message())));
    if (!target.short_names.empty()) from_crd->short_names = target.short_names;
    target = *from_crd;
    schema = kfed::federated_types::TemplateSchemaFromCrd(*crd, target, options);
  } else {
    if (target.version.empty() || target.kind.empty() || target.plural.empty()) {
      return Fail(
          absl::InvalidArgumentError("--openapi needs --version, --kind and --plural (and --group "
                                     "unless the target is in the core group)"));
    }
    auto text = ReadFile(openapi_file);
    if (!text.ok()) return Fail(text.status());
    auto doc = kfed::json::Parse(*text);
    if (!doc.ok())
      return Fail(
          absl::InvalidArgumentError(absl::StrCat(openapi_file, ": ", doc.status().message())));
    schema = kfed::federated_types::TemplateSchemaFromOpenApi(*doc, target, options);
  }
  if (!schema.ok()) return Fail(schema.status());
  ReportCuts(target, schema->stats);
  if (auto s = WriteOutput(output, kfed::federated_types::RenderYaml(target, schema->schema));
      !s.ok()) {
    return Fail(s);
  }
  return 0;
}
