#include "server/snapshot_restore.h"

#include <filesystem>

#include "mvcc/backend.h"
#include "mvcc/kv_store.h"
#include "mvcc/revision.h"
#include "raft/raftpb/raft.pb.h"
#include "server/bootstrap.h"
#include "server/serverpb/etcdserver.pb.h"
#include "server/snapshot_file.h"
#include "server/url.h"
#include "wal/internal/crc32c.h"
#include "wal/snapshotter.h"
#include "wal/wal.h"

namespace etcd::server {
namespace {

namespace fs = std::filesystem;

// OpenFile's error, with the path for a file that is not a snapshot (etcdctl's words).
absl::Status OpenError(const absl::Status& s, const std::string& path) {
  if (s.message() == "not a snapshot file") {
    return absl::DataLossError("not a snapshot file: " + path);
  }
  return s;
}

bool KnownBucket(uint32_t bucket) {
  switch (static_cast<mvcc::Bucket>(static_cast<char>(bucket))) {
    case mvcc::Bucket::kKey:
    case mvcc::Bucket::kMeta:
    case mvcc::Bucket::kLease:
    case mvcc::Bucket::kMembers:
      return true;
  }
  return false;
}

// Copies the snapshot's records into a new backend at `db_dir` and sets its consistent index to
// `consistent_index`, so that the new cluster's Raft log (which starts after it) applies.
absl::Status WriteBackend(SnapshotDecoder& decoder, const std::string& db_dir,
                          uint64_t consistent_index) {
  auto backend = mvcc::Backend::Open(db_dir);
  if (!backend.ok()) return backend.status();
  peerpb::BackendRecords records;
  while (decoder.Next(&records)) {
    mvcc::WriteBatch batch;
    for (const peerpb::BackendRecord& r : records.records()) {
      if (!KnownBucket(r.bucket())) {
        return absl::DataLossError("snapshot record in unknown bucket " +
                                   std::to_string(r.bucket()));
      }
      batch.Put(static_cast<mvcc::Bucket>(static_cast<char>(r.bucket())), r.key(), r.value());
    }
    if (absl::Status s = (*backend)->Write(batch); !s.ok()) return s;
  }
  if (!decoder.status().ok()) return decoder.status();
  if (absl::Status s = mvcc::WriteConsistentIndex(**backend, consistent_index); !s.ok()) {
    return s;
  }
  return (*backend)->Sync();
}

// The WAL and Raft snapshot of a member of the new cluster: a snapshot at index n (the number
// of members), term 1, whose configuration is every member as a voter and whose data is the
// membership, and a hard state committing it. The member starts from there as if it had
// applied the n configuration entries of a bootstrap (etcd writes those entries too; the
// snapshot makes them unnecessary here, they are never read again).
absl::Status WriteWalAndSnapshot(const NewCluster& cluster, const std::string& wal_dir,
                                 const std::string& snap_dir) {
  const uint64_t index = cluster.members.size();
  const uint64_t term = 1;
  serverpb::WalMetadata metadata;
  metadata.set_member_id(cluster.member_id);
  metadata.set_cluster_id(cluster.cluster_id);
  auto wal = wal::Wal::Create(wal::Env::Default(), wal_dir, metadata.SerializeAsString());
  if (!wal.ok()) return wal.status();

  raftpb::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(index);
  snapshot.mutable_metadata()->set_term(term);
  serverpb::SnapshotData data;
  for (const serverpb::Member& m : cluster.members) {
    snapshot.mutable_metadata()->mutable_conf_state()->add_voters(m.id());
    *data.add_members() = m;
  }
  snapshot.set_data(data.SerializeAsString());

  raftpb::HardState state;
  state.set_term(term);
  state.set_vote(cluster.members.front().id());
  state.set_commit(index);
  if (absl::Status s = (*wal)->Save(state, {}); !s.ok()) return s;
  wal::Snapshotter snapshotter(wal::Env::Default(), snap_dir);
  if (absl::Status s = snapshotter.SaveSnap(snapshot); !s.ok()) return s;
  if (absl::Status s = (*wal)->SaveSnapshot({index, term}); !s.ok()) return s;
  return (*wal)->Close();
}

}  // namespace

absl::Status RestoreSnapshot(const RestoreOptions& options) {
  std::vector<std::string> advertised;
  for (const std::string& u : options.initial_advertise_peer_urls) {
    auto url = ParseUrl(u);
    if (!url.ok()) return url.status();
    advertised.push_back(url->ToString());
  }
  auto cluster = NewClusterMembership(options.name, options.initial_cluster,
                                      options.initial_cluster_token, advertised);
  if (!cluster.ok()) return cluster.status();

  const std::string data_dir = options.data_dir.empty() ? options.name + ".etcd" : options.data_dir;
  std::error_code ec;
  if (fs::exists(data_dir, ec)) {
    return absl::AlreadyExistsError("data-dir \"" + data_dir + "\" exists");
  }
  std::string wal_dir = options.wal_dir;
  if (wal_dir.empty()) {
    wal_dir = (fs::path(data_dir) / "member" / "wal").string();
  } else if (fs::exists(wal_dir, ec)) {
    return absl::AlreadyExistsError("wal-dir \"" + wal_dir + "\" exists");
  }
  const std::string snap_dir = (fs::path(data_dir) / "member" / "snap").string();

  auto decoder = SnapshotDecoder::OpenFile(
      options.snapshot_path, options.skip_hash_check ? HashCheck::kSkip : HashCheck::kRequired);
  if (!decoder.ok()) return OpenError(decoder.status(), options.snapshot_path);

  fs::create_directories(snap_dir, ec);
  if (ec) return absl::InternalError("cannot create " + snap_dir + ": " + ec.message());
  absl::Status s = WriteBackend(**decoder, (fs::path(snap_dir) / "db").string(),
                                cluster->members.size());
  if (s.ok()) s = WriteWalAndSnapshot(*cluster, wal_dir, snap_dir);
  if (!s.ok()) {
    fs::remove_all(data_dir, ec);
    if (!options.wal_dir.empty()) fs::remove_all(wal_dir, ec);
  }
  return s;
}

absl::StatusOr<SnapshotFileStatus> ReadSnapshotStatus(const std::string& path) {
  auto decoder = SnapshotDecoder::OpenFile(path);
  if (!decoder.ok()) {
    // etcdctl stats the file first.
    if (absl::IsNotFound(decoder.status())) {
      return absl::NotFoundError("stat " + path + ": no such file or directory");
    }
    return OpenError(decoder.status(), path);
  }
  SnapshotFileStatus status;
  status.total_size = static_cast<int64_t>((*decoder)->file_size());
  peerpb::BackendRecords records;
  while ((*decoder)->Next(&records)) {
    for (const peerpb::BackendRecord& r : records.records()) {
      const char bucket = static_cast<char>(r.bucket());
      status.hash = wal::crc32c::Extend(status.hash, &bucket, 1);
      status.hash = wal::crc32c::Extend(status.hash, r.key().data(), r.key().size());
      status.hash = wal::crc32c::Extend(status.hash, r.value().data(), r.value().size());
      if (static_cast<mvcc::Bucket>(bucket) == mvcc::Bucket::kKey) {
        if (auto rev = mvcc::DecodeRevision(r.key())) status.revision = rev->rev.main;
      }
      ++status.total_keys;
    }
  }
  if (!(*decoder)->status().ok()) return (*decoder)->status();
  return status;
}

}  // namespace etcd::server
