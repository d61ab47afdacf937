// The dashboard's files (everything under status/dashboard/), embedded in the binary at build
// time by //status:dashboard_assets (embed_assets.cc generates the table), so the controller
// manager serves the page with no files on disk and no network.
#ifndef KFED_STATUS_DASHBOARD_ASSETS_H_
#define KFED_STATUS_DASHBOARD_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace kfed::status {

struct Asset {
  absl::string_view path;          // "/index.html", "/js/app.js": relative to status/dashboard
  absl::string_view content_type;  // by extension: .html .js .css .svg .png .json
  absl::string_view data;
};

// The asset at `path` ("/index.html"), or nullptr when there is none.
const Asset* FindDashboardAsset(absl::string_view path);

// Every asset, sorted by path (generated).
extern const Asset kDashboardAssets[];
extern const size_t kDashboardAssetCount;

// The content type for a file name, by its extension.
absl::string_view ContentTypeFor(absl::string_view path);

}  // namespace kfed::status

#endif  // KFED_STATUS_DASHBOARD_ASSETS_H_
