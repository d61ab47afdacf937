#include "kube/leader_election.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/logging.h"
#include "base/status_macros.h"
#include "kube/errors.h"
#include "kube/backoff.h"
#include "kube/watch.h"

namespace kfed::kube {

std::string FormatMicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(Client& client,
                                                                     LeaderElectionConfig config,
                                                                     Clock& clock) {
  if (config.lease_name.empty() || config.lease_namespace.empty()) {
    return absl::InvalidArgumentError("leader election: lease name and namespace are required");
  }
  if (config.identity.empty()) return absl::InvalidArgumentError("leader election: identity is required");
  if (!(config.lease_duration > config.renew_deadline)) {
    return absl::InvalidArgumentError("leader election: lease_duration must be greater than renew_deadline");
  }
  if (!(config.renew_deadline > config.retry_period) || config.retry_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("leader election: renew_deadline must be greater than retry_period > 0");
  }
  return std::unique_ptr<LeaderElector>(new LeaderElector(client, std::move(config), clock));
}

LeaderElector::LeaderElector(Client& client, LeaderElectionConfig config, Clock& clock)
    : client_(client), config_(std::move(config)), clock_(clock) {}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leader_;
}

std::string LeaderElector::Leader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

void LeaderElector::Observe(const std::string& holder, const std::string& renew_time) {
  bool new_leader = false;
  {
    absl::MutexLock lock(&mu_);
    if (holder != observed_holder_ || renew_time != observed_renew_) {
      new_leader = holder != observed_holder_;
      observed_holder_ = holder;
      observed_renew_ = renew_time;
      observed_time_ = clock_.Now();
    }
  }
  if (new_leader && !holder.empty() && config_.on_new_leader) config_.on_new_leader(holder);
}

namespace {

// client-go's LeaderElectionRecord times are metav1.Time: RFC 3339, whole seconds.
std::string FormatRecordTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<LeaderElector::Secondary> LeaderElector::GetSecondary() {
  Secondary out;
  if (!config_.also_hold.has_value()) return out;
  const AnnotationLock& lock = *config_.also_hold;
  absl::StatusOr<ObjectPtr> got = client_.Get(lock.gvr, lock.ns, lock.name);
  if (kube::IsNotFound(got.status())) return out;
  if (!got.ok()) return got.status();
  out.exists = true;
  out.object = *got;
  const rapidjson::Value* annotations = json::FindPath(**got, {"metadata", "annotations"});
  if (annotations == nullptr || !annotations->IsObject()) return out;
  out.raw = json::GetString(*annotations, kLeaderAnnotation);
  if (out.raw.empty()) return out;
  absl::StatusOr<rapidjson::Document> record = json::Parse(out.raw);
  if (!record.ok() || !record->IsObject()) return out;  // unreadable: as if free
  out.holder = json::GetString(*record, "holderIdentity");
  if (const rapidjson::Value* t = json::Find(*record, "leaderTransitions"); t && t->IsInt64()) {
    out.transitions = t->GetInt64();
  }
  return out;
}

absl::Status LeaderElector::WriteSecondary(const Secondary& current, const std::string& holder,
                                           absl::Time now, bool acquired) {
  const AnnotationLock& lock = *config_.also_hold;
  rapidjson::Document record(rapidjson::kObjectType);
  auto& ra = record.GetAllocator();
  json::SetString(record, "holderIdentity", holder, ra);
  record.AddMember("leaseDurationSeconds",
                   holder.empty() ? int64_t{1} : absl::ToInt64Seconds(config_.lease_duration), ra);
  json::SetString(record, "acquireTime", FormatRecordTime(now), ra);
  json::SetString(record, "renewTime", FormatRecordTime(now), ra);
  record.AddMember("leaderTransitions",
                   acquired && !current.holder.empty() ? current.transitions + 1
                                                       : current.transitions,
                   ra);
  if (!acquired && !holder.empty()) {
    // A renewal keeps the acquire time it had.
    absl::StatusOr<rapidjson::Document> old = json::Parse(current.raw);
    if (old.ok() && old->IsObject()) {
      const std::string at = json::GetString(*old, "acquireTime");
      if (!at.empty()) json::SetString(record, "acquireTime", at, ra);
    }
  }
  const std::string text = json::Serialize(record);
  if (!current.exists) {
    rapidjson::Document object(rapidjson::kObjectType);
    auto& a = object.GetAllocator();
    json::SetString(object, "apiVersion", lock.gvr.ApiVersion(), a);
    json::SetString(object, "kind", lock.gvr.kind, a);
    rapidjson::Value& meta = json::EnsureObject(object, "metadata", a);
    json::SetString(meta, "name", lock.name, a);
    json::SetString(meta, "namespace", lock.ns, a);
    json::SetString(json::EnsureObject(meta, "annotations", a), kLeaderAnnotation, text, a);
    return client_.Create(lock.gvr, lock.ns, object, WriteOptions()).status();
  }
  rapidjson::Document object;
  object.CopyFrom(*current.object, object.GetAllocator());
  auto& a = object.GetAllocator();
  rapidjson::Value& meta = json::EnsureObject(object, "metadata", a);
  json::SetString(json::EnsureObject(meta, "annotations", a), kLeaderAnnotation, text, a);
  // Conditional on the resourceVersion read: a concurrent writer makes this a conflict.
  return client_.Update(lock.gvr, lock.ns, object, WriteOptions()).status();
}

absl::Status LeaderElector::TryAcquireOrRenew() {
  const GroupVersionResource leases = LeasesResource();
  absl::Time now = clock_.Now();
  std::string now_text = FormatMicroTime(now);
  int64_t duration_s = absl::ToInt64Seconds(config_.lease_duration);
  absl::StatusOr<Secondary> secondary = GetSecondary();
  if (!secondary.ok()) return secondary.status();
  absl::StatusOr<ObjectPtr> current = client_.Get(leases, config_.lease_namespace, config_.lease_name);
  if (kube::IsNotFound(current.status()) && !secondary->holder.empty() &&
      secondary->holder != config_.identity) {
    // No Lease, but the second lock names someone (e.g. KubeFed): wait for it to expire.
    Observe(secondary->holder, secondary->raw);
    absl::MutexLock lock(&mu_);
    if (observed_time_ + config_.lease_duration > now) {
      return absl::FailedPreconditionError(
          absl::StrCat("lock ", config_.also_hold->gvr.resource, "/", config_.also_hold->name,
                       " held by ", secondary->holder));
    }
  }
  if (kube::IsNotFound(current.status())) {
    rapidjson::Document lease(rapidjson::kObjectType);
    auto& a = lease.GetAllocator();
    json::SetString(lease, "apiVersion", "coordination.k8s.io/v1", a);
    json::SetString(lease, "kind", "Lease", a);
    rapidjson::Value& meta = json::EnsureObject(lease, "metadata", a);
    json::SetString(meta, "name", config_.lease_name, a);
    json::SetString(meta, "namespace", config_.lease_namespace, a);
    rapidjson::Value& spec = json::EnsureObject(lease, "spec", a);
    json::SetString(spec, "holderIdentity", config_.identity, a);
    spec.AddMember("leaseDurationSeconds", duration_s, a);
    json::SetString(spec, "acquireTime", now_text, a);
    json::SetString(spec, "renewTime", now_text, a);
    spec.AddMember("leaseTransitions", 0, a);
    absl::StatusOr<ObjectPtr> created = client_.Create(leases, config_.lease_namespace, lease, WriteOptions());
    if (!created.ok()) return created.status();
    if (config_.also_hold.has_value()) {
      RETURN_IF_ERROR(WriteSecondary(*secondary, config_.identity, now, /*acquired=*/true));
    }
    Observe(config_.identity, now_text);
    return absl::OkStatus();
  }
  if (!current.ok()) return current.status();
  const rapidjson::Value* spec = json::Find(**current, "spec");
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  if (spec == nullptr) spec = &kEmpty;
  std::string holder = json::GetString(*spec, "holderIdentity");
  std::string renew = json::GetString(*spec, "renewTime");
  if (config_.also_hold.has_value()) {
    // As client-go's MultiLock: different holders make the leader unknown (someone else
    // holds one of them), and any change of either record counts as a renewal.
    if (!secondary->holder.empty() && secondary->holder != holder) {
      holder = holder == config_.identity ? secondary->holder : "unknown:" + secondary->holder;
    }
    renew = absl::StrCat(renew, "|", secondary->raw);
  }
  Observe(holder, renew);
  int64_t held_for = duration_s;
  if (const rapidjson::Value* d = json::Find(*spec, "leaseDurationSeconds"); d && d->IsInt64()) {
    held_for = d->GetInt64();
  }
  if (!holder.empty() && holder != config_.identity) {
    absl::MutexLock lock(&mu_);
    if (observed_time_ + absl::Seconds(held_for) > now) {
      return absl::FailedPreconditionError(absl::StrCat("lease held by ", holder));
    }
  }
  rapidjson::Document lease;
  lease.CopyFrom(**current, lease.GetAllocator());
  auto& a = lease.GetAllocator();
  rapidjson::Value& s = json::EnsureObject(lease, "spec", a);
  int64_t transitions = 0;
  if (const rapidjson::Value* t = json::Find(s, "leaseTransitions"); t && t->IsInt64()) {
    transitions = t->GetInt64();
  }
  if (holder != config_.identity) {
    json::SetString(s, "acquireTime", now_text, a);
    json::Remove(s, "leaseTransitions");
    s.AddMember("leaseTransitions", holder.empty() && transitions == 0 ? transitions : transitions + 1, a);
  }
  json::SetString(s, "holderIdentity", config_.identity, a);
  json::Remove(s, "leaseDurationSeconds");
  s.AddMember("leaseDurationSeconds", duration_s, a);
  json::SetString(s, "renewTime", now_text, a);
  absl::StatusOr<ObjectPtr> updated = client_.Update(leases, config_.lease_namespace, lease, WriteOptions());
  if (!updated.ok()) return updated.status();
  if (config_.also_hold.has_value()) {
    RETURN_IF_ERROR(WriteSecondary(*secondary, config_.identity, now,
                                   /*acquired=*/secondary->holder != config_.identity));
  }
  Observe(config_.identity, now_text);
  return absl::OkStatus();
}

void LeaderElector::Release() {
  const GroupVersionResource leases = LeasesResource();
  absl::StatusOr<ObjectPtr> current = client_.Get(leases, config_.lease_namespace, config_.lease_name);
  if (!current.ok()) {
    LOG(WARNING) << "leader election: release: " << current.status();
    return;
  }
  const rapidjson::Value* spec = json::Find(**current, "spec");
  if (spec == nullptr || json::GetString(*spec, "holderIdentity") != config_.identity) return;
  rapidjson::Document lease;
  lease.CopyFrom(**current, lease.GetAllocator());
  auto& a = lease.GetAllocator();
  rapidjson::Value& s = json::EnsureObject(lease, "spec", a);
  json::SetString(s, "holderIdentity", "", a);
  json::Remove(s, "leaseDurationSeconds");
  s.AddMember("leaseDurationSeconds", 1, a);
  json::SetString(s, "renewTime", FormatMicroTime(clock_.Now()), a);
  absl::Status st = client_.Update(leases, config_.lease_namespace, lease, WriteOptions()).status();
  if (!st.ok()) LOG(WARNING) << "leader election: release: " << st;
  if (config_.also_hold.has_value()) {
    absl::StatusOr<Secondary> secondary = GetSecondary();
    if (secondary.ok() && secondary->holder == config_.identity) {
      st = WriteSecondary(*secondary, "", clock_.Now(), /*acquired=*/false);
    } else {
      st = secondary.status();
    }
    if (!st.ok()) LOG(WARNING) << "leader election: release: " << st;
  }
}

void LeaderElector::Run(const CancellationToken* stop) {
  const std::string who = absl::StrCat("leader election ", config_.lease_namespace, "/",
                                       config_.lease_name, " (", config_.identity, ")");
  // Campaign.
  Backoff jitter(config_.retry_period, config_.retry_period);
  for (;;) {
    if (stop != nullptr && stop->IsCancelled()) return;
    absl::Status s = TryAcquireOrRenew();
    if (s.ok()) break;
    if (s.code() != absl::StatusCode::kFailedPrecondition) VLOG(1) << who << ": " << s;
    if (!SleepUnlessCancelled(clock_, jitter.Next(), stop)) return;
  }
  LOG(INFO) << who << ": became leader";
  {
    absl::MutexLock lock(&mu_);
    leader_ = true;
  }
  if (config_.on_started_leading) config_.on_started_leading();
  // Lead: renew every retry_period; give up after renew_deadline without a renewal.
  absl::Time last_renew = clock_.Now();
  bool stopped = false;
  for (;;) {
    if (!SleepUnlessCancelled(clock_, config_.retry_period, stop)) {
      stopped = true;
      break;
    }
    absl::Status s = TryAcquireOrRenew();
    if (s.ok()) {
      last_renew = clock_.Now();
      continue;
    }
    LOG(WARNING) << who << ": renew failed: " << s;
    if (clock_.Now() - last_renew >= config_.renew_deadline) break;
  }
  {
    absl::MutexLock lock(&mu_);
    leader_ = false;
  }
  if (stopped && config_.release_on_cancel) Release();
  LOG(INFO) << who << ": " << (stopped ? "stopped leading (shutdown)" : "lost the lease");
  if (config_.on_stopped_leading) config_.on_stopped_leading();
}

}  // namespace kfed::kube
