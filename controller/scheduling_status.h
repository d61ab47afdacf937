// What the status API shows of a ReplicaSchedulingPreference (status.proto's
// SchedulingPreference): the scheduling controller's last distribution as a message. Pure.
#ifndef KFED_CONTROLLER_SCHEDULING_STATUS_H_
#define KFED_CONTROLLER_SCHEDULING_STATUS_H_

#include <string>

#include "controller/scheduling_controller.h"
#include "status/status.pb.h"

namespace kfed::controller {

// Clusters: every cluster of the last plan, and every member whose copy was seen, sorted by
// name; a member without a copy has member_known false.
status::v1::SchedulingPreference SchedulingPreferenceStatus(const std::string& ns,
                                                             const std::string& name,
                                                             const RspDistribution& d);

}  // namespace kfed::controller

#endif  // KFED_CONTROLLER_SCHEDULING_STATUS_H_
