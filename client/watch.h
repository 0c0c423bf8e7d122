// Watches: streams of the changes to a key or a range, from etcd's Watch service.
//
// A WatchStream is one gRPC Watch stream that carries any number of watches; each watch is a
// WatchHandle whose responses are read with a blocking Next(timeout) (we chose a pull interface
// over callbacks: the caller decides on which thread events are handled, and a slow reader
// only grows its own queue). Client::Watch uses a stream the Client owns; NewWatchStream()
// gives a separate one (a separate HTTP/2 stream, e.g. to spread heavy watches).
//
// Order: a watch's responses come in the order the server sent them, with revisions
// increasing; fragments of a large response (WatchOptions::fragment) are put back together
// before Next returns them.
//
// Failures: a watch is created on a connected endpoint, failing over like a read (see
// client.h). Once created it lives on that stream: if the stream breaks (the member dies),
// every watch on it ends with the stream's status (e.g. Unavailable "Socket closed"); the
// caller may watch again from the next revision it needs. The next Watch() on the same
// WatchStream opens a new gRPC stream on another endpoint.
//
// Thread-safety: WatchStream and WatchHandle are thread-safe; Next is meant for one reader.
// Handles may outlive their WatchStream and the Client (they keep the gRPC stream open).
#ifndef ETCD_CLIENT_WATCH_H_
#define ETCD_CLIENT_WATCH_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "api/etcdserverpb/rpc.pb.h"

namespace etcd::client {

namespace internal {
class Connection;
class GrpcWatchStream;
struct WatchState;
}  // namespace internal

// What to watch and how (etcdserverpb.WatchCreateRequest).
struct WatchOptions {
  // Half-open range [key, range_end). Empty: the single key. "\0": every key >= key.
  std::string range_end;
  bool prefix = false;    // every key starting with key (overrides range_end)
  bool from_key = false;  // every key >= key (overrides range_end)
  // First revision to report (history is replayed from it); 0: changes after the current
  // revision. A compacted revision ends the watch (see WatchHandle::Next).
  int64_t start_revision = 0;
  bool prev_kv = false;  // each event carries the key-value pair as it was before
  bool no_put = false;     // leave out PUT events
  bool no_delete = false;  // leave out DELETE events
  // Ask for an empty response (a progress notification) when the watch has been quiet for the
  // server's --experimental-watch-progress-notify-interval (10 min by default).
  bool progress_notify = false;
  // Let the server split responses larger than its request size limit into fragments (they
  // are joined again here).
  bool fragment = false;
};

// The request the options describe (for callers that build requests themselves).
etcdserverpb::WatchCreateRequest MakeWatchCreateRequest(std::string_view key,
                                                        const WatchOptions& options);

// One watch. Destroying it cancels the watch on the server (without waiting).
class WatchHandle {
 public:
  ~WatchHandle();
  WatchHandle(const WatchHandle&) = delete;
  WatchHandle& operator=(const WatchHandle&) = delete;

  // The server's ID of this watch on its stream.
  int64_t id() const;
  // The server's `created` response; its header revision is the store's revision when the
  // watch started (with no start_revision, events come from the next revision on).
  const etcdserverpb::WatchResponse& created() const;

  // Waits at most `timeout` for the next response of this watch and returns it: a batch of
  // events (`events`, all of one revision or of consecutive ones, in order), a progress
  // notification (no events; `header.revision` is the store's revision), or the final
  // response (`canceled` true: after Cancel(), or because the server ended the watch; then
  // `compact_revision` > 0 means start_revision was compacted).
  // Errors: DeadlineExceeded if nothing arrived within `timeout` (the watch goes on);
  // after the final response, and forever after: OutOfRange "etcdserver: mvcc: required
  // revision has been compacted" if it was compacted, else Cancelled ("watch canceled" or
  // the server's cancel reason); if the stream broke: the stream's status (e.g. Unavailable),
  // once the responses received before are read.
  absl::StatusOr<etcdserverpb::WatchResponse> Next(std::chrono::milliseconds timeout);

  // Cancels the watch and waits (up to the request timeout) for the server to confirm; the
  // responses received before stay readable with Next, ending with the canceled response.
  // OK if the watch had already ended. Errors: DeadlineExceeded without a confirmation.
  absl::Status Cancel();

  // Asks the server for a progress notification (etcd 3.4's WatchProgressRequest): an empty
  // response with the store's current revision. The server answers the whole stream, so the
  // notification reaches every watch of this stream through its own Next; etcd sends it only
  // if all of them are caught up. Errors: the stream's status if it is broken.
  absl::Status RequestProgress();

 private:
  friend class WatchStream;
  WatchHandle(std::shared_ptr<internal::GrpcWatchStream> stream,
              std::shared_ptr<internal::WatchState> state);
  std::shared_ptr<internal::GrpcWatchStream> stream_;
  std::shared_ptr<internal::WatchState> state_;
};

// A Watch stream that carries many watches. Thread-safe.
class WatchStream {
 public:
  explicit WatchStream(std::shared_ptr<internal::Connection> connection);
  ~WatchStream();
  WatchStream(const WatchStream&) = delete;
  WatchStream& operator=(const WatchStream&) = delete;

  // Starts watching `key` (with `options`) on this stream and returns once the server has
  // created the watch (at most the request timeout; creations on one stream are serialised).
  // Errors: InvalidArgument with the server's reason when it refuses the watch (e.g. "mvcc:
  // watcher range is empty" for a range end before the key), DeadlineExceeded "context
  // deadline exceeded" if no endpoint is reachable, the stream's status otherwise.
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(std::string_view key,
                                                     const WatchOptions& options = {});

 private:
  std::shared_ptr<internal::Connection> connection_;
  std::mutex mu_;
  std::shared_ptr<internal::GrpcWatchStream> current_;  // guarded by mu_
};

}  // namespace etcd::client

#endif  // ETCD_CLIENT_WATCH_H_
