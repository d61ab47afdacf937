#include "status/dashboard_assets.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace kfed::status {

const Asset* FindDashboardAsset(absl::string_view path) {
  const Asset* end = kDashboardAssets + kDashboardAssetCount;
  const Asset* it = std::lower_bound(
      kDashboardAssets, end, path, [](const Asset& a, absl::string_view p) { return a.path < p; });
  return it != end && it->path == path ? it : nullptr;
}

absl::string_view ContentTypeFor(absl::string_view path) {
  struct Type {
    absl::string_view extension;
    absl::string_view content_type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Type& t : kTypes) {
    if (absl::EndsWithIgnoreCase(path, t.extension)) return t.content_type;
  }
  return "application/octet-stream";
}

}  // namespace kfed::status
