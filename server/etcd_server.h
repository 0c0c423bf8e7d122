// The etcd server core: one member of an etcd cluster. It drives the Raft state machine
// (//raft) from a single loop thread, persists its output in the WAL (//wal) with one
// fdatasync per batch of proposals (group commit), applies committed entries in log order to
// the MVCC store (//mvcc), and answers clients through the EtcdApi interface (//api/v3rpc).
//
// The data path of a write: EtcdApi::Put -> encode an InternalRaftRequest -> queue it for the
// loop -> RawNode::Propose -> Ready: WAL Save (fdatasync) -> apply to mvcc -> answer the waiting
// client. A write is answered only after its entry is durable on a quorum and applied.
//
// Reads are linearizable by default (Raft ReadIndex: every read waiting when a round starts
// shares it, then waits for the applied index to reach the read index), or served from the local
// state when the request says `serializable`.
//
// Members talk to each other through a transport::RaftTransport (gRPC in the daemon): Raft
// messages go out after the WAL write of the Ready that produced them; a proposal made on a
// follower is forwarded to the leader by Raft itself (MsgProp), and the follower answers its
// client when it applies the entry; a linearizable read on a follower asks the leader for the
// read index (MsgReadIndex). Lease renewals and time-to-live queries go to the leader, which
// alone runs the lease clocks. Each member publishes its name and client URLs through Raft once
// it has a leader, as etcd does, so every member lists them.
//
// Thread-safety: all public methods are thread-safe.
#ifndef ETCD_SERVER_ETCD_SERVER_H_
#define ETCD_SERVER_ETCD_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "api/v3rpc/etcd_api.h"
#include "lease/lessor.h"
#include "mvcc/backend.h"
#include "mvcc/kv_store.h"
#include "mvcc/watchable_store.h"
#include "raft/raw_node.h"
#include "raft/storage.h"
#include "server/apply.h"
#include "server/compactor.h"
#include "server/http/metrics.h"
#include "server/serverpb/etcdserver.pb.h"
#include "server/transport/raft_transport.h"
#include "wal/snapshotter.h"
#include "wal/wal.h"

namespace etcd::server {

// The version this server reports (Maintenance.Status, /version): the etcd release whose API
// and behaviour it implements, so that clients enable the same features.
inline constexpr char kServerVersion[] = "3.4.23";

class EtcdServer final : public api::EtcdApi, private transport::PeerHandler {
 public:
  using TransportFactory = std::function<std::unique_ptr<transport::RaftTransport>(
      uint64_t member_id, uint64_t cluster_id, transport::PeerHandler* handler)>;

  struct Options {
    // Human-readable member name (etcd --name).
    std::string name = "default";
    // Root of the member's data: <data_dir>/member/{wal,snap}. Created if missing.
    std::string data_dir = "default.etcd";
    // This member's advertised peer URLs (--initial-advertise-peer-urls); with the cluster
    // token they determine the member ID when the member is created.
    std::vector<std::string> peer_urls = {"http://localhost:2380"};
    // This member's advertised client URLs (--advertise-client-urls).
    std::vector<std::string> client_urls = {"http://localhost:2379"};
    // Member and cluster ID for a new member (see server/member_id.h); ignored on restart,
    // where the IDs stored in the WAL win.
    uint64_t member_id = 0;
    uint64_t cluster_id = 0;
    // The members of a new cluster (--initial-cluster), this one included, with IDs, names and
    // peer URLs; used only to bootstrap a member without a WAL. Empty: a single-member cluster
    // of this member alone.
    std::vector<serverpb::Member> initial_members;
    // Join an existing cluster (--initial-cluster-state existing, after `member add`): the
    // log starts empty and comes from the leader; `initial_members` then lists the cluster's
    // members as one of them reported it (the transport needs their URLs to answer them).
    bool join_existing = false;
    // Creates the peer transport once the member's and cluster's IDs are known (on restart
    // they come from the WAL). Null: no transport; only a single-member cluster then works.
    TransportFactory new_transport;
    // --strict-reconfig-check: refuse membership changes that could cost the quorum.
    bool strict_reconfig_check = true;
    // Called once, from the Raft loop thread, when this member has been removed from the
    // cluster (etcd then stops: "the member has been permanently removed from the cluster").
    // The callee must not call Stop() from within the call.
    std::function<void()> on_removed;
    // Raft timing: one tick per heartbeat interval; the election timeout in ticks is
    // election_timeout_ms / heartbeat_interval_ms.
    int heartbeat_interval_ms = 100;
    int election_timeout_ms = 1000;
    bool pre_vote = false;
    // Requests whose encoded form exceeds this many bytes fail with ErrRequestTooLarge().
    int64_t max_request_bytes = 1572864;
    // Largest number of operations in one txn (--max-txn-ops).
    int max_txn_ops = 128;
    // How often a quiet watcher that asked for progress notifications gets one, ms (etcd's
    // --experimental-watch-progress-notify-interval, 10 minutes).
    int64_t watch_progress_notify_interval_ms = 10 * 60 * 1000;
    // WAL segment size, bytes (tests use small segments).
    uint64_t wal_segment_bytes = 64ull << 20;
    // --snapshot-count: applied entries between snapshots. A snapshot makes the backend
    // durable, records the membership, and lets the Raft log and the WAL be cut.
    uint64_t snapshot_count = 100000;
    // Entries kept in the Raft log behind a snapshot for followers a little behind
    // (--experimental-snapshot-catchup-entries, etcd's SnapshotCatchUpEntries).
    uint64_t snapshot_catchup_entries = 5000;
    // --quota-backend-bytes: above this backend size, writes fail with ErrNoSpace and the
    // NOSPACE alarm is raised until an operator frees space and disarms it (etcd's quota).
    // A negative value disables the quota.
    int64_t quota_backend_bytes = 2ll << 30;
    // --auto-compaction-mode / --auto-compaction-retention (see compactor.h); none: off.
    std::optional<CompactorConfig> auto_compaction;
    // --max-snapshots, --max-wals: snapshot files and WAL segments kept (0: all).
    uint64_t max_snapshots = 5;
    uint64_t max_wals = 5;
    // --experimental-corrupt-check-time: how often the leader compares its key space hash
    // with every member's (etcd's monitorKVHash); a mismatch raises the CORRUPT alarm, after
    // which the cluster refuses writes (ErrCorrupt). 0: never.
    std::chrono::milliseconds corrupt_check_interval{0};
  };

  // Opens or creates the member's data directory, replays the WAL onto the backend (entries
  // already applied, per the backend's consistent index, are not applied twice), and starts
  // the Raft loop. A new single-member cluster elects itself at once.
  // Errors: kInvalidArgument for bad options; kFailedPrecondition when the data directory is
  // unusable (not a directory, not writable, locked by another process); kDataLoss for a
  // corrupt WAL or backend; other codes from the file system.
  static absl::StatusOr<std::unique_ptr<EtcdServer>> Start(Options options);

  // Stops the loop; requests still waiting fail with ErrStopped(). Idempotent.
  void Stop();

  // etcd's --experimental-initial-corrupt-check, run after Start and before serving clients:
  // compares this member's hash of the key space (HashKV at its current revision) with every
  // other member's at that revision. Members that do not answer within the request timeout are
  // skipped (logged). Errors: DataLoss "<member id> found data inconsistency with peers" when a
  // member with the same compact revision has another hash (etcdserver/corrupt.go).
  absl::Status CheckInitialHashKV();
  ~EtcdServer() override;

  uint64_t member_id() const { return member_id_; }
  uint64_t cluster_id() const { return cluster_id_; }
  const Options& options() const { return options_; }
  // Whether this member currently knows a leader.
  bool HasLeader() const { return leader_.load() != 0; }
  // Waits until this member knows a leader (it can serve requests), at most `timeout`;
  // returns whether it does.
  bool WaitForLeader(std::chrono::milliseconds timeout);

  // api::EtcdApi.
  void Range(const etcdserverpb::RangeRequest& r, api::Done<etcdserverpb::RangeResponse> done) override;
  void Put(const etcdserverpb::PutRequest& r, api::Done<etcdserverpb::PutResponse> done) override;
  void DeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                   api::Done<etcdserverpb::DeleteRangeResponse> done) override;
  void Txn(const etcdserverpb::TxnRequest& r, api::Done<etcdserverpb::TxnResponse> done) override;
  void Compact(const etcdserverpb::CompactionRequest& r,
               api::Done<etcdserverpb::CompactionResponse> done) override;
  // Membership changes go through Raft as configuration changes (Raft thesis 4.1, one member
  // at a time), checked as etcd checks them: before proposing (--strict-reconfig-check: enough
  // started and connected members to keep a quorum) and again when applied (IDs and peer URLs
  // unique; one learner at most).
  void MemberAdd(const etcdserverpb::MemberAddRequest& r,
                 api::Done<etcdserverpb::MemberAddResponse> done) override;
  void MemberRemove(const etcdserverpb::MemberRemoveRequest& r,
                    api::Done<etcdserverpb::MemberRemoveResponse> done) override;
  void MemberUpdate(const etcdserverpb::MemberUpdateRequest& r,
                    api::Done<etcdserverpb::MemberUpdateResponse> done) override;
  void MemberList(const etcdserverpb::MemberListRequest& r,
                  api::Done<etcdserverpb::MemberListResponse> done) override;
  // Promotes a learner that has caught up (its match index at least 90% of the leader's, as
  // etcd); a follower forwards the request to the leader, which alone knows the progress.
  void MemberPromote(const etcdserverpb::MemberPromoteRequest& r,
                     api::Done<etcdserverpb::MemberPromoteResponse> done) override;
  void Status(const etcdserverpb::StatusRequest& r,
              api::Done<etcdserverpb::StatusResponse> done) override;
  // Hands leadership to another voting member (Raft thesis 3.10) and answers once it leads.
  // Errors: ErrNotLeader on a follower; ErrBadLeaderTransferee for an unknown member or a
  // learner; ErrTimeoutLeaderTransfer when it does not happen within the request timeout.
  void MoveLeader(const etcdserverpb::MoveLeaderRequest& r,
                  api::Done<etcdserverpb::MoveLeaderResponse> done) override;
  bool IsLearner() const override { return is_learner_.load(); }
  // Alarms (NOSPACE, CORRUPT) are raised and cleared through Raft, so every member agrees;
  // GET goes through Raft too, as in etcd.
  void Alarm(const etcdserverpb::AlarmRequest& r,
             api::Done<etcdserverpb::AlarmResponse> done) override;
  // Compacts this member's backend files (not the key space history: that is Compact).
  void Defragment(const etcdserverpb::DefragmentRequest& r,
                  api::Done<etcdserverpb::DefragmentResponse> done) override;
  // CRC-32C of this member's whole backend but its metadata (which differs between members).
  void Hash(const etcdserverpb::HashRequest& r, api::Done<etcdserverpb::HashResponse> done) override;
  // CRC-32C of the key space history up to a revision (0: the current one): equal on every
  // member at that revision. Errors: ErrCompacted, ErrFutureRev.
  void HashKV(const etcdserverpb::HashKVRequest& r,
              api::Done<etcdserverpb::HashKVResponse> done) override;
  // The backend as of now, in the format of server/snapshot_file.h, with the revision of that
  // moment in the first message's header.
  absl::StatusOr<std::unique_ptr<api::SnapshotStream>> NewSnapshotStream() override;
  std::unique_ptr<api::WatchSession> NewWatchSession(std::function<void()> on_ready) override;
  void LeaseGrant(const etcdserverpb::LeaseGrantRequest& r,
                  api::Done<etcdserverpb::LeaseGrantResponse> done) override;
  void LeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r,
                   api::Done<etcdserverpb::LeaseRevokeResponse> done) override;
  void LeaseKeepAlive(const etcdserverpb::LeaseKeepAliveRequest& r,
                      api::Done<etcdserverpb::LeaseKeepAliveResponse> done) override;
  void LeaseTimeToLive(const etcdserverpb::LeaseTimeToLiveRequest& r,
                       api::Done<etcdserverpb::LeaseTimeToLiveResponse> done) override;
  void LeaseLeases(const etcdserverpb::LeaseLeasesRequest& r,
                   api::Done<etcdserverpb::LeaseLeasesResponse> done) override;

  // Whether this member has published its name and client URLs (applied through Raft).
  bool published() const { return published_.load(); }

  // etcd's health check (GET /health): false with an alarm raised, without a leader, or when
  // a linearizable read does not complete within `timeout`.
  bool CheckHealth(std::chrono::milliseconds timeout);
  // The server's metrics (etcd's names), for /metrics; other layers may add theirs.
  metrics::Registry& metrics() { return metrics_; }

 private:
  // The result of applying one entry, handed to the member that proposed it.
  struct ApplyResult {
    absl::Status status;
    std::unique_ptr<google::protobuf::Message> response;
  };
  using Waiter = absl::AnyInvocable<void(ApplyResult) &&>;
  using Clock = std::chrono::steady_clock;

  struct Proposal {
    uint64_t id;
    std::string data;
    Clock::time_point deadline;
    std::optional<raftpb::ConfChange> conf_change;  // set: a configuration change
  };
  struct LeaderTransfer {
    uint64_t transferee;
    Clock::time_point deadline;
    absl::AnyInvocable<void(absl::Status) &&> done;
  };
  struct PendingWrite {
    Waiter waiter;
    Clock::time_point deadline;
    Clock::time_point proposed_at;
  };
  // A linearizable read waiting for its ReadIndex round and then for the apply loop.
  using ReadWaiter = absl::AnyInvocable<void(absl::Status) &&>;
  struct ReadBatch {
    std::string ctx;
    uint64_t index = 0;  // 0 until the read state arrives
    Clock::time_point sent_at;  // when ReadIndex was last asked; epoch if never
    Clock::time_point deadline;
    std::vector<ReadWaiter> waiters;
  };

  // transport::PeerHandler.
  void Receive(raftpb::Message m) override;
  void ReportUnreachable(uint64_t id) override;
  void ReportSnapshot(uint64_t id, bool ok) override;
  bool IsRemoved(uint64_t id) override;
  void OnRemoved() override;
  peerpb::MembersResponse Members() override;
  void Forwarded(const peerpb::ForwardRequest& request, transport::ForwardDone done) override;

  explicit EtcdServer(Options options);
  absl::Status Open();
  absl::Status OpenNewMember(const std::string& wal_dir);
  absl::Status OpenExistingMember(const std::string& wal_dir);
  // REQUIRES: member_id_ set and raft_storage_ loaded.
  absl::Status CreateRaftNode();
  void CreateTransport();

  void RunLoop();
  void HandleReady();
  // Hands Raft messages to the transport (snapshots with the backend as of now).
  void SendMessages(std::vector<raftpb::Message> messages);
  void ApplyEntry(const raftpb::Entry& entry);
  ApplyResult ApplyRequest(const serverpb::InternalRaftRequest& req);
  void ApplyConfChange(const raftpb::Entry& entry);
  void ApplyMemberAttributes(const serverpb::MemberAttributes& attributes);
  // Steps received messages and reports into Raft (loop thread).
  void StepInbox();
  // Proposes this member's attributes until they are applied (loop thread).
  void MaybePublish();
  // The lease calls as the leader answers them (locally).
  absl::StatusOr<etcdserverpb::LeaseKeepAliveResponse> LocalLeaseKeepAlive(int64_t id);
  etcdserverpb::LeaseTimeToLiveResponse LocalLeaseTimeToLive(int64_t id, bool keys);
  // Sends a request to the leader; `done` gets its response (header filled here), or the
  // leader's error, or ErrNoLeader when there is none to ask.
  template <typename Response>
  void ForwardToLeader(const peerpb::ForwardRequest& request, api::Done<Response> done);
  void ForwardToLeaderRaw(const peerpb::ForwardRequest& request,
                          absl::AnyInvocable<void(absl::StatusOr<std::string>) &&> done);
  // A completion for a membership change that answers with the members as they are then.
  template <typename Response>
  absl::AnyInvocable<void(absl::Status) &&> AnswerWithMembers(api::Done<Response> done);

  // ---- Alarms and quota ----
  ApplyResult ApplyAlarm(const etcdserverpb::AlarmRequest& r);
  absl::Status LoadAlarms();
  // ErrNoSpace if the NOSPACE alarm is raised, or if a write of `bytes` would take the
  // backend past the quota (then the alarm is proposed).
  absl::Status CheckQuota(size_t bytes);
  std::vector<std::string> AlarmStrings() const;

  // ---- Membership ----
  // Proposes a configuration change; `done` gets the outcome of applying it (the validation
  // at apply time included).
  void ProposeConfChange(raftpb::ConfChange cc, absl::AnyInvocable<void(absl::Status) &&> done);
  // The checks etcd makes when a change is applied (membership.ValidateConfigurationChange).
  // REQUIRES: members_mu_ held.
  absl::Status ValidateConfChange(const raftpb::ConfChange& cc, const serverpb::Member& m) const;
  // --strict-reconfig-check: whether enough voting members are started (published) to keep a
  // quorum after adding a voter / removing `id` / promoting `id`.
  bool IsReadyToAddVotingMember() const;
  bool IsReadyToRemoveVotingMember(uint64_t id) const;
  bool IsReadyToPromoteMember(uint64_t id) const;
  // Whether every other voting member has been connected for etcd's HealthInterval (5 s).
  bool IsConnectedToAllVoters() const;
  // Whether member `id` (this one always) has been connected since `since` at least.
  bool IsConnectedSince(uint64_t id, Clock::time_point since) const;
  // The promotion as the leader does it (loop thread): checks the learner's progress.
  void PromoteAsLeader(uint64_t id, absl::AnyInvocable<void(absl::Status) &&> done);
  void FillMembers(google::protobuf::RepeatedPtrField<etcdserverpb::Member>* out) const;
  // Runs `task` on the Raft loop thread (RawNode is not thread-safe).
  void RunInLoop(absl::AnyInvocable<void() &&> task);
  // Answers MoveLeader calls whose transferee leads now, or whose deadline passed.
  void CheckLeaderTransfers(Clock::time_point now);
  ApplyResult ApplyLeaseGrant(const etcdserverpb::LeaseGrantRequest& r);
  ApplyResult ApplyLeaseRevoke(const etcdserverpb::LeaseRevokeRequest& r);
  // Keeps the lessor's key attachments in step with committed changes.
  void TrackLeases(const std::vector<mvccpb::Event>& changes);
  // On the leader: proposes the revocation of expired leases.
  void RevokeExpiredLeases();
  void ExpireDeadlines(Clock::time_point now);
  // ---- Corruption checks (corruption_check.cc) ----
  // This member's HashKV at `revision` (0: its current one), as Maintenance.HashKV answers.
  absl::StatusOr<etcdserverpb::HashKVResponse> LocalHashKV(int64_t revision);
  struct PeerHash {
    uint64_t id;
    absl::StatusOr<etcdserverpb::HashKVResponse> resp;
  };
  // Every other member's HashKV at `revision`, asked in parallel over the peer transport
  // (Peer.Forward), each within the request timeout.
  std::vector<PeerHash> PeerHashKVs(int64_t revision);
  // On the leader, every corrupt_check_interval: compares hashes with the followers and raises
  // the CORRUPT alarm on a mismatch (etcd's checkHashKV). Its own thread.
  void CorruptionCheckLoop();
  void CheckHashKV();
  // Sets nospace_ and corrupt_ from alarms_ (alarms_mu_ held).
  void UpdateAlarmFlags();
  // ---- Snapshots ----
  // Takes a snapshot when enough entries were applied since the last one (loop thread).
  void MaybeSnapshot();
  void TakeSnapshot();
  // Installs a snapshot from the leader (its backend arrived first, see OpenSnapshotSink).
  void ApplySnapshot(const raftpb::Snapshot& snapshot);
  // Replaces the backend by the database in `dir` and reloads everything kept from it.
  absl::Status RestoreBackendFrom(const std::string& dir);
  // The lessor's leases from the backend, and every key's lease attachment from the store.
  absl::Status ReloadLeases();
  serverpb::SnapshotData MembershipSnapshot() const;
  void RestoreMembership(const serverpb::SnapshotData& data);
  // Where the backend of the snapshot at `index` is kept until it is installed.
  std::string SnapshotDbPath(uint64_t index) const;
  void PurgeFiles();
  absl::StatusOr<std::unique_ptr<transport::SnapshotSink>> OpenSnapshotSink(
      const raftpb::Message& m) override;
  // Hands the read batches whose index is applied to the read thread.
  void FinishReads();
  // Queues replies_ for the answer thread (loop thread).
  void HandOffReplies();
  // The read thread: runs linearizable reads off the Raft loop, so a large range never delays
  // heartbeats, group commit or apply.
  void RunReads();

  // Proposes `req` through Raft; `done` gets the response of applying it, header filled.
  template <typename Response>
  void ProposeAndWait(serverpb::InternalRaftRequest req, api::Done<Response> done);
  // Proposes `req` (its header ID set here); `waiter` gets the result of applying it.
  void Propose(serverpb::InternalRaftRequest req, Waiter waiter);
  // Runs `read` after a linearizable read barrier (or at once when `serializable`).
  void ReadBarrier(bool serializable, ReadWaiter then);
  void FillHeader(etcdserverpb::ResponseHeader* h) const;
  Clock::time_point RequestDeadline() const;

  const Options options_;
  metrics::Registry metrics_;
  metrics::Counter* leader_changes_ = nullptr;
  metrics::Counter* proposals_failed_ = nullptr;
  metrics::Histogram* wal_fsync_seconds_ = nullptr;
  metrics::Histogram* backend_commit_seconds_ = nullptr;
  metrics::Registry::HistogramFamily* peer_rtt_seconds_ = nullptr;
  std::atomic<uint64_t> commit_index_{0};
  std::map<uint64_t, Clock::time_point> heartbeat_sent_;  // loop thread only: per peer
  void RegisterMetrics();
  uint64_t member_id_ = 0;
  uint64_t cluster_id_ = 0;

  std::unique_ptr<mvcc::Backend> backend_;
  std::unique_ptr<mvcc::KvStore> kv_;
  std::unique_ptr<mvcc::WatchableStore> watchable_;
  std::unique_ptr<lease::Lessor> lessor_;
  std::unique_ptr<Applier> applier_;
  std::unique_ptr<Compactor> compactor_;  // loop thread only; null without auto compaction
  std::unique_ptr<wal::Wal> wal_;
  std::unique_ptr<wal::Snapshotter> snapshotter_;
  std::string wal_dir_, snap_dir_;
  // Putting a received snapshot's database in place (transport threads) and installing it
  // (loop thread) exclude each other.
  std::mutex snapshot_install_mu_;
  std::unique_ptr<transport::RaftTransport> transport_;
  raft::MemoryStorage raft_storage_;
  // Owned by the loop thread once it runs.
  std::unique_ptr<raft::RawNode> node_;
  raftpb::ConfState conf_state_;
  uint64_t applied_index_ = 0;  // loop thread only
  uint64_t applied_term_ = 0;   // loop thread only: the term of the entry at applied_index_
  uint64_t snapshot_index_ = 0;  // loop thread only: index of the newest snapshot
  Clock::time_point leader_elected_at_;  // loop thread only: when the current leader appeared

  std::atomic<uint64_t> leader_{0};
  std::atomic<uint64_t> term_{0};
  std::atomic<uint64_t> raft_index_{0};
  std::atomic<uint64_t> applied_{0};
  uint64_t restart_commit_ = 0;  // set by Open: the commit index the WAL had at start
  std::atomic<uint64_t> next_request_id_{0};

  mutable std::mutex members_mu_;
  std::map<uint64_t, serverpb::Member> members_;  // guarded by members_mu_
  std::set<uint64_t> removed_;                    // guarded by members_mu_

  std::atomic<bool> published_{false};
  mutable std::mutex alarms_mu_;
  std::set<std::pair<uint64_t, int>> alarms_;  // guarded by alarms_mu_: (member, AlarmType)
  std::atomic<bool> nospace_{false};           // a NOSPACE alarm is raised
  std::atomic<bool> nospace_proposed_{false};  // this member asked for one, not applied yet
  std::atomic<bool> corrupt_{false};           // a CORRUPT alarm is raised
  std::atomic<int64_t> backend_size_{0};       // bytes on disk, refreshed every tick
  std::atomic<bool> is_learner_{false};
  std::optional<Clock::time_point> removed_stop_at_;  // loop thread only
  bool removal_reported_ = false;                     // loop thread only
  std::vector<LeaderTransfer> transfers_;             // loop thread only
  std::atomic<bool> publishing_{false};  // a publish proposal is in flight

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                     // guarded by mu_
  std::condition_variable leader_known_;      // notified under mu_ when leader_ becomes set
  std::condition_variable stopped_;           // notified when stopping_ becomes true
  std::vector<Proposal> proposals_;           // guarded by mu_: to hand to Raft
  std::vector<ReadWaiter> reads_;             // guarded by mu_: waiting for a ReadIndex round
  std::map<uint64_t, PendingWrite> pending_;  // guarded by mu_: proposed, waiting to apply
  std::vector<raftpb::Message> inbox_;        // guarded by mu_: received from peers
  std::vector<uint64_t> unreachable_;         // guarded by mu_: to report to Raft
  std::vector<std::pair<uint64_t, bool>> snapshot_reports_;  // guarded by mu_
  std::vector<absl::AnyInvocable<void() &&>> tasks_;         // guarded by mu_: RunInLoop

  // Loop thread only.
  std::deque<ReadBatch> read_batches_;
  uint64_t next_read_ctx_ = 1;

  std::mutex reads_mu_;
  std::condition_variable reads_ready_;
  // Guarded by reads_mu_: answers for the answer thread (RunReads) to give, in order: reads
  // cleared to run and the replies to applied writes. Giving them (gRPC sends) off the loop
  // thread lets the loop go on to the next WAL write meanwhile.
  std::vector<absl::AnyInvocable<void() &&>> answers_;
  // Loop thread only: the replies of the entries applied in the current Ready.
  std::vector<absl::AnyInvocable<void() &&>> replies_;
  bool reads_stopping_ = false;          // guarded by reads_mu_

  std::thread loop_;
  std::thread read_thread_;
  std::thread corruption_check_thread_;  // with a corrupt_check_interval only
};

}  // namespace etcd::server

#endif  // ETCD_SERVER_ETCD_SERVER_H_
