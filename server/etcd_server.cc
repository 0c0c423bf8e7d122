#include "server/etcd_server.h"

#include <glog/logging.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iterator>
#include <system_error>

#include "raft/raftpb/raft.pb.h"
#include "absl/strings/str_join.h"
#include "server/errors.h"
#include "server/member_id.h"
#include "server/url.h"
#include "server/raft_glog.h"
#include "server/request_check.h"
#include "server/snapshot_file.h"
#include "server/watch_session.h"
#include "mvcc/revision.h"
#include "wal/internal/crc32c.h"

namespace etcd::server {
namespace {

namespace fs = std::filesystem;

// How long a linearizable read waits for its read index before the request is sent again.
constexpr auto kReadIndexRetry = std::chrono::milliseconds(500);

// A member alone in its cluster snapshots at least this often (entries), to keep its Raft
// log, which it holds in memory, small: its snapshots are cheap (a backend sync and a small
// file), and no follower can need the entries.
constexpr uint64_t kAloneSnapshotEvery = 10000;

// How long a peer must have been connected to count as healthy for a membership change
// (etcd's HealthInterval).
constexpr auto kHealthInterval = std::chrono::seconds(5);

std::string MemberDir(const std::string& data_dir) { return (fs::path(data_dir) / "member").string(); }

// The size of a directory tree in bytes (the backend's size on disk).
int64_t DirectorySize(const std::string& dir) {
  std::error_code ec;
  int64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

// A snapshot's backend as chunks of about 1 MiB of records (peerpb::BackendRecords).
class BackendSnapshotSource final : public transport::SnapshotSource {
 public:
  explicit BackendSnapshotSource(std::unique_ptr<mvcc::BackendReader> reader)
      : reader_(std::move(reader)) {}
  bool Next(std::string* chunk) override {
    peerpb::BackendRecords records;
    return ReadRecords(*reader_, kChunkBytes, &records) && records.SerializeToString(chunk);
  }
  absl::Status status() const override { return reader_->status(); }

 private:
  static constexpr size_t kChunkBytes = 1 << 20;
  std::unique_ptr<mvcc::BackendReader> reader_;
};

std::unique_ptr<transport::SnapshotSource> NewBackendSnapshotSource(
    std::unique_ptr<mvcc::BackendReader> reader) {
  return std::make_unique<BackendSnapshotSource>(std::move(reader));
}

// Receives a snapshot's backend into a fresh database beside the member's (<dir>.tmp), and on
// Finish makes it durable under its final name (<dir>) and delivers the MsgSnap to Raft.
class SnapshotDbSink final : public transport::SnapshotSink {
 public:
  // `install_mu` serializes putting a database in place (Finish) with installing it
  // (EtcdServer::ApplySnapshot), which may race for the same index.
  static absl::StatusOr<std::unique_ptr<SnapshotDbSink>> Open(
      std::string dir, raftpb::Message m, std::mutex* install_mu,
      absl::AnyInvocable<void(raftpb::Message) &&> deliver) {
    // Each transfer builds its own database: two transfers of the same index (a resend) must
    // not write into one another.
    static std::atomic<uint64_t> next_transfer{0};
    const std::string tmp = dir + ".tmp." + std::to_string(next_transfer.fetch_add(1));
    std::error_code ec;
    fs::remove_all(tmp, ec);
    auto backend = mvcc::Backend::Open(tmp);
    if (!backend.ok()) return backend.status();
    return std::unique_ptr<SnapshotDbSink>(new SnapshotDbSink(
        std::move(dir), tmp, std::move(*backend), std::move(m), install_mu, std::move(deliver)));
  }

  ~SnapshotDbSink() override {
    if (backend_ != nullptr) {  // not finished: leave nothing behind
      backend_.reset();
      std::error_code ec;
      fs::remove_all(tmp_, ec);
    }
  }

  absl::Status Write(std::string_view chunk) override {
    peerpb::BackendRecords records;
    if (!records.ParseFromArray(chunk.data(), static_cast<int>(chunk.size()))) {
      return absl::DataLossError("undecodable snapshot chunk");
    }
    mvcc::WriteBatch batch;
    for (const peerpb::BackendRecord& r : records.records()) {
      const auto bucket = static_cast<mvcc::Bucket>(static_cast<char>(r.bucket()));
      if (bucket != mvcc::Bucket::kKey && bucket != mvcc::Bucket::kMeta &&
          bucket != mvcc::Bucket::kLease && bucket != mvcc::Bucket::kMembers) {
        return absl::DataLossError("snapshot record in unknown bucket " +
                                   std::to_string(r.bucket()));
      }
      batch.Put(bucket, r.key(), r.value());
    }
    return backend_->Write(batch);
  }

  absl::Status Finish() override {
    // The database may hold entries past the snapshot's index, never fewer: its consistent
    // index says where its history ends, and installing the snapshot must not go back.
    const uint64_t index = m_.snapshot().metadata().index();
    auto ci = mvcc::ReadConsistentIndex(*backend_);
    if (!ci.ok()) return ci.status();
    if (*ci < index) {
      if (absl::Status s = mvcc::WriteConsistentIndex(*backend_, index); !s.ok()) return s;
    }
    if (absl::Status s = backend_->Sync(); !s.ok()) return s;
    backend_.reset();
    {
      std::lock_guard lock(*install_mu_);
      std::error_code ec;
      fs::remove_all(dir_, ec);
      fs::rename(tmp_, dir_, ec);
      if (ec) return absl::UnavailableError("renaming " + tmp_ + ": " + ec.message());
    }
    LOG(INFO) << "received the database of the snapshot at index " << index << " into " << dir_;
    std::move(deliver_)(std::move(m_));
    return absl::OkStatus();
  }

 private:
  SnapshotDbSink(std::string dir, std::string tmp, std::unique_ptr<mvcc::Backend> backend,
                 raftpb::Message m, std::mutex* install_mu,
                 absl::AnyInvocable<void(raftpb::Message) &&> deliver)
      : dir_(std::move(dir)), tmp_(std::move(tmp)), backend_(std::move(backend)),
        m_(std::move(m)), install_mu_(install_mu), deliver_(std::move(deliver)) {}

  const std::string dir_, tmp_;
  std::unique_ptr<mvcc::Backend> backend_;
  raftpb::Message m_;
  std::mutex* const install_mu_;
  absl::AnyInvocable<void(raftpb::Message) &&> deliver_;
};

bool IsTxnSerializable(const etcdserverpb::TxnRequest& r) {
  for (const auto* branch : {&r.success(), &r.failure()}) {
    for (const auto& op : *branch) {
      if (op.has_request_range() && !op.request_range().serializable()) return false;
      if (op.has_request_txn() && !IsTxnSerializable(op.request_txn())) return false;
    }
  }
  return true;
}

}  // namespace

EtcdServer::EtcdServer(Options options) : options_(std::move(options)) { RegisterMetrics(); }

void EtcdServer::RegisterMetrics() {
  metrics_.AddGaugeFunc("etcd_server_has_leader",
                        "Whether or not a leader exists. 1 is existence, 0 is not.",
                        [this] { return HasLeader() ? 1.0 : 0.0; });
  metrics_.AddGaugeFunc("etcd_server_is_leader",
                        "Whether or not this member is a leader. 1 if is, 0 otherwise.",
                        [this] { return leader_.load() == member_id_ ? 1.0 : 0.0; });
  metrics_.AddGaugeFunc("etcd_server_is_learner",
                        "Whether or not this member is a learner. 1 if is, 0 otherwise.",
                        [this] { return is_learner_.load() ? 1.0 : 0.0; });
  leader_changes_ = metrics_.AddCounter("etcd_server_leader_changes_seen_total",
                                        "The number of leader changes seen.");
  metrics_.AddGaugeFunc("etcd_server_proposals_committed_total",
                        "The total number of consensus proposals committed.",
                        [this] { return static_cast<double>(commit_index_.load()); });
  metrics_.AddGaugeFunc("etcd_server_proposals_applied_total",
                        "The total number of consensus proposals applied.",
                        [this] { return static_cast<double>(applied_.load()); });
  metrics_.AddGaugeFunc("etcd_server_proposals_pending",
                        "The current number of pending proposals to commit.", [this] {
                          std::lock_guard lock(mu_);
                          return static_cast<double>(pending_.size());
                        });
  proposals_failed_ = metrics_.AddCounter("etcd_server_proposals_failed_total",
                                          "The total number of failed proposals seen.");
  wal_fsync_seconds_ = metrics_.AddHistogram(
      "etcd_disk_wal_fsync_duration_seconds",
      "The latency distributions of fsync called by WAL.",
      metrics::ExponentialBuckets(0.001, 2, 14));
  backend_commit_seconds_ = metrics_.AddHistogram(
      "etcd_disk_backend_commit_duration_seconds",
      "The latency distributions of commit called by backend.",
      metrics::ExponentialBuckets(0.001, 2, 14));
  metrics_.AddGaugeFunc("etcd_mvcc_db_total_size_in_bytes",
                        "Total size of the underlying database physically allocated in bytes.",
                        [this] { return static_cast<double>(backend_size_.load()); });
  metrics_.AddGaugeFunc("etcd_debugging_mvcc_db_total_size_in_bytes",
                        "Total size of the underlying database physically allocated in bytes.",
                        [this] { return static_cast<double>(backend_size_.load()); });
  peer_rtt_seconds_ = metrics_.AddHistogramFamily(
      "etcd_network_peer_round_trip_time_seconds", "Round-Trip-Time histogram between peers",
      {"To"}, metrics::ExponentialBuckets(0.0001, 2, 14));
}

absl::StatusOr<std::unique_ptr<EtcdServer>> EtcdServer::Start(Options options) {
  if (options.heartbeat_interval_ms <= 0) {
    return absl::InvalidArgumentError("heartbeat interval must be positive");
  }
  if (options.election_timeout_ms < 5 * options.heartbeat_interval_ms) {
    return absl::InvalidArgumentError(
        "election timeout should be at least 5 times the heartbeat interval");
  }
  std::unique_ptr<EtcdServer> server(new EtcdServer(std::move(options)));
  if (absl::Status s = server->Open(); !s.ok()) return s;
  server->loop_ = std::thread([s = server.get()] { s->RunLoop(); });
  server->read_thread_ = std::thread([s = server.get()] { s->RunReads(); });
  if (server->options_.corrupt_check_interval.count() > 0) {
    server->corruption_check_thread_ = std::thread([s = server.get()] { s->CorruptionCheckLoop(); });
  }
  return server;
}

absl::Status EtcdServer::Open() {
  const std::string member_dir = MemberDir(options_.data_dir);
  const std::string wal_dir = (fs::path(member_dir) / "wal").string();
  const std::string snap_dir = (fs::path(member_dir) / "snap").string();
  std::error_code ec;
  if (fs::exists(options_.data_dir, ec) && !fs::is_directory(options_.data_dir, ec)) {
    return absl::FailedPreconditionError("data dir " + options_.data_dir +
                                         " exists and is not a directory");
  }
  fs::create_directories(snap_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError("cannot create data dir " + snap_dir + ": " +
                                         ec.message());
  }
  fs::permissions(options_.data_dir, fs::perms::owner_all, fs::perm_options::replace, ec);

  auto backend = mvcc::Backend::Open((fs::path(snap_dir) / "db").string());
  if (!backend.ok()) return backend.status();
  backend_ = std::move(*backend);
  auto kv = mvcc::KvStore::Open(backend_.get());
  if (!kv.ok()) return kv.status();
  kv_ = std::move(*kv);
  watchable_ = std::make_unique<mvcc::WatchableStore>(
      kv_.get(), std::chrono::milliseconds(100),
      std::chrono::milliseconds(options_.watch_progress_notify_interval_ms));
  // Leases are issue "Watch and Lease": until then no lease exists.
  lease::LessorOptions lessor_options;
  lessor_options.min_ttl_seconds = lease::MinLeaseTTLSeconds(
      options_.election_timeout_ms / options_.heartbeat_interval_ms,
      std::chrono::milliseconds(options_.heartbeat_interval_ms));
  auto lessor = lease::Lessor::Open(backend_.get(), lessor_options);
  if (!lessor.ok()) return lessor.status();
  lessor_ = std::move(*lessor);
  if (absl::Status s = ReloadLeases(); !s.ok()) return s;
  if (absl::Status s = LoadAlarms(); !s.ok()) return s;
  backend_size_ = DirectorySize(backend_->dir());
  applier_ = std::make_unique<Applier>(
      kv_.get(), [this](int64_t id) { return lessor_->Contains(id); },
      [this](const std::vector<mvccpb::Event>& changes) { TrackLeases(changes); });

  wal_dir_ = wal_dir;
  snap_dir_ = snap_dir;
  // Snapshot transfers cut short by a crash leave their databases behind.
  for (const auto& entry : fs::directory_iterator(snap_dir, ec)) {
    if (entry.path().filename().string().find(".snap.db.tmp") != std::string::npos) {
      fs::remove_all(entry.path(), ec);
    }
  }
  if (options_.auto_compaction) {
    compactor_ = std::make_unique<Compactor>(
        *options_.auto_compaction, [this] { return kv_->Rev(); },
        [this](int64_t rev) {
          etcdserverpb::CompactionRequest r;
          r.set_revision(rev);
          serverpb::InternalRaftRequest req;
          *req.mutable_compaction() = r;
          ProposeAndWait<etcdserverpb::CompactionResponse>(
              std::move(req), [rev](absl::StatusOr<etcdserverpb::CompactionResponse> resp) {
                if (resp.ok()) {
                  LOG(INFO) << "auto compaction finished at revision " << rev;
                } else {
                  LOG(WARNING) << "auto compaction to revision " << rev
                               << " failed: " << resp.status();
                }
              });
        });
  }
  snapshotter_ = std::make_unique<wal::Snapshotter>(wal::Env::Default(), snap_dir);
  const bool has_wal = fs::is_directory(wal_dir, ec) && !fs::is_empty(wal_dir, ec);
  absl::Status s = has_wal ? OpenExistingMember(wal_dir) : OpenNewMember(wal_dir);
  if (!s.ok()) return s;

  // Request IDs: the member's low 16 bits, then a millisecond clock, then a counter, as etcd's
  // idutil does, so that IDs stay unique across restarts and members.
  const uint64_t now_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  next_request_id_ = ((member_id_ & 0xffff) << 48) | ((now_ms & 0xffffffffff) << 8);
  LOG(INFO) << "starting etcd member name=" << options_.name << " member-id=" << std::hex
            << member_id_ << " cluster-id=" << cluster_id_ << std::dec
            << " data-dir=" << options_.data_dir
            << " consistent-index=" << kv_->ConsistentIndex() << " revision=" << kv_->Rev();
  return absl::OkStatus();
}

absl::Status EtcdServer::CreateRaftNode() {
  raft::Config config;
  config.id = member_id_;
  config.election_tick = options_.election_timeout_ms / options_.heartbeat_interval_ms;
  config.heartbeat_tick = 1;
  config.storage = &raft_storage_;
  config.applied = applied_index_;
  config.check_quorum = true;
  config.pre_vote = options_.pre_vote;
  config.max_inflight_msgs = 512;
  config.random_seed = member_id_ ^ static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  config.logger = RaftGlogLogger::Get();
  auto node = raft::RawNode::Create(config);
  if (!node.ok()) return node.status();
  node_ = std::move(*node);
  return absl::OkStatus();
}

void EtcdServer::CreateTransport() {
  if (options_.new_transport) transport_ = options_.new_transport(member_id_, cluster_id_, this);
}

absl::Status EtcdServer::OpenNewMember(const std::string& wal_dir) {
  if (options_.member_id == 0 || options_.cluster_id == 0) {
    return absl::InvalidArgumentError("a new member needs a member ID and a cluster ID");
  }
  if (kv_->ConsistentIndex() > 0 || kv_->Rev() > 1) {
    // Bootstrapping a new log over applied data would skip (lose) the new entries up to the
    // old consistent index.
    return absl::FailedPreconditionError(
        "data dir " + options_.data_dir + " has a backend (revision " +
        std::to_string(kv_->Rev()) + ") but no WAL; refusing to start it as a new member");
  }
  member_id_ = options_.member_id;
  cluster_id_ = options_.cluster_id;
  std::vector<serverpb::Member> members = options_.initial_members;
  if (members.empty()) {
    serverpb::Member self;
    self.set_id(member_id_);
    self.set_name(options_.name);
    for (const auto& u : options_.peer_urls) self.add_peer_urls(u);
    members.push_back(std::move(self));
  }
  if (std::none_of(members.begin(), members.end(),
                   [&](const serverpb::Member& m) { return m.id() == member_id_; })) {
    return absl::InvalidArgumentError("the initial cluster does not include this member");
  }
  // Every member of the new cluster must write the same first entries.
  std::sort(members.begin(), members.end(),
            [](const serverpb::Member& a, const serverpb::Member& b) { return a.id() < b.id(); });
  serverpb::WalMetadata metadata;
  metadata.set_member_id(member_id_);
  metadata.set_cluster_id(cluster_id_);
  wal::WalOptions wal_options;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  auto w = wal::Wal::Create(wal::Env::Default(), wal_dir, metadata.SerializeAsString(), wal_options);
  if (!w.ok()) return w.status();
  wal_ = std::move(*w);

  CreateTransport();
  if (absl::Status s = CreateRaftNode(); !s.ok()) return s;

  if (options_.join_existing) {
    // The log, the membership included, comes from the leader; until then the transport
    // needs the members' URLs to answer them.
    if (transport_ != nullptr) {
      for (const serverpb::Member& m : members) {
        transport_->AddPeer(m.id(), {m.peer_urls().begin(), m.peer_urls().end()});
      }
    }
    LOG(INFO) << "joining existing cluster " << MemberIdToString(cluster_id_) << " of "
              << members.size() << " member(s) as " << MemberIdToString(member_id_);
    return absl::OkStatus();
  }

  std::vector<raft::Peer> peers;
  for (const serverpb::Member& m : members) peers.push_back({m.id(), m.SerializeAsString()});
  if (absl::Status s = node_->Bootstrap(peers); !s.ok()) return s;
  // Make the initial membership durable before anything else can happen: a member whose WAL
  // exists but lacks it could never elect a leader after a crash.
  while (node_->HasReady()) HandleReady();
  LOG(INFO) << "started as a new member of a new cluster of " << members.size()
            << " member(s)";
  return absl::OkStatus();
}

absl::Status EtcdServer::OpenExistingMember(const std::string& wal_dir) {
  wal::WalOptions wal_options;
  wal_options.segment_bytes = options_.wal_segment_bytes;
  // The newest snapshot with a WAL record: a snapshot file written just before a crash, whose
  // record never reached the WAL, is set aside and the previous one used.
  raftpb::Snapshot snapshot;
  absl::StatusOr<wal::WalContents> contents;
  while (true) {
    auto loaded = snapshotter_->Load();
    if (!loaded.ok() && !wal::IsNoSnapshot(loaded.status())) return loaded.status();
    snapshot = loaded.ok() ? *loaded : raftpb::Snapshot();
    const wal::WalSnapshot start{snapshot.metadata().index(), snapshot.metadata().term()};
    auto w = wal::Wal::Open(wal::Env::Default(), wal_dir, start, wal_options);
    if (!w.ok()) return w.status();
    contents = (*w)->ReadAll();
    if (!contents.ok() && absl::IsNotFound(contents.status()) && start.index > 0) {
      char name[64];
      std::snprintf(name, sizeof(name), "%016llx-%016llx.snap",
                    static_cast<unsigned long long>(start.term),
                    static_cast<unsigned long long>(start.index));
      const std::string path = (fs::path(snap_dir_) / name).string();
      LOG(WARNING) << "snapshot " << path << " has no record in the WAL; setting it aside";
      std::error_code ec;
      fs::rename(path, path + ".broken", ec);
      if (ec) return absl::DataLossError("cannot set aside " + path + ": " + ec.message());
      continue;
    }
    if (!contents.ok()) return contents.status();
    wal_ = std::move(*w);
    break;
  }
  serverpb::WalMetadata metadata;
  if (!metadata.ParseFromString(contents->metadata) || metadata.member_id() == 0) {
    return absl::DataLossError("WAL in " + wal_dir + " has no valid member metadata");
  }
  member_id_ = metadata.member_id();
  cluster_id_ = metadata.cluster_id();
  CreateTransport();

  const uint64_t snapshot_index = snapshot.metadata().index();
  if (snapshot_index > 0) {
    if (kv_->ConsistentIndex() < snapshot_index) {
      // The backend is older than the snapshot: the snapshot came from the leader with its
      // database, which was kept beside it until installed (etcd's <index>.snap.db).
      const std::string db = SnapshotDbPath(snapshot_index);
      if (!fs::is_directory(db)) {
        return absl::DataLossError(
            "database file (" + backend_->dir() + " index " +
            std::to_string(kv_->ConsistentIndex()) + ") does not match with snapshot (index " +
            std::to_string(snapshot_index) + ")");
      }
      LOG(INFO) << "recovering the backend from the snapshot database " << db;
      if (absl::Status s = RestoreBackendFrom(db); !s.ok()) return s;
    }
    if (absl::Status s = raft_storage_.ApplySnapshot(snapshot); !s.ok()) return s;
    serverpb::SnapshotData data;
    if (!data.ParseFromString(snapshot.data())) {
      return absl::DataLossError("snapshot at index " + std::to_string(snapshot_index) +
                                 " has undecodable data");
    }
    RestoreMembership(data);
    conf_state_ = snapshot.metadata().conf_state();
    applied_index_ = snapshot_index_ = snapshot_index;
    applied_term_ = snapshot.metadata().term();
    applied_ = snapshot_index;
    raft_index_ = snapshot_index;
    LOG(INFO) << "recovered from snapshot at index " << snapshot_index << " (term "
              << snapshot.metadata().term() << ")";
  }
  if (absl::Status s = raft_storage_.SetHardState(contents->state); !s.ok()) return s;
  if (absl::Status s = raft_storage_.Append(contents->entries); !s.ok()) return s;
  term_ = contents->state.term();
  restart_commit_ = contents->state.commit();
  if (!contents->entries.empty()) raft_index_ = contents->entries.back().index();
  if ((contents->entries.empty() && snapshot_index == 0) || contents->state.commit() == 0) {
    return absl::FailedPreconditionError(
        "WAL in " + wal_dir + " holds no committed membership: the member was never fully "
        "created; remove the data dir to start a new member");
  }
  LOG(INFO) << "restarting member from WAL: term=" << contents->state.term()
            << " commit=" << contents->state.commit() << " entries=" << contents->entries.size();

  if (absl::Status s = CreateRaftNode(); !s.ok()) return s;
  return absl::OkStatus();
}

void EtcdServer::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  leader_known_.notify_all();
  stopped_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (transport_) transport_->Stop();
  // Reads already cleared are still answered; then the read thread ends.
  {
    std::lock_guard lock(reads_mu_);
    reads_stopping_ = true;
  }
  reads_ready_.notify_all();
  if (read_thread_.joinable()) read_thread_.join();
  // Fail whatever still waits.
  std::map<uint64_t, PendingWrite> pending;
  std::vector<ReadWaiter> reads;
  {
    std::lock_guard lock(mu_);
    pending.swap(pending_);
    reads.swap(reads_);
  }
  for (auto& [id, p] : pending) std::move(p.waiter)(ApplyResult{ErrStopped(), nullptr});
  for (auto& r : reads) std::move(r)(ErrStopped());
  for (auto& b : read_batches_) {
    for (auto& r : b.waiters) std::move(r)(ErrStopped());
  }
  read_batches_.clear();
  // Its waits (peer calls, a read barrier) have all ended by now.
  if (corruption_check_thread_.joinable()) corruption_check_thread_.join();
  if (wal_) {
    if (absl::Status s = wal_->Close(); !s.ok()) LOG(WARNING) << "closing WAL: " << s;
  }
}

EtcdServer::~EtcdServer() { Stop(); }

bool EtcdServer::WaitForLeader(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return leader_known_.wait_for(lock, timeout, [&] { return stopping_ || HasLeader(); }) &&
         HasLeader();
}

EtcdServer::Clock::time_point EtcdServer::RequestDeadline() const {
  // etcd's request timeout: 5s plus two election timeouts.
  return Clock::now() + std::chrono::seconds(5) +
         std::chrono::milliseconds(2 * options_.election_timeout_ms);
}

// ---- The Raft loop ----

void EtcdServer::RunLoop() {
  const auto tick_interval = std::chrono::milliseconds(options_.heartbeat_interval_ms);
  auto next_tick = Clock::now() + tick_interval;
  std::vector<Proposal> unproposed;  // waiting for a leader
  bool campaigned = false;
  // etcd's adjustTicks: once the peers are connected, a fresh member fast-forwards its
  // election clock so that the first election does not wait a whole timeout; it keeps two
  // ticks to hear from a leader that may already exist.
  bool ticks_adjusted = false;
  const auto adjust_until = Clock::now() + std::chrono::seconds(5);
  while (true) {
    std::vector<Proposal> proposals;
    std::vector<ReadWaiter> reads;
    {
      std::unique_lock lock(mu_);
      wake_.wait_until(lock, next_tick, [&] {
        return stopping_ || !proposals_.empty() || !reads_.empty() || !inbox_.empty() ||
               !unreachable_.empty() || !snapshot_reports_.empty() || !tasks_.empty();
      });
      if (stopping_) return;
      proposals.swap(proposals_);
      reads.swap(reads_);
    }
    StepInbox();
    const auto now = Clock::now();
    if (removed_stop_at_ && now >= *removed_stop_at_ && !removal_reported_) {
      removal_reported_ = true;
      LOG(ERROR) << "the member has been permanently removed from the cluster";
      if (options_.on_removed) options_.on_removed();
    }
    if (!ticks_adjusted && conf_state_.voters_size() > 1 && transport_ != nullptr) {
      if (now > adjust_until) {
        ticks_adjusted = true;
      } else if (transport_->ActivePeers() > 1) {
        ticks_adjusted = true;
        const int ticks = options_.election_timeout_ms / options_.heartbeat_interval_ms - 2;
        LOG(INFO) << "initialized peer connections; fast-forwarding " << ticks
                  << " election ticks";
        for (int i = 0; i < ticks; ++i) node_->Tick();
      }
    }
    if (now >= next_tick) {
      backend_size_ = DirectorySize(backend_->dir());
      if (compactor_ != nullptr) compactor_->Tick(now, leader_ == member_id_);
      node_->Tick();
      RevokeExpiredLeases();
      next_tick += tick_interval;
      if (next_tick <= now) next_tick = now + tick_interval;
      ExpireDeadlines(now);
    }

    if (!unproposed.empty()) {
      proposals.insert(proposals.begin(), std::make_move_iterator(unproposed.begin()),
                       std::make_move_iterator(unproposed.end()));
      unproposed.clear();
    }
    for (Proposal& p : proposals) {
      if (node_->Lead() == raft::kNone) {
        // etcd waits for a leader until the request times out.
        if (p.deadline > now) unproposed.push_back(std::move(p));
        continue;
      }
      absl::Status s = p.conf_change ? node_->ProposeConfChange(*p.conf_change)
                                     : node_->Propose(std::move(p.data));
      if (!s.ok()) {
        Waiter waiter;
        {
          std::lock_guard lock(mu_);
          auto it = pending_.find(p.id);
          if (it != pending_.end()) {
            waiter = std::move(it->second.waiter);
            pending_.erase(it);
          }
        }
        proposals_failed_->Inc();
        if (waiter) std::move(waiter)(ApplyResult{ErrNoLeader(), nullptr});
      }
    }
    if (!reads.empty()) {
      ReadBatch batch;
      batch.ctx = std::to_string(next_read_ctx_++);
      batch.deadline = RequestDeadline();
      batch.waiters = std::move(reads);
      read_batches_.push_back(std::move(batch));
    }
    // Ask (again) for the read index of every batch still without one: Raft drops a ReadIndex
    // request silently when it knows no leader, so a batch waits for a leader and retries.
    if (node_->Lead() != raft::kNone) {
      for (ReadBatch& b : read_batches_) {
        if (b.index == 0 && (b.sent_at == Clock::time_point() || now - b.sent_at > kReadIndexRetry)) {
          b.sent_at = now;
          node_->ReadIndex(b.ctx);
        }
      }
    }

    while (node_->HasReady()) HandleReady();

    // A single-member cluster need not wait for an election timeout to elect itself.
    if (!campaigned && conf_state_.voters_size() == 1 && conf_state_.voters(0) == member_id_ &&
        node_->Lead() == raft::kNone) {
      campaigned = true;
      if (node_->Campaign().ok()) {
        while (node_->HasReady()) HandleReady();
      }
    }
    MaybePublish();
    CheckLeaderTransfers(Clock::now());
    FinishReads();
  }
}

void EtcdServer::StepInbox() {
  std::vector<raftpb::Message> inbox;
  std::vector<uint64_t> unreachable;
  std::vector<std::pair<uint64_t, bool>> snapshot_reports;
  {
    std::lock_guard lock(mu_);
    inbox.swap(inbox_);
    unreachable.swap(unreachable_);
    snapshot_reports.swap(snapshot_reports_);
  }
  std::vector<absl::AnyInvocable<void() &&>> tasks;
  {
    std::lock_guard lock(mu_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) std::move(task)();
  for (raftpb::Message& m : inbox) {
    if (m.to() != member_id_) continue;
    const uint64_t from = m.from();
    const auto type = m.type();
    if (type == raftpb::MSG_HEARTBEAT_RESP) {
      auto sent = heartbeat_sent_.find(from);
      if (sent != heartbeat_sent_.end()) {
        peer_rtt_seconds_->Get({MemberIdToString(from)})
            ->Observe(std::chrono::duration<double>(Clock::now() - sent->second).count());
        heartbeat_sent_.erase(sent);
      }
    }
    if (absl::Status s = node_->Step(std::move(m)); !s.ok()) {
      VLOG(1) << "dropped " << raftpb::MessageType_Name(type) << " from "
              << MemberIdToString(from) << ": " << s;
    }
  }
  for (uint64_t id : unreachable) node_->ReportUnreachable(id);
  for (const auto& [id, ok] : snapshot_reports) {
    node_->ReportSnapshot(id, ok ? raft::SnapshotStatus::kFinish : raft::SnapshotStatus::kFailure);
  }
}

void EtcdServer::MaybePublish() {
  if (published_ || publishing_ || node_->Lead() == raft::kNone) return;
  publishing_ = true;
  serverpb::InternalRaftRequest req;
  serverpb::MemberAttributes* attributes = req.mutable_member_attributes();
  attributes->set_id(member_id_);
  attributes->set_name(options_.name);
  for (const auto& u : options_.client_urls) attributes->add_client_urls(u);
  // The waiter runs on the loop thread (apply, or the deadline check), so publishing_ needs
  // no lock; a failed attempt is retried on the next loop iteration.
  Propose(std::move(req), [this](ApplyResult result) {
    publishing_ = false;
    if (result.status.ok()) {
      published_ = true;
      LOG(INFO) << "published local member to cluster through raft: name=" << options_.name
                << " id=" << MemberIdToString(member_id_);
    } else {
      LOG(WARNING) << "failed to publish local member to cluster through raft: "
                   << result.status.message();
    }
  });
}

void EtcdServer::SendMessages(std::vector<raftpb::Message> messages) {
  if (messages.empty()) return;
  if (transport_ == nullptr) {
    LOG_EVERY_N(WARNING, 100) << "no peer transport: dropping " << messages.size()
                              << " Raft message(s)";
    return;
  }
  // A snapshot is sent as of now, as etcd does: the applied index and term, the current
  // configuration and membership, and the backend as it is (Raft's stored snapshot may predate
  // a member, which could then not install it).
  std::vector<raftpb::Message> batch;
  batch.reserve(messages.size());
  const auto now = Clock::now();
  for (raftpb::Message& m : messages) {
    if (m.type() == raftpb::MSG_SNAP) {
      raftpb::SnapshotMetadata* meta = m.mutable_snapshot()->mutable_metadata();
      meta->set_index(applied_index_);
      meta->set_term(applied_term_);
      *meta->mutable_conf_state() = conf_state_;
      m.mutable_snapshot()->set_data(MembershipSnapshot().SerializeAsString());
      transport_->SendSnapshot(std::move(m), NewBackendSnapshotSource(backend_->NewReader()));
      continue;
    }
    // Heartbeats measure the round trip to each peer (etcd measures it with a prober).
    if (m.type() == raftpb::MSG_HEARTBEAT) heartbeat_sent_.try_emplace(m.to(), now);
    batch.push_back(std::move(m));
  }
  transport_->Send(std::move(batch));
}

void EtcdServer::HandleReady() {
  raft::Ready rd = node_->GetReady();
  if (rd.soft_state) {
    // Only the leader expires leases; a new leader gives every lease its full TTL again.
    if (rd.soft_state->role == raft::StateType::kLeader && !lessor_->IsPrimary()) {
      lessor_->Promote(lease::Clock::now(),
                       std::chrono::milliseconds(options_.election_timeout_ms));
    } else if (rd.soft_state->role != raft::StateType::kLeader && lessor_->IsPrimary()) {
      lessor_->Demote();
    }
    const uint64_t old_leader = leader_.exchange(rd.soft_state->lead);
    if (rd.soft_state->lead != raft::kNone) {
      std::lock_guard lock(mu_);
      leader_known_.notify_all();
    }
    if (old_leader != rd.soft_state->lead) {
      if (rd.soft_state->lead == raft::kNone) {
        LOG(INFO) << "raft.node: " << std::hex << member_id_ << " lost leader " << old_leader;
      } else {
        leader_elected_at_ = Clock::now();
        leader_changes_->Inc();
        LOG(INFO) << "raft.node: " << std::hex << member_id_ << " elected leader "
                  << rd.soft_state->lead << " at term " << std::dec << node_->Term();
      }
    }
  }
  if (!raft::IsEmptyHardState(rd.hard_state)) term_ = rd.hard_state.term();

  // 1. Send what a leader tells its followers (appends, heartbeats, snapshots) at once: these
  // messages promise nothing about this member's storage, so followers write to their WALs
  // while the leader writes to its own (Raft thesis 10.2.1). This is safe here because the
  // leader's own log counts toward commitment only through acknowledgements it steps after
  // this call, when its WAL write below has returned: nothing is committed (or answered) that
  // is not durable on a quorum. Everything else (votes, append responses) waits for the write.
  std::vector<raftpb::Message> after_persist;
  if (!rd.messages.empty()) {
    std::vector<raftpb::Message> now;
    for (raftpb::Message& m : rd.messages) {
      const bool from_leader = m.type() == raftpb::MSG_APP ||
                               m.type() == raftpb::MSG_HEARTBEAT ||
                               m.type() == raftpb::MSG_SNAP;
      (from_leader ? now : after_persist).push_back(std::move(m));
    }
    SendMessages(std::move(now));
  }

  // 2. Persist: a snapshot from the leader first (its file, then its WAL record), then the
  // WAL (one fdatasync for the whole batch), then Raft's storage.
  const bool has_snapshot = !raft::IsEmptySnap(rd.snapshot);
  if (has_snapshot) {
    absl::Status s = snapshotter_->SaveSnap(rd.snapshot);
    CHECK(s.ok()) << "failed to save the snapshot from the leader: " << s;
    s = wal_->SaveSnapshot(
        {rd.snapshot.metadata().index(), rd.snapshot.metadata().term()});
    CHECK(s.ok()) << "failed to record the snapshot in the WAL: " << s;
  }
  const auto save_start = Clock::now();
  absl::Status s = wal_->Save(rd.hard_state, rd.entries);
  if (rd.must_sync) {
    wal_fsync_seconds_->Observe(
        std::chrono::duration<double>(Clock::now() - save_start).count());
  }
  if (!raft::IsEmptyHardState(rd.hard_state)) commit_index_ = rd.hard_state.commit();
  CHECK(s.ok()) << "failed to save Raft hard state and entries: " << s;
  if (has_snapshot) {
    CHECK(raft_storage_.ApplySnapshot(rd.snapshot).ok());
    ApplySnapshot(rd.snapshot);
  }
  if (!raft::IsEmptyHardState(rd.hard_state)) {
    CHECK(raft_storage_.SetHardState(rd.hard_state).ok());
  }
  if (!rd.entries.empty()) {
    CHECK(raft_storage_.Append(rd.entries).ok());
    raft_index_ = rd.entries.back().index();
  }
  // 3. The messages that promise durability: sent now that it holds.
  SendMessages(std::move(after_persist));

  // 4. Apply, in log order.
  const auto apply_start = Clock::now();
  for (const raftpb::Entry& e : rd.committed_entries) ApplyEntry(e);
  HandOffReplies();
  if (!rd.committed_entries.empty()) {
    // The backend writes of a batch of entries (LevelDB; synced at snapshots).
    backend_commit_seconds_->Observe(
        std::chrono::duration<double>(Clock::now() - apply_start).count());
  }
  for (const raft::ReadState& rs : rd.read_states) {
    for (ReadBatch& b : read_batches_) {
      if (b.ctx == rs.request_ctx) b.index = rs.index;
    }
  }
  // 5. Advance.
  node_->Advance();
  MaybeSnapshot();
}

void EtcdServer::ApplyEntry(const raftpb::Entry& e) {
  applied_index_ = e.index();
  applied_term_ = e.term();
  if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
    ApplyConfChange(e);
  } else if (e.type() == raftpb::ENTRY_CONF_CHANGE_V2) {
    // Joint consensus is not proposed by this server yet; Raft itself proposes the empty
    // ConfChangeV2 that leaves a joint configuration, which must still be applied.
    raftpb::ConfChangeV2 cc;
    CHECK(cc.ParseFromString(e.data())) << "undecodable conf change at index " << e.index();
    auto conf_state = node_->ApplyConfChange(cc);
    CHECK(conf_state.ok()) << conf_state.status();
    conf_state_ = *conf_state;
  } else if (e.type() == raftpb::ENTRY_NORMAL && !e.data().empty()) {
    serverpb::InternalRaftRequest req;
    CHECK(req.ParseFromString(e.data())) << "undecodable entry at index " << e.index();
    ApplyResult result;
    if (e.index() > kv_->ConsistentIndex()) {
      kv_->SetConsistentIndex(e.index());
      result = ApplyRequest(req);
    } else if (req.has_member_attributes()) {
      // The membership lives in memory, rebuilt from the snapshot and the log on restart: its
      // entries are applied again whatever the backend's consistent index (idempotent).
      ApplyMemberAttributes(req.member_attributes());
    }
    Waiter waiter;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(req.header().id());
      if (it != pending_.end()) {
        waiter = std::move(it->second.waiter);
        pending_.erase(it);
      }
    }
    // Answered by the answer thread once the whole batch is applied (HandOffReplies).
    if (waiter) {
      replies_.push_back([waiter = std::move(waiter), result = std::move(result)]() mutable {
        std::move(waiter)(std::move(result));
      });
    }
  }
  applied_ = e.index();
}

EtcdServer::ApplyResult EtcdServer::ApplyRequest(const serverpb::InternalRaftRequest& req) {
  auto wrap = [](auto result) {
    ApplyResult out;
    if (!result.ok()) {
      out.status = result.status();
    } else {
      using Response = std::decay_t<decltype(*result)>;
      out.response = std::make_unique<Response>(std::move(*result));
    }
    return out;
  };
  // With NOSPACE raised, every member refuses what would grow the backend (etcd's capped
  // applier): the alarm is in the log, so they all refuse the same entries.
  if (nospace_ && (req.has_put() || req.has_lease_grant() ||
                   (req.has_txn() && !Applier::IsReadOnly(req.txn())))) {
    return ApplyResult{ErrNoSpace(), nullptr};
  }
  // With CORRUPT raised, every member refuses every request that goes through the log (etcd's
  // corrupt applier); reads served locally go on.
  if (corrupt_ && (req.has_put() || req.has_delete_range() || req.has_txn() ||
                   req.has_compaction() || req.has_range() || req.has_lease_grant() ||
                   req.has_lease_revoke())) {
    return ApplyResult{ErrCorrupt(), nullptr};
  }
  switch (req.request_case()) {
    case serverpb::InternalRaftRequest::kPut:
      return wrap(applier_->Put(req.put()));
    case serverpb::InternalRaftRequest::kDeleteRange:
      return wrap(applier_->DeleteRange(req.delete_range()));
    case serverpb::InternalRaftRequest::kTxn:
      return wrap(applier_->Txn(req.txn()));
    case serverpb::InternalRaftRequest::kCompaction:
      return wrap(applier_->Compaction(req.compaction()));
    case serverpb::InternalRaftRequest::kRange:
      return wrap(applier_->Range(req.range()));
    case serverpb::InternalRaftRequest::kLeaseGrant:
      return ApplyLeaseGrant(req.lease_grant());
    case serverpb::InternalRaftRequest::kLeaseRevoke:
      return ApplyLeaseRevoke(req.lease_revoke());
    case serverpb::InternalRaftRequest::kMemberAttributes:
      ApplyMemberAttributes(req.member_attributes());
      return ApplyResult{};
    case serverpb::InternalRaftRequest::kAlarm:
      return ApplyAlarm(req.alarm());
    default:
      LOG(WARNING) << "ignoring entry with unknown request " << req.request_case();
      return ApplyResult{absl::InvalidArgumentError("unknown request"), nullptr};
  }
}

void EtcdServer::ApplyConfChange(const raftpb::Entry& e) {
  raftpb::ConfChange cc;
  CHECK(cc.ParseFromString(e.data())) << "undecodable conf change at index " << e.index();
  serverpb::Member m;
  if (!m.ParseFromString(cc.context())) m.Clear();
  absl::Status valid;
  {
    std::lock_guard lock(members_mu_);
    valid = ValidateConfChange(cc, m);
  }
  // A change refused at apply time still goes through Raft, as a no-op (node 0), so that
  // Raft knows the pending change is done.
  if (!valid.ok()) cc.set_node_id(raft::kNone);
  auto conf_state = node_->ApplyConfChange(cc);
  CHECK(conf_state.ok()) << conf_state.status();
  conf_state_ = *conf_state;
  if (valid.ok()) {
    const uint64_t id = cc.node_id();
    const std::vector<std::string> urls(m.peer_urls().begin(), m.peer_urls().end());
    switch (cc.type()) {
      case raftpb::CONF_CHANGE_ADD_NODE:
      case raftpb::CONF_CHANGE_ADD_LEARNER_NODE: {
        m.set_id(id);
        m.set_is_learner(cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE);
        m.clear_promote();
        {
          std::lock_guard lock(members_mu_);
          auto it = members_.find(id);
          if (it != members_.end()) {
            // A learner promoted: it keeps its URLs and published attributes.
            it->second.set_is_learner(false);
            m = it->second;
          } else {
            members_[id] = m;
          }
        }
        if (id == member_id_) is_learner_ = m.is_learner();
        if (transport_ != nullptr) {
          transport_->AddPeer(id, {m.peer_urls().begin(), m.peer_urls().end()});
        }
        LOG(INFO) << (cc.type() == raftpb::CONF_CHANGE_ADD_LEARNER_NODE ? "added learner member "
                                                                         : "added member ")
                  << MemberIdToString(id) << " " << absl::StrJoin(m.peer_urls(), ",")
                  << " to cluster " << MemberIdToString(cluster_id_);
        break;
      }
      case raftpb::CONF_CHANGE_REMOVE_NODE:
        {
          std::lock_guard lock(members_mu_);
          members_.erase(id);
          removed_.insert(id);
        }
        if (transport_ != nullptr) transport_->RemovePeer(id);
        LOG(INFO) << "removed member " << MemberIdToString(id) << " from cluster "
                  << MemberIdToString(cluster_id_);
        if (id == member_id_) {
          // As etcd: stop a moment later, so that the commit of this change reaches the
          // others first when this member is their leader.
          removed_stop_at_ = Clock::now() + std::chrono::seconds(1);
        }
        break;
      case raftpb::CONF_CHANGE_UPDATE_NODE:
        {
          std::lock_guard lock(members_mu_);
          *members_[id].mutable_peer_urls() = m.peer_urls();
        }
        if (transport_ != nullptr) transport_->AddPeer(id, urls);
        LOG(INFO) << "updated member " << MemberIdToString(id) << " peer URLs to "
                  << absl::StrJoin(urls, ",");
        break;
      default:
        break;
    }
  }
  Waiter waiter;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(cc.id());
    if (cc.id() != 0 && it != pending_.end()) {
      waiter = std::move(it->second.waiter);
      pending_.erase(it);
    }
  }
  if (waiter) std::move(waiter)(ApplyResult{valid, nullptr});
}

absl::Status EtcdServer::ValidateConfChange(const raftpb::ConfChange& cc,
                                            const serverpb::Member& m) const {
  const uint64_t id = cc.node_id();
  if (removed_.count(id) > 0) return ErrMemberNotFound();  // etcd: ErrIDRemoved
  auto it = members_.find(id);
  auto url_taken = [&](bool by_others_only) {
    for (const auto& [other, member] : members_) {
      if (by_others_only && other == id) continue;
      for (const auto& u : member.peer_urls()) {
        if (std::find(m.peer_urls().begin(), m.peer_urls().end(), u) != m.peer_urls().end()) {
          return true;
        }
      }
    }
    return false;
  };
  switch (cc.type()) {
    case raftpb::CONF_CHANGE_ADD_NODE:
      if (m.promote()) {
        if (it == members_.end()) return ErrMemberNotFound();
        if (!it->second.is_learner()) return ErrMemberNotLearner();
        return absl::OkStatus();
      }
      if (it != members_.end()) return ErrMemberExist();
      if (url_taken(false)) return ErrPeerURLExist();
      return absl::OkStatus();
    case raftpb::CONF_CHANGE_ADD_LEARNER_NODE: {
      if (it != members_.end()) return ErrMemberExist();
      if (url_taken(false)) return ErrPeerURLExist();
      const auto learners = std::count_if(members_.begin(), members_.end(),
                                          [](const auto& p) { return p.second.is_learner(); });
      if (learners + 1 > 1) return ErrTooManyLearners();  // etcd's maxLearners
      return absl::OkStatus();
    }
    case raftpb::CONF_CHANGE_REMOVE_NODE:
      if (it == members_.end()) return ErrMemberNotFound();
      return absl::OkStatus();
    case raftpb::CONF_CHANGE_UPDATE_NODE:
      if (it == members_.end()) return ErrMemberNotFound();
      if (url_taken(true)) return ErrPeerURLExist();
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("unknown configuration change");
  }
}

void EtcdServer::ApplyMemberAttributes(const serverpb::MemberAttributes& attributes) {
  std::lock_guard lock(members_mu_);
  auto it = members_.find(attributes.id());
  if (it == members_.end()) return;  // removed since it published
  it->second.set_name(attributes.name());
  *it->second.mutable_client_urls() = attributes.client_urls();
}

void EtcdServer::ExpireDeadlines(Clock::time_point now) {
  // As etcd's parseProposeCtxErr: a request made while the previous leader was failing (up to
  // two election timeouts before the current one was elected) says so.
  const auto leader_lost_at =
      leader_elected_at_ - std::chrono::milliseconds(2 * options_.election_timeout_ms);
  std::vector<std::pair<Waiter, absl::Status>> expired;
  {
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        const bool leader_failed = it->second.proposed_at > leader_lost_at &&
                                   it->second.proposed_at < leader_elected_at_;
        expired.emplace_back(std::move(it->second.waiter),
                             leader_failed ? ErrTimeoutDueToLeaderFail() : ErrTimeout());
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  proposals_failed_->Inc(static_cast<double>(expired.size()));
  for (auto& [w, status] : expired) std::move(w)(ApplyResult{status, nullptr});
  for (auto it = read_batches_.begin(); it != read_batches_.end();) {
    if (it->deadline <= now) {
      for (ReadWaiter& r : it->waiters) std::move(r)(ErrTimeout());
      it = read_batches_.erase(it);
    } else {
      ++it;
    }
  }
}

void EtcdServer::FinishReads() {
  std::vector<ReadWaiter> ready;
  for (auto it = read_batches_.begin(); it != read_batches_.end();) {
    if (it->index != 0 && it->index <= applied_index_) {
      std::move(it->waiters.begin(), it->waiters.end(), std::back_inserter(ready));
      it = read_batches_.erase(it);
    } else {
      ++it;
    }
  }
  for (ReadWaiter& r : ready) {
    replies_.push_back([r = std::move(r)]() mutable { std::move(r)(absl::OkStatus()); });
  }
  HandOffReplies();
}

void EtcdServer::HandOffReplies() {
  if (replies_.empty()) return;
  {
    std::lock_guard lock(reads_mu_);
    if (answers_.empty()) {
      answers_.swap(replies_);
    } else {
      std::move(replies_.begin(), replies_.end(), std::back_inserter(answers_));
      replies_.clear();
    }
  }
  reads_ready_.notify_one();
}

void EtcdServer::RunReads() {
  while (true) {
    std::vector<absl::AnyInvocable<void() &&>> batch;
    {
      std::unique_lock lock(reads_mu_);
      reads_ready_.wait(lock, [&] { return reads_stopping_ || !answers_.empty(); });
      if (answers_.empty()) return;  // stopping, and nothing left to answer
      batch.swap(answers_);
    }
    for (auto& answer : batch) std::move(answer)();
  }
}

// ---- Requests ----

void EtcdServer::FillHeader(etcdserverpb::ResponseHeader* h) const {
  h->set_cluster_id(cluster_id_);
  h->set_member_id(member_id_);
  h->set_raft_term(term_);
}

template <typename Response>
void EtcdServer::ProposeAndWait(serverpb::InternalRaftRequest req, api::Done<Response> done) {
  Propose(std::move(req), [this, done = std::move(done)](ApplyResult result) mutable {
    if (!result.status.ok()) {
      std::move(done)(result.status);
      return;
    }
    if (result.response == nullptr) {
      // Applied before a restart: the answer is gone with the client that waited for it.
      std::move(done)(ErrStopped());
      return;
    }
    auto* resp = static_cast<Response*>(result.response.get());
    FillHeader(resp->mutable_header());
    std::move(done)(std::move(*resp));
  });
}

void EtcdServer::Propose(serverpb::InternalRaftRequest req, Waiter waiter) {
  const uint64_t id = next_request_id_.fetch_add(1);
  req.mutable_header()->set_id(id);
  std::string data = req.SerializeAsString();
  if (static_cast<int64_t>(data.size()) > options_.max_request_bytes) {
    std::move(waiter)(ApplyResult{ErrRequestTooLarge(), nullptr});
    return;
  }
  const Clock::time_point deadline = RequestDeadline();
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending_.emplace(id, PendingWrite{std::move(waiter), deadline, Clock::now()});
      proposals_.push_back(Proposal{id, std::move(data), deadline});
    }
  }
  if (waiter) {  // not queued: the server is stopping (called outside the lock)
    std::move(waiter)(ApplyResult{ErrStopped(), nullptr});
    return;
  }
  wake_.notify_one();
}

void EtcdServer::ReadBarrier(bool serializable, ReadWaiter then) {
  if (serializable) {
    std::move(then)(absl::OkStatus());
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!stopping_) reads_.push_back(std::move(then));
  }
  if (then) {  // not queued: the server is stopping (called outside the lock)
    std::move(then)(ErrStopped());
    return;
  }
  wake_.notify_one();
}

void EtcdServer::Range(const etcdserverpb::RangeRequest& r,
                       api::Done<etcdserverpb::RangeResponse> done) {
  if (absl::Status s = CheckRange(r); !s.ok()) {
    std::move(done)(s);
    return;
  }
  ReadBarrier(r.serializable(), [this, &r, done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) {
      std::move(done)(s);
      return;
    }
    auto resp = applier_->Range(r);
    if (resp.ok()) FillHeader(resp->mutable_header());
    std::move(done)(std::move(resp));
  });
}

void EtcdServer::Put(const etcdserverpb::PutRequest& r, api::Done<etcdserverpb::PutResponse> done) {
  if (absl::Status s = CheckPut(r); !s.ok()) {
    std::move(done)(s);
    return;
  }
  if (absl::Status s = CheckQuota(r.ByteSizeLong()); !s.ok()) {
    std::move(done)(s);
    return;
  }
  serverpb::InternalRaftRequest req;
  *req.mutable_put() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::DeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                             api::Done<etcdserverpb::DeleteRangeResponse> done) {
  if (absl::Status s = CheckDeleteRange(r); !s.ok()) {
    std::move(done)(s);
    return;
  }
  serverpb::InternalRaftRequest req;
  *req.mutable_delete_range() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::Txn(const etcdserverpb::TxnRequest& r, api::Done<etcdserverpb::TxnResponse> done) {
  if (absl::Status s = CheckTxn(r, options_.max_txn_ops); !s.ok()) {
    std::move(done)(s);
    return;
  }
  if (Applier::IsReadOnly(r)) {
    ReadBarrier(IsTxnSerializable(r), [this, &r, done = std::move(done)](absl::Status s) mutable {
      if (!s.ok()) {
        std::move(done)(s);
        return;
      }
      auto resp = applier_->Txn(r);
      if (resp.ok()) FillHeader(resp->mutable_header());
      std::move(done)(std::move(resp));
    });
    return;
  }
  if (absl::Status s = CheckQuota(r.ByteSizeLong()); !s.ok()) {
    std::move(done)(s);
    return;
  }
  serverpb::InternalRaftRequest req;
  *req.mutable_txn() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::Compact(const etcdserverpb::CompactionRequest& r,
                         api::Done<etcdserverpb::CompactionResponse> done) {
  serverpb::InternalRaftRequest req;
  *req.mutable_compaction() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::FillMembers(
    google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out) const {
  std::lock_guard lock(members_mu_);
  for (const auto& [id, m] : members_) {
    etcdserverpb::Member* member = out->Add();
    member->set_id(id);
    member->set_name(m.name());
    for (const auto& u : m.peer_urls()) member->add_peerurls(u);
    for (const auto& u : m.client_urls()) member->add_clienturls(u);
    member->set_islearner(m.is_learner());
  }
}

void EtcdServer::MemberList(const etcdserverpb::MemberListRequest&,
                            api::Done<etcdserverpb::MemberListResponse> done) {
  etcdserverpb::MemberListResponse resp;
  FillMembers(resp.mutable_members());
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(kv_->Rev());
  std::move(done)(std::move(resp));
}

void EtcdServer::RunInLoop(absl::AnyInvocable<void() &&> task) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      task = nullptr;
    }
  }
  if (task) return;  // stopping: dropped (its captures are destroyed here)
  wake_.notify_one();
}

void EtcdServer::ProposeConfChange(raftpb::ConfChange cc,
                                   absl::AnyInvocable<void(absl::Status) &&> done) {
  const uint64_t id = next_request_id_.fetch_add(1);
  cc.set_id(id);
  Waiter waiter = [done = std::move(done)](ApplyResult result) mutable {
    std::move(done)(result.status);
  };
  const Clock::time_point deadline = RequestDeadline();
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      pending_.emplace(id, PendingWrite{std::move(waiter), deadline, Clock::now()});
      proposals_.push_back(Proposal{id, {}, deadline, std::move(cc)});
    }
  }
  if (waiter) {
    std::move(waiter)(ApplyResult{ErrStopped(), nullptr});
    return;
  }
  wake_.notify_one();
}

bool EtcdServer::IsReadyToAddVotingMember() const {
  std::lock_guard lock(members_mu_);
  int members = 1;  // the one to add
  int started = 0;
  for (const auto& [id, m] : members_) {
    if (m.is_learner()) continue;
    if (!m.name().empty()) ++started;
    ++members;
  }
  // Adding a second member to a one-member cluster (to restore its data elsewhere) is fine.
  if (started == 1 && members == 2) return true;
  return started >= members / 2 + 1;
}

bool EtcdServer::IsReadyToRemoveVotingMember(uint64_t removed) const {
  std::lock_guard lock(members_mu_);
  int members = 0;
  int started = 0;
  for (const auto& [id, m] : members_) {
    if (m.is_learner() || id == removed) continue;
    if (!m.name().empty()) ++started;
    ++members;
  }
  return started >= members / 2 + 1;
}

bool EtcdServer::IsReadyToPromoteMember(uint64_t promoted) const {
  std::lock_guard lock(members_mu_);
  int members = 1;  // the learner
  int started = 1;
  for (const auto& [id, m] : members_) {
    if (m.is_learner()) continue;
    if (!m.name().empty()) ++started;
    ++members;
  }
  return started >= members / 2 + 1;
}

bool EtcdServer::IsConnectedSince(uint64_t id, Clock::time_point since) const {
  if (id == member_id_ || transport_ == nullptr) return true;
  auto active = transport_->ActiveSince(id);
  return active.has_value() && *active <= since;
}

bool EtcdServer::IsConnectedToAllVoters() const {
  // etcd's isConnectedFullySince(now - HealthInterval): every voter connected for 5 s.
  const auto since = Clock::now() - kHealthInterval;
  std::lock_guard lock(members_mu_);
  for (const auto& [id, m] : members_) {
    if (!m.is_learner() && !IsConnectedSince(id, since)) return false;
  }
  return true;
}

template <typename Response>
absl::AnyInvocable<void(absl::Status) &&> EtcdServer::AnswerWithMembers(
    api::Done<Response> done) {
  return [this, done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) {
      std::move(done)(s);
      return;
    }
    Response resp;
    FillHeader(resp.mutable_header());
    FillMembers(resp.mutable_members());
    std::move(done)(std::move(resp));
  };
}

namespace {

// The peer URLs of a member request, normalized and sorted as etcd keeps them.
// Errors: ErrMemberBadURLs for any that does not parse.
absl::StatusOr<std::vector<std::string>> PeerUrlsOf(
    const google::protobuf::RepeatedPtrField<std::string>& given) {
  if (given.empty()) return ErrMemberBadURLs();  // etcd's types.NewURLs refuses none
  std::vector<std::string> urls;
  for (const std::string& u : given) {
    auto parsed = ParseUrl(u);
    if (!parsed.ok()) return ErrMemberBadURLs();
    urls.push_back(parsed->ToString());
  }
  std::sort(urls.begin(), urls.end());
  return urls;
}

}  // namespace

void EtcdServer::MemberAdd(const etcdserverpb::MemberAddRequest& r,
                           api::Done<etcdserverpb::MemberAddResponse> done) {
  auto parsed_urls = PeerUrlsOf(r.peerurls());
  if (!parsed_urls.ok()) {
    std::move(done)(parsed_urls.status());
    return;
  }
  const std::vector<std::string>& urls = *parsed_urls;
  if (options_.strict_reconfig_check) {
    if (!r.islearner() && !IsReadyToAddVotingMember()) {
      std::move(done)(ErrMemberNotEnoughStarted());
      return;
    }
    if (!IsConnectedToAllVoters()) {
      std::move(done)(ErrUnhealthy());
      return;
    }
  }
  // As etcd's NewMember for a member added at run time: the URLs, no cluster token, and the
  // time in seconds, so that re-adding the same URLs later gives a new ID.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  serverpb::Member m;
  m.set_id(ComputeMemberId(urls, std::to_string(now)));
  for (const auto& u : urls) m.add_peer_urls(u);
  m.set_is_learner(r.islearner());
  raftpb::ConfChange cc;
  cc.set_type(r.islearner() ? raftpb::CONF_CHANGE_ADD_LEARNER_NODE : raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(m.id());
  cc.set_context(m.SerializeAsString());
  ProposeConfChange(std::move(cc), [this, m, done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) {
      std::move(done)(s);
      return;
    }
    etcdserverpb::MemberAddResponse resp;
    FillHeader(resp.mutable_header());
    resp.mutable_member()->set_id(m.id());
    for (const auto& u : m.peer_urls()) resp.mutable_member()->add_peerurls(u);
    resp.mutable_member()->set_islearner(m.is_learner());
    FillMembers(resp.mutable_members());
    std::move(done)(std::move(resp));
  });
}

void EtcdServer::MemberRemove(const etcdserverpb::MemberRemoveRequest& r,
                              api::Done<etcdserverpb::MemberRemoveResponse> done) {
  const uint64_t id = r.id();
  if (options_.strict_reconfig_check) {
    bool exists = false, learner = false;
    std::vector<uint64_t> voters;
    {
      std::lock_guard lock(members_mu_);
      auto it = members_.find(id);
      exists = it != members_.end();
      learner = exists && it->second.is_learner();
      for (const auto& [mid, m] : members_) {
        if (!m.is_learner()) voters.push_back(mid);
      }
    }
    // Removing a learner never costs the quorum.
    if (!learner) {
      if (!IsReadyToRemoveVotingMember(id)) {
        std::move(done)(ErrMemberNotEnoughStarted());
        return;
      }
      // A member that is down is safe to remove: it is not part of the active quorum.
      const bool down = id != member_id_ && transport_ != nullptr && !transport_->IsActive(id);
      if (!down) {
        // etcd's numConnectedSince(now - HealthInterval).
        const auto since = Clock::now() - kHealthInterval;
        int active = 0;
        for (uint64_t v : voters) {
          if (IsConnectedSince(v, since)) ++active;
        }
        const int size = static_cast<int>(voters.size());
        if (active - 1 < 1 + (size - 1) / 2) {
          std::move(done)(ErrUnhealthy());
          return;
        }
      }
    }
  }
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_REMOVE_NODE);
  cc.set_node_id(id);
  ProposeConfChange(std::move(cc), AnswerWithMembers(std::move(done)));
}

void EtcdServer::MemberUpdate(const etcdserverpb::MemberUpdateRequest& r,
                              api::Done<etcdserverpb::MemberUpdateResponse> done) {
  serverpb::Member m;
  m.set_id(r.id());
  auto parsed_urls = PeerUrlsOf(r.peerurls());
  if (!parsed_urls.ok()) {
    std::move(done)(parsed_urls.status());
    return;
  }
  const std::vector<std::string>& urls = *parsed_urls;
  for (const auto& u : urls) m.add_peer_urls(u);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_UPDATE_NODE);
  cc.set_node_id(r.id());
  cc.set_context(m.SerializeAsString());
  ProposeConfChange(std::move(cc), AnswerWithMembers(std::move(done)));
}

void EtcdServer::PromoteAsLeader(uint64_t id, absl::AnyInvocable<void(absl::Status) &&> done) {
  const raft::Status st = node_->GetStatus();
  if (st.progress.empty()) {
    std::move(done)(ErrNotLeader());
    return;
  }
  auto learner = st.progress.find(id);
  auto self = st.progress.find(member_id_);
  if (self == st.progress.end()) {  // a leader that removed itself, about to stop
    std::move(done)(ErrNotLeader());
    return;
  }
  if (learner != st.progress.end()) {
    const uint64_t leader_match = self->second.match;
    // etcd's readyPercent: the learner has 90% of the leader's log.
    if (static_cast<double>(learner->second.match) < static_cast<double>(leader_match) * 0.9) {
      std::move(done)(ErrLearnerNotReady());
      return;
    }
  }
  if (options_.strict_reconfig_check && !IsReadyToPromoteMember(id)) {
    std::move(done)(ErrMemberNotEnoughStarted());
    return;
  }
  serverpb::Member m;
  m.set_id(id);
  m.set_promote(true);
  raftpb::ConfChange cc;
  cc.set_type(raftpb::CONF_CHANGE_ADD_NODE);
  cc.set_node_id(id);
  cc.set_context(m.SerializeAsString());
  ProposeConfChange(std::move(cc), std::move(done));
}

void EtcdServer::MemberPromote(const etcdserverpb::MemberPromoteRequest& r,
                               api::Done<etcdserverpb::MemberPromoteResponse> done) {
  const uint64_t id = r.id();
  if (leader_ == member_id_) {
    RunInLoop([this, id, answer = AnswerWithMembers(std::move(done))]() mutable {
      PromoteAsLeader(id, std::move(answer));
    });
    return;
  }
  // Only the leader knows how far the learner is: ask it.
  peerpb::ForwardRequest req;
  req.set_promote_member_id(id);
  ForwardToLeader<etcdserverpb::MemberPromoteResponse>(req, std::move(done));
}

void EtcdServer::MoveLeader(const etcdserverpb::MoveLeaderRequest& r,
                            api::Done<etcdserverpb::MoveLeaderResponse> done) {
  if (leader_ != member_id_) {
    std::move(done)(ErrNotLeader());
    return;
  }
  {
    std::lock_guard lock(members_mu_);
    auto it = members_.find(r.targetid());
    if (it == members_.end() || it->second.is_learner()) {
      std::move(done)(ErrBadLeaderTransferee());
      return;
    }
  }
  const uint64_t transferee = r.targetid();
  RunInLoop([this, transferee, done = std::move(done)]() mutable {
    LOG(INFO) << "leadership transfer starting: " << MemberIdToString(member_id_) << " -> "
              << MemberIdToString(transferee);
    node_->TransferLeader(transferee);
    transfers_.push_back(LeaderTransfer{
        transferee, RequestDeadline(), [this, done = std::move(done)](absl::Status s) mutable {
          if (!s.ok()) {
            std::move(done)(s);
            return;
          }
          etcdserverpb::MoveLeaderResponse resp;
          FillHeader(resp.mutable_header());
          std::move(done)(std::move(resp));
        }});
  });
}

void EtcdServer::CheckLeaderTransfers(Clock::time_point now) {
  for (auto it = transfers_.begin(); it != transfers_.end();) {
    if (leader_ == it->transferee) {
      LOG(INFO) << "leadership transfer finished: " << MemberIdToString(it->transferee)
                << " leads";
      std::move(it->done)(absl::OkStatus());
    } else if (now >= it->deadline) {
      std::move(it->done)(ErrTimeoutLeaderTransfer());
    } else {
      ++it;
      continue;
    }
    it = transfers_.erase(it);
  }
}

void EtcdServer::Status(const etcdserverpb::StatusRequest&,
                        api::Done<etcdserverpb::StatusResponse> done) {
  etcdserverpb::StatusResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(kv_->Rev());
  resp.set_version(kServerVersion);
  const int64_t db_size = backend_size_.load();  // refreshed every tick and after a defrag
  resp.set_dbsize(db_size);
  resp.set_dbsizeinuse(std::min<int64_t>(db_size, backend_->ApproximateSizeBytes()));
  resp.set_leader(leader_);
  resp.set_raftindex(raft_index_);
  resp.set_raftterm(term_);
  resp.set_raftappliedindex(applied_);
  resp.set_islearner(is_learner_);
  if (leader_ == raft::kNone) resp.add_errors("etcdserver: no leader");
  for (std::string& a : AlarmStrings()) resp.add_errors(std::move(a));
  std::move(done)(std::move(resp));
}

bool EtcdServer::CheckHealth(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(alarms_mu_);
    if (!alarms_.empty()) return false;
  }
  if (!HasLeader()) return false;
  auto done = std::make_shared<std::promise<absl::Status>>();
  auto result = done->get_future();
  ReadBarrier(false, [done](absl::Status s) { done->set_value(s); });
  return result.wait_for(timeout) == std::future_status::ready && result.get().ok();
}

// ---- Alarms, quota, hashes ----

namespace {

constexpr char kAlarmPrefix[] = "alarm/";

std::string AlarmKey(uint64_t member, int type) {
  char key[64];
  std::snprintf(key, sizeof(key), "%s%016llx/%d", kAlarmPrefix,
                static_cast<unsigned long long>(member), type);
  return key;
}

}  // namespace

void EtcdServer::UpdateAlarmFlags() {
  const auto raised = [this](etcdserverpb::AlarmType type) {
    return std::any_of(alarms_.begin(), alarms_.end(),
                       [type](const auto& a) { return a.second == type; });
  };
  nospace_ = raised(etcdserverpb::NOSPACE);
  corrupt_ = raised(etcdserverpb::CORRUPT);
}

absl::Status EtcdServer::LoadAlarms() {
  std::set<std::pair<uint64_t, int>> alarms;
  absl::Status s = backend_->Scan(
      mvcc::Bucket::kMembers, kAlarmPrefix, "alarm0", [&](std::string_view k, std::string_view) {
        unsigned long long member = 0;
        int type = 0;
        if (std::sscanf(std::string(k).c_str(), "alarm/%16llx/%d", &member, &type) == 2) {
          alarms.emplace(member, type);
        }
        return true;
      });
  if (!s.ok()) return s;
  std::lock_guard lock(alarms_mu_);
  alarms_ = std::move(alarms);
  UpdateAlarmFlags();
  return absl::OkStatus();
}

EtcdServer::ApplyResult EtcdServer::ApplyAlarm(const etcdserverpb::AlarmRequest& r) {
  auto resp = std::make_unique<etcdserverpb::AlarmResponse>();
  std::lock_guard lock(alarms_mu_);
  const std::pair<uint64_t, int> alarm{r.memberid(), static_cast<int>(r.alarm())};
  mvcc::WriteBatch batch;
  switch (r.action()) {
    case etcdserverpb::AlarmRequest::GET:
      for (const auto& [member, type] : alarms_) {
        if (r.alarm() != etcdserverpb::NONE && type != r.alarm()) continue;
        etcdserverpb::AlarmMember* m = resp->add_alarms();
        m->set_memberid(member);
        m->set_alarm(static_cast<etcdserverpb::AlarmType>(type));
      }
      break;
    case etcdserverpb::AlarmRequest::ACTIVATE:
      if (r.alarm() == etcdserverpb::NONE || !alarms_.insert(alarm).second) break;
      batch.Put(mvcc::Bucket::kMembers, AlarmKey(alarm.first, alarm.second), "");
      *resp->add_alarms() = etcdserverpb::AlarmMember();
      resp->mutable_alarms(0)->set_memberid(r.memberid());
      resp->mutable_alarms(0)->set_alarm(r.alarm());
      LOG(WARNING) << "alarm " << etcdserverpb::AlarmType_Name(r.alarm()) << " raised by member "
                   << MemberIdToString(r.memberid());
      break;
    case etcdserverpb::AlarmRequest::DEACTIVATE:
      if (alarms_.erase(alarm) == 0) break;
      batch.Delete(mvcc::Bucket::kMembers, AlarmKey(alarm.first, alarm.second));
      *resp->add_alarms() = etcdserverpb::AlarmMember();
      resp->mutable_alarms(0)->set_memberid(r.memberid());
      resp->mutable_alarms(0)->set_alarm(r.alarm());
      LOG(INFO) << "alarm " << etcdserverpb::AlarmType_Name(r.alarm()) << " cleared for member "
                << MemberIdToString(r.memberid());
      break;
    default:
      break;
  }
  if (batch.count() > 0) {
    kv_->AddConsistentIndex(batch);
    absl::Status s = backend_->Write(batch);
    CHECK(s.ok()) << "failed to write the backend: " << s;
  }
  UpdateAlarmFlags();
  if (r.memberid() == member_id_ && r.alarm() == etcdserverpb::NOSPACE) nospace_proposed_ = false;
  resp->mutable_header()->set_revision(kv_->Rev());
  return ApplyResult{absl::OkStatus(), std::move(resp)};
}

std::vector<std::string> EtcdServer::AlarmStrings() const {
  std::vector<std::string> out;
  std::lock_guard lock(alarms_mu_);
  for (const auto& [member, type] : alarms_) {
    // Go's proto.CompactTextString of the AlarmMember, as etcd reports it.
    out.push_back("memberID:" + std::to_string(member) + " alarm:" +
                  etcdserverpb::AlarmType_Name(static_cast<etcdserverpb::AlarmType>(type)) + " ");
  }
  return out;
}

absl::Status EtcdServer::CheckQuota(size_t bytes) {
  if (nospace_) return ErrNoSpace();
  if (options_.quota_backend_bytes < 0) return absl::OkStatus();
  if (backend_size_.load() + static_cast<int64_t>(bytes) <= options_.quota_backend_bytes) {
    return absl::OkStatus();
  }
  if (!nospace_proposed_.exchange(true)) {
    serverpb::InternalRaftRequest req;
    req.mutable_alarm()->set_action(etcdserverpb::AlarmRequest::ACTIVATE);
    req.mutable_alarm()->set_memberid(member_id_);
    req.mutable_alarm()->set_alarm(etcdserverpb::NOSPACE);
    LOG(WARNING) << "backend size " << backend_size_.load() << " bytes exceeds the quota of "
                 << options_.quota_backend_bytes << " bytes; raising NOSPACE";
    Propose(std::move(req), [this](ApplyResult result) {
      if (!result.status.ok()) nospace_proposed_ = false;  // try again on the next write
    });
  }
  return ErrNoSpace();
}

void EtcdServer::Alarm(const etcdserverpb::AlarmRequest& r,
                       api::Done<etcdserverpb::AlarmResponse> done) {
  serverpb::InternalRaftRequest req;
  *req.mutable_alarm() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::Defragment(const etcdserverpb::DefragmentRequest&,
                            api::Done<etcdserverpb::DefragmentResponse> done) {
  LOG(INFO) << "defragmenting the backend " << backend_->dir();
  if (absl::Status s = backend_->Defragment(); !s.ok()) {
    std::move(done)(s);
    return;
  }
  backend_size_ = DirectorySize(backend_->dir());
  LOG(INFO) << "defragmented the backend: " << backend_size_.load() << " bytes";
  etcdserverpb::DefragmentResponse resp;
  FillHeader(resp.mutable_header());
  std::move(done)(std::move(resp));
}

void EtcdServer::Hash(const etcdserverpb::HashRequest&,
                      api::Done<etcdserverpb::HashResponse> done) {
  // Everything but the metadata bucket, whose consistent index differs between members.
  auto txn = kv_->Read();  // no write meanwhile
  auto reader = backend_->NewReader();
  uint32_t crc = 0;
  mvcc::Bucket bucket;
  std::string key, value;
  while (reader->Next(&bucket, &key, &value)) {
    if (bucket == mvcc::Bucket::kMeta) continue;
    const char b = static_cast<char>(bucket);
    crc = wal::crc32c::Extend(crc, &b, 1);
    crc = wal::crc32c::Extend(crc, key.data(), key.size());
    crc = wal::crc32c::Extend(crc, value.data(), value.size());
  }
  if (!reader->status().ok()) {
    std::move(done)(reader->status());
    return;
  }
  etcdserverpb::HashResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(txn->Rev());
  resp.set_hash(crc);
  std::move(done)(std::move(resp));
}

void EtcdServer::HashKV(const etcdserverpb::HashKVRequest& r,
                        api::Done<etcdserverpb::HashKVResponse> done) {
  auto txn = kv_->Read();  // no write or compaction meanwhile
  const int64_t rev = r.revision() == 0 ? txn->Rev() : r.revision();
  if (r.revision() != 0 && rev <= txn->CompactRev()) {
    std::move(done)(ErrCompacted());
    return;
  }
  if (rev > txn->Rev()) {
    std::move(done)(ErrFutureRev());
    return;
  }
  // As etcd's HashByRev: the bucket name, then every revision record up to `rev`.
  uint32_t crc = wal::crc32c::Extend(0, "key", 3);
  absl::Status s = backend_->Scan(
      mvcc::Bucket::kKey, "", mvcc::EncodeRevision(mvcc::Revision{rev + 1, 0}),
      [&](std::string_view k, std::string_view v) {
        crc = wal::crc32c::Extend(crc, k.data(), k.size());
        crc = wal::crc32c::Extend(crc, v.data(), v.size());
        return true;
      });
  if (!s.ok()) {
    std::move(done)(s);
    return;
  }
  etcdserverpb::HashKVResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(txn->Rev());
  resp.set_hash(crc);
  resp.set_compact_revision(std::max<int64_t>(txn->CompactRev(), 0));
  std::move(done)(std::move(resp));
}

namespace {

class BackendSnapshotStream final : public api::SnapshotStream {
 public:
  BackendSnapshotStream(std::unique_ptr<mvcc::BackendReader> reader,
                        etcdserverpb::ResponseHeader header, int64_t approximate_bytes)
      : encoder_(std::move(reader)), header_(std::move(header)), remaining_(approximate_bytes) {}

  bool Next(etcdserverpb::SnapshotResponse* out) override {
    // One piece of lookahead, to know which message is the last (remaining_bytes 0).
    if (!started_) {
      started_ = true;
      have_ = encoder_.Next(&current_);
    }
    if (!have_) return false;
    std::string next;
    const bool more = encoder_.Next(&next);
    if (first_) *out->mutable_header() = header_;
    first_ = false;
    // The total is known only at the end: until then, an estimate from the backend's size.
    remaining_ = std::max<int64_t>(remaining_ - static_cast<int64_t>(current_.size()), 1);
    out->set_remaining_bytes(more ? remaining_ : 0);
    out->set_blob(std::move(current_));
    current_ = std::move(next);
    have_ = more;
    return true;
  }
  absl::Status status() const override { return encoder_.status(); }

 private:
  SnapshotEncoder encoder_;
  etcdserverpb::ResponseHeader header_;
  int64_t remaining_;
  bool started_ = false, have_ = false, first_ = true;
  std::string current_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<api::SnapshotStream>> EtcdServer::NewSnapshotStream() {
  etcdserverpb::ResponseHeader header;
  FillHeader(&header);
  std::unique_ptr<mvcc::BackendReader> reader;
  {
    auto txn = kv_->Read();  // the revision and the reader see the same state
    header.set_revision(txn->Rev());
    reader = backend_->NewReader();
  }
  LOG(INFO) << "sending a snapshot of the backend at revision " << header.revision();
  return std::make_unique<BackendSnapshotStream>(std::move(reader), std::move(header),
                                                 backend_->ApproximateSizeBytes());
}

// ---- Leases ----

EtcdServer::ApplyResult EtcdServer::ApplyLeaseGrant(const etcdserverpb::LeaseGrantRequest& r) {
  mvcc::WriteBatch batch;
  auto granted = lessor_->Grant(r.id(), r.ttl(), lease::Clock::now(), &batch);
  if (!granted.ok()) {
    return ApplyResult{lease::IsLeaseExists(granted.status()) ? ErrLeaseExist()
                       : lease::IsLeaseTTLTooLarge(granted.status()) ? ErrLeaseTTLTooLarge()
                                                                      : granted.status(),
                       nullptr};
  }
  kv_->AddConsistentIndex(batch);
  absl::Status s = backend_->Write(batch);
  CHECK(s.ok()) << "failed to write the backend: " << s;
  auto resp = std::make_unique<etcdserverpb::LeaseGrantResponse>();
  resp->set_id(r.id());
  resp->set_ttl(granted->ttl);
  resp->mutable_header()->set_revision(kv_->Rev());
  return ApplyResult{absl::OkStatus(), std::move(resp)};
}

EtcdServer::ApplyResult EtcdServer::ApplyLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r) {
  auto info = lessor_->Lookup(r.id(), lease::Clock::now());
  if (!info) return ApplyResult{ErrLeaseNotFound(), nullptr};
  // The attached keys go in one revision, atomically with the lease itself.
  auto resp = std::make_unique<etcdserverpb::LeaseRevokeResponse>();
  resp->mutable_header()->set_revision(applier_->DeleteKeys(info->keys, [&](mvcc::WriteBatch& b) {
    CHECK(lessor_->Revoke(r.id(), &b).ok());
  }));
  return ApplyResult{absl::OkStatus(), std::move(resp)};
}

void EtcdServer::TrackLeases(const std::vector<mvccpb::Event>& changes) {
  for (const mvccpb::Event& ev : changes) {
    const std::string& key = ev.kv().key();
    const int64_t old_lease = lessor_->GetLease(key);
    const int64_t new_lease = ev.type() == mvccpb::Event::PUT ? ev.kv().lease() : lease::kNoLease;
    if (old_lease == new_lease) continue;
    // A lease revoked in the same transaction is gone already: nothing to detach.
    if (old_lease != lease::kNoLease) (void)lessor_->Detach(old_lease, key);
    if (new_lease != lease::kNoLease) (void)lessor_->Attach(new_lease, key);
  }
}

void EtcdServer::RevokeExpiredLeases() {
  if (!lessor_->IsPrimary()) return;
  // etcd revokes at most leaseRevokeRate (1000) leases a second; we look every tick.
  const size_t limit = std::max<size_t>(1, 1000 * options_.heartbeat_interval_ms / 1000);
  for (int64_t id : lessor_->ExpiredLeases(lease::Clock::now(), limit)) {
    serverpb::InternalRaftRequest req;
    req.mutable_header()->set_id(next_request_id_.fetch_add(1));
    req.mutable_lease_revoke()->set_id(id);
    LOG(INFO) << "lease " << std::hex << id << " expired; proposing its revocation";
    if (absl::Status s = node_->Propose(req.SerializeAsString()); !s.ok()) {
      LOG(WARNING) << "cannot propose the revocation of lease " << std::hex << id << ": " << s;
    }
  }
}

void EtcdServer::LeaseGrant(const etcdserverpb::LeaseGrantRequest& r,
                            api::Done<etcdserverpb::LeaseGrantResponse> done) {
  if (r.ttl() > lease::kMaxLeaseTTL) {
    std::move(done)(ErrLeaseTTLTooLarge());
    return;
  }
  if (absl::Status s = CheckQuota(r.ByteSizeLong()); !s.ok()) {
    std::move(done)(s);
    return;
  }
  serverpb::InternalRaftRequest req;
  *req.mutable_lease_grant() = r;
  // No ID given: choose a positive one, unique like request IDs.
  while (req.lease_grant().id() == 0) {
    req.mutable_lease_grant()->set_id(
        static_cast<int64_t>(next_request_id_.fetch_add(1) & ((1ull << 63) - 1)));
  }
  ProposeAndWait(std::move(req), std::move(done));
}

void EtcdServer::LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r,
                             api::Done<etcdserverpb::LeaseRevokeResponse> done) {
  serverpb::InternalRaftRequest req;
  *req.mutable_lease_revoke() = r;
  ProposeAndWait(std::move(req), std::move(done));
}

absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> EtcdServer::LocalLeaseKeepAlive(int64_t id) {
  auto ttl = lessor_->Renew(id, lease::Clock::now());
  if (!ttl.ok() && lease::IsNotPrimary(ttl.status())) return ErrNoLeader();
  etcdserverpb::LeaseKeepAliveResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(kv_->Rev());
  resp.set_id(id);
  resp.set_ttl(ttl.ok() ? *ttl : 0);  // etcd answers TTL 0 for a lease it does not know
  return resp;
}

etcdserverpb::LeaseTimeToLiveResponse EtcdServer::LocalLeaseTimeToLive(int64_t id, bool keys) {
  etcdserverpb::LeaseTimeToLiveResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(kv_->Rev());
  resp.set_id(id);
  auto info = lessor_->Lookup(id, lease::Clock::now());
  if (!info) {
    resp.set_ttl(-1);  // as etcd: not an error, TTL -1
  } else {
    // Whole seconds left, rounded down as etcd does.
    resp.set_ttl(std::chrono::duration_cast<std::chrono::seconds>(info->remaining).count());
    resp.set_grantedttl(info->granted_ttl);
    if (keys) {
      for (const std::string& k : info->keys) resp.add_keys(k);
    }
  }
  return resp;
}

template <typename Response>
void EtcdServer::ForwardToLeader(const peerpb::ForwardRequest& request,
                                 api::Done<Response> done) {
  ForwardToLeaderRaw(request, [this, done = std::move(done)](
                                  absl::StatusOr<std::string> bytes) mutable {
    Response resp;
    if (!bytes.ok()) {
      std::move(done)(bytes.status());
    } else if (!resp.ParseFromString(*bytes)) {
      std::move(done)(ErrNoLeader());
    } else {
      FillHeader(resp.mutable_header());
      std::move(done)(std::move(resp));
    }
  });
}

void EtcdServer::ForwardToLeaderRaw(const peerpb::ForwardRequest& request,
                                    absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done) {
  const uint64_t leader = leader_;
  if (leader == raft::kNone || leader == member_id_ || transport_ == nullptr) {
    std::move(done)(ErrNoLeader());
    return;
  }
  transport_->Forward(
      leader, request, std::chrono::milliseconds(options_.election_timeout_ms),
      [done = std::move(done)](absl::StatusOr<peerpb::ForwardResponse> r) mutable {
        if (!r.ok()) {
          LOG(WARNING) << "forwarding a request to the leader failed: " << r.status();
          // The leader's own answers (a lagging learner, say) go to the client as they are;
          // a leader that could not be reached is "no leader" to the client.
          const bool leader_answered = r.status().code() != absl::StatusCode::kUnavailable &&
                                       r.status().code() != absl::StatusCode::kDeadlineExceeded;
          std::move(done)(leader_answered ? r.status() : ErrNoLeader());
          return;
        }
        std::move(done)(std::move(*r->mutable_response()));
      });
}

void EtcdServer::LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& r,
                                api::Done<etcdserverpb::LeaseKeepAliveResponse> done) {
  // Only the leader runs lease clocks; a follower passes the renewal on.
  if (lessor_->IsPrimary()) {
    std::move(done)(LocalLeaseKeepAlive(r.id()));
    return;
  }
  peerpb::ForwardRequest req;
  req.mutable_lease()->set_id(r.id());
  ForwardToLeader<etcdserverpb::LeaseKeepAliveResponse>(req, std::move(done));
}

void EtcdServer::LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                                 api::Done<etcdserverpb::LeaseTimeToLiveResponse> done) {
  if (lessor_->IsPrimary()) {
    std::move(done)(LocalLeaseTimeToLive(r.id(), r.keys()));
    return;
  }
  peerpb::ForwardRequest req;
  req.mutable_lease()->set_id(r.id());
  req.mutable_lease()->set_keys(r.keys());
  req.mutable_lease()->set_time_to_live(true);
  ForwardToLeader<etcdserverpb::LeaseTimeToLiveResponse>(req, std::move(done));
}

void EtcdServer::LeaseLeases(const etcdserverpb::LeaseLeasesRequest&,
                             api::Done<etcdserverpb::LeaseLeasesResponse> done) {
  etcdserverpb::LeaseLeasesResponse resp;
  FillHeader(resp.mutable_header());
  resp.mutable_header()->set_revision(kv_->Rev());
  for (const lease::LeaseInfo& l : lessor_->Leases(lease::Clock::now())) {
    resp.add_leases()->set_id(l.id);
  }
  std::move(done)(std::move(resp));
}

// ---- Snapshots ----

std::string EtcdServer::SnapshotDbPath(uint64_t index) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%016llx.snap.db", static_cast<unsigned long long>(index));
  return (fs::path(snap_dir_) / name).string();
}

serverpb::SnapshotData EtcdServer::MembershipSnapshot() const {
  serverpb::SnapshotData data;
  std::lock_guard lock(members_mu_);
  for (const auto& [id, m] : members_) *data.add_members() = m;
  for (uint64_t id : removed_) data.add_removed(id);
  return data;
}

void EtcdServer::RestoreMembership(const serverpb::SnapshotData& data) {
  std::map<uint64_t, serverpb::Member> members;
  for (const serverpb::Member& m : data.members()) members[m.id()] = m;
  std::vector<uint64_t> gone;
  {
    std::lock_guard lock(members_mu_);
    for (const auto& [id, m] : members_) {
      if (members.count(id) == 0) gone.push_back(id);
    }
    members_ = members;
    removed_ = std::set<uint64_t>(data.removed().begin(), data.removed().end());
  }
  auto self = members.find(member_id_);
  is_learner_ = self != members.end() && self->second.is_learner();
  if (transport_ != nullptr) {
    for (uint64_t id : gone) transport_->RemovePeer(id);
    for (const auto& [id, m] : members) {
      transport_->AddPeer(id, {m.peer_urls().begin(), m.peer_urls().end()});
    }
  }
  if (data.removed_size() > 0 &&
      std::find(data.removed().begin(), data.removed().end(), member_id_) != data.removed().end()) {
    removed_stop_at_ = Clock::now() + std::chrono::seconds(1);
  }
}

absl::Status EtcdServer::ReloadLeases() {
  if (absl::Status s = lessor_->Recover(backend_.get(), lease::Clock::now()); !s.ok()) return s;
  // Attachments are not stored with the leases: every key names its lease.
  auto all = kv_->Read()->Range(std::string(1, '\0'), std::string(1, '\0'), {});
  if (!all.ok()) return all.status();
  for (const mvccpb::KeyValue& kv : all->kvs) {
    if (kv.lease() != 0 && !lessor_->Attach(kv.lease(), kv.key()).ok()) {
      LOG(WARNING) << "key " << kv.key() << " names lease " << std::hex << kv.lease()
                   << " which does not exist";
    }
  }
  return absl::OkStatus();
}

absl::Status EtcdServer::RestoreBackendFrom(const std::string& dir) {
  absl::Status s = kv_->RestoreFrom([&] { return backend_->ReplaceWith(dir); });
  if (!s.ok()) return s;
  watchable_->Restored();
  if (absl::Status s = ReloadLeases(); !s.ok()) return s;
  backend_size_ = DirectorySize(backend_->dir());
  return LoadAlarms();
}

void EtcdServer::MaybeSnapshot() {
  const bool alone = conf_state_.voters_size() == 1 && conf_state_.voters(0) == member_id_ &&
                     conf_state_.learners_size() == 0 && conf_state_.voters_outgoing_size() == 0;
  const uint64_t every =
      alone ? std::min(options_.snapshot_count, kAloneSnapshotEvery) : options_.snapshot_count;
  if (applied_index_ > snapshot_index_ + std::max<uint64_t>(every, 1)) TakeSnapshot();
}

void EtcdServer::TakeSnapshot() {
  const uint64_t index = applied_index_;
  // Everything applied is in the backend; entries that changed nothing there (configuration
  // changes, empty entries) count as applied too. Make it durable before the WAL can go.
  kv_->SetConsistentIndex(index);
  mvcc::WriteBatch batch;
  kv_->AddConsistentIndex(batch);
  absl::Status s = backend_->Write(batch);
  if (s.ok()) s = backend_->Sync();
  CHECK(s.ok()) << "failed to sync the backend for a snapshot: " << s;

  auto snapshot =
      raft_storage_.CreateSnapshot(index, &conf_state_, MembershipSnapshot().SerializeAsString());
  if (!snapshot.ok()) {
    LOG(WARNING) << "cannot snapshot at index " << index << ": " << snapshot.status();
    return;
  }
  s = snapshotter_->SaveSnap(*snapshot);
  CHECK(s.ok()) << "failed to save a snapshot: " << s;
  s = wal_->SaveSnapshot({index, snapshot->metadata().term()});
  CHECK(s.ok()) << "failed to record a snapshot in the WAL: " << s;
  snapshot_index_ = index;
  LOG(INFO) << "saved snapshot at index " << index;

  // Keep some entries for followers a little behind; the rest they get by snapshot.
  if (index > options_.snapshot_catchup_entries) {
    const uint64_t compact = index - options_.snapshot_catchup_entries;
    if (absl::Status c = raft_storage_.Compact(compact); !c.ok()) {
      LOG(WARNING) << "cannot compact the Raft log to " << compact << ": " << c;
    }
  }
  if (absl::Status r = wal_->ReleaseLockTo(index); !r.ok()) {
    LOG(WARNING) << "cannot release WAL segments: " << r;
  }
  PurgeFiles();
}

void EtcdServer::ApplySnapshot(const raftpb::Snapshot& snapshot) {
  const uint64_t index = snapshot.metadata().index();
  if (index <= applied_index_) return;
  LOG(INFO) << "applying snapshot at index " << index << " from the leader (applied "
            << applied_index_ << ")";
  const std::string db = SnapshotDbPath(index);
  absl::Status s;
  {
    std::lock_guard lock(snapshot_install_mu_);
    s = RestoreBackendFrom(db);
  }
  CHECK(s.ok()) << "failed to install the database of the snapshot at index " << index << " ("
                << db << "): " << s;
  serverpb::SnapshotData data;
  CHECK(data.ParseFromString(snapshot.data())) << "undecodable snapshot data at index " << index;
  RestoreMembership(data);
  conf_state_ = snapshot.metadata().conf_state();
  applied_index_ = snapshot_index_ = index;
  applied_term_ = snapshot.metadata().term();
  applied_ = index;
  if (absl::Status r = wal_->ReleaseLockTo(index); !r.ok()) {
    LOG(WARNING) << "cannot release WAL segments: " << r;
  }
  LOG(INFO) << "applied snapshot at index " << index;
}

void EtcdServer::PurgeFiles() {
  if (options_.max_wals > 0) {
    auto purged = wal::Wal::PurgeSegments(wal::Env::Default(), wal_dir_, options_.max_wals);
    if (!purged.ok()) LOG(WARNING) << "cannot purge WAL segments: " << purged.status();
  }
  std::error_code ec;
  std::vector<std::string> snaps;
  for (const auto& entry : fs::directory_iterator(snap_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".snap") == 0) {
      snaps.push_back(entry.path().string());
    } else if (name.size() > 8 && name.compare(name.size() - 8, 8, ".snap.db") == 0) {
      // A snapshot database not installed by now never will be (Raft refused it as stale).
      const uint64_t db_index = std::strtoull(name.c_str(), nullptr, 16);
      if (db_index <= snapshot_index_) fs::remove_all(entry.path(), ec);
    }
  }
  std::sort(snaps.begin(), snaps.end());  // oldest first: names are term-index in hex
  for (size_t i = 0; options_.max_snapshots > 0 && i + options_.max_snapshots < snaps.size();
       ++i) {
    fs::remove(snaps[i], ec);
  }
}

absl::StatusOr<std::unique_ptr<transport::SnapshotSink>> EtcdServer::OpenSnapshotSink(
    const raftpb::Message& m) {
  if (m.to() != member_id_) return absl::InvalidArgumentError("snapshot for another member");
  const uint64_t index = m.snapshot().metadata().index();
  if (index <= applied_.load()) {
    return absl::FailedPreconditionError("snapshot at index " + std::to_string(index) +
                                         " is older than what this member has applied");
  }
  auto sink = SnapshotDbSink::Open(SnapshotDbPath(index), m, &snapshot_install_mu_,
                                   [this](raftpb::Message msg) { Receive(std::move(msg)); });
  if (!sink.ok()) return sink.status();
  return std::unique_ptr<transport::SnapshotSink>(std::move(*sink));
}

// ---- transport::PeerHandler ----

void EtcdServer::Receive(raftpb::Message m) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    inbox_.push_back(std::move(m));
  }
  wake_.notify_one();
}

void EtcdServer::ReportUnreachable(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    unreachable_.push_back(id);
  }
  wake_.notify_one();
}

void EtcdServer::ReportSnapshot(uint64_t id, bool ok) {
  {
    std::lock_guard lock(mu_);
    snapshot_reports_.emplace_back(id, ok);
  }
  wake_.notify_one();
}

bool EtcdServer::IsRemoved(uint64_t id) {
  std::lock_guard lock(members_mu_);
  return removed_.count(id) > 0;
}

void EtcdServer::OnRemoved() {
  // A peer refused this member's messages: it was removed while it could not hear of it
  // (the leader stops sending to a member once the removal is applied).
  RunInLoop([this] {
    if (!removed_stop_at_) removed_stop_at_ = Clock::now();
  });
}

peerpb::MembersResponse EtcdServer::Members() {
  peerpb::MembersResponse resp;
  resp.set_cluster_id(cluster_id_);
  std::lock_guard lock(members_mu_);
  for (const auto& [id, m] : members_) *resp.add_members() = m;
  return resp;
}

namespace {

// Answers a forwarded request with `r` serialized for the member that forwarded it (which
// parses it as the response of the client call it stands for), or with r's error.
template <typename Response>
void ReplyForwarded(transport::ForwardDone done, absl::StatusOr<Response> r) {
  if (!r.ok()) {
    std::move(done)(r.status());
    return;
  }
  peerpb::ForwardResponse out;
  out.set_response(r->SerializeAsString());
  std::move(done)(std::move(out));
}

}  // namespace

void EtcdServer::Forwarded(const peerpb::ForwardRequest& request, transport::ForwardDone done) {
  switch (request.request_case()) {
    case peerpb::ForwardRequest::kLease: {
      const peerpb::LeaseRequest& lease = request.lease();
      if (!lessor_->IsPrimary()) {
        std::move(done)(ErrNoLeader());
      } else if (lease.time_to_live()) {
        ReplyForwarded<etcdserverpb::LeaseTimeToLiveResponse>(
            std::move(done), LocalLeaseTimeToLive(lease.id(), lease.keys()));
      } else {
        ReplyForwarded(std::move(done), LocalLeaseKeepAlive(lease.id()));
      }
      return;
    }
    case peerpb::ForwardRequest::kPromoteMemberId: {
      // Answered as to a client of this member, then serialized for the follower.
      api::Done<etcdserverpb::MemberPromoteResponse> reply =
          [done = std::move(done)](absl::StatusOr<etcdserverpb::MemberPromoteResponse> r) mutable {
            ReplyForwarded(std::move(done), std::move(r));
          };
      RunInLoop([this, id = request.promote_member_id(),
                 answer = AnswerWithMembers(std::move(reply))]() mutable {
        PromoteAsLeader(id, std::move(answer));
      });
      return;
    }
    case peerpb::ForwardRequest::kHashKvRevision:
      ReplyForwarded(std::move(done), LocalHashKV(request.hash_kv_revision()));
      return;
    default:
      std::move(done)(absl::InvalidArgumentError("unknown forwarded request"));
  }
}

std::unique_ptr<api::WatchSession> EtcdServer::NewWatchSession(std::function<void()> on_ready) {
  return std::make_unique<WatchSession>(
      kv_.get(), watchable_.get(), [this](etcdserverpb::ResponseHeader* h) { FillHeader(h); },
      std::move(on_ready), options_.max_request_bytes);
}

}  // namespace etcd::server
