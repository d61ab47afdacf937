#include "controller/member_table.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "kube/client_fake.h"

namespace kfed::controller {
namespace {

struct Entry {
  uint64_t client_generation = 0;
  std::shared_ptr<kube::Client> client;
  int serial = 0;  // which make() built it
};

class MemberTableTest : public ::testing::Test {
 protected:
  // The registry's view of member "m1": with a client of `generation`, or without a client.
  MemberCluster Member(uint64_t generation, bool with_client = true) {
    MemberCluster m;
    m.name = "m1";
    m.ready = true;
    m.client_generation = generation;
    if (with_client) m.client = client_;
    return m;
  }
  MemberTableChange<Entry> Sync(const MemberCluster* member) {
    return SyncMemberEntry(table_, "m1", member, [this] {
      auto e = std::make_shared<Entry>();
      e->serial = ++made_;
      return e;
    });
  }

  std::shared_ptr<kube::Client> client_ = std::make_shared<kube::FakeClient>();
  MemberTable<Entry> table_;
  int made_ = 0;
};

// The rule, one step per row: what the registry says of m1, and what the table does.
TEST_F(MemberTableTest, FollowsTheRegistry) {
  struct Row {
    const char* what;
    bool in_registry;
    bool with_client;
    uint64_t generation;
    bool want_current;
    bool want_created;
    int want_removed_serial;  // 0: nothing removed
    int want_current_serial;  // 0: no current entry
  } rows[] = {
      {"first sight: a fresh entry", true, true, 1, true, true, 0, 1},
      {"same client: kept as it is", true, true, 1, true, false, 0, 1},
      {"new credentials: replaced, the old one handed back", true, true, 2, true, true, 1, 2},
      {"client unreadable (ConfigMalformed): removed", true, false, 2, false, false, 2, 0},
      {"still without a client: nothing to remove", true, false, 2, false, false, 0, 0},
      {"back with a client: a fresh entry", true, true, 3, true, true, 0, 3},
      {"unjoined: removed", false, false, 0, false, false, 3, 0},
      {"still gone: nothing to do", false, false, 0, false, false, 0, 0},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    MemberCluster m = Member(row.generation, row.with_client);
    MemberTableChange<Entry> change = Sync(row.in_registry ? &m : nullptr);
    EXPECT_EQ(change.current != nullptr, row.want_current);
    EXPECT_EQ(change.created, row.want_created);
    EXPECT_EQ(change.removed == nullptr ? 0 : change.removed->serial, row.want_removed_serial);
    EXPECT_EQ(change.current == nullptr ? 0 : change.current->serial, row.want_current_serial);
    EXPECT_EQ(table_.count("m1"), row.want_current ? 1u : 0u);
    if (change.current != nullptr) {
      EXPECT_EQ(change.current, table_.at("m1"));
      EXPECT_EQ(change.current->client, client_);
      EXPECT_EQ(change.current->client_generation, row.generation);
    }
  }
}

}  // namespace
}  // namespace kfed::controller
