#include "controller/cluster_key_feed.h"

#include <string>

namespace kfed::controller {

void ClusterKeyFeed::Start() {
  listener_ = registry_.AddListener([this](const std::string& cluster) { pool_.Add(cluster); });
  for (const auto& member : registry_.Snapshot()) pool_.Add(member->name);
  pool_.Start();
}

void ClusterKeyFeed::Stop() {
  if (listener_ >= 0) {
    registry_.RemoveListener(listener_);
    listener_ = -1;
  }
  pool_.Stop();
}

}  // namespace kfed::controller
