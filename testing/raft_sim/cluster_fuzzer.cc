// libFuzzer target: a small Raft cluster in the simulator, driven by a fuzzer-chosen event
// sequence; every event is followed by the simulator's invariant checks, and the run ends by
// healing the cluster and requiring it to converge. Any violation (or a Raft Fatalf) prints
// the trace and aborts, which libFuzzer reports as a crash with the input that caused it.
//
// Input layout: byte 0 = options (bit 0: 5 nodes instead of 3, bit 1: pre-vote, bit 2:
// check-quorum, bit 3: one entry per MsgApp, bits 4-7: election tick 5..10), byte 1 = max
// in-flight MsgApps (1..8), then 3 bytes per event: kind, node, arg (see simulator.h; values
// are folded into range, so every input is valid).
//
// Build and run (see raft/README.md):
//   CC=clang bazel build --config=fuzz //testing/raft_sim:cluster_fuzzer
//   bazel-bin/testing/raft_sim/cluster_fuzzer -max_total_time=600 \
//       testing/raft_sim/cluster_fuzzer_corpus
// The same entry point replays the committed corpus in an ordinary gcc test
// (cluster_fuzzer_corpus_test), so CI runs every seed input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "testing/raft_sim/simulator.h"

namespace {

constexpr size_t kMaxEvents = 4000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using etcd::raft_sim::Event;
  if (size < 2) return 0;
  etcd::raft_sim::SimOptions options;
  options.nodes = (data[0] & 1) ? 5 : 3;
  options.pre_vote = data[0] & 2;
  options.check_quorum = data[0] & 4;
  options.max_size_per_msg = (data[0] & 8) ? 0 : 1024;
  options.election_tick = 5 + (data[0] >> 4) % 6;
  options.max_inflight_msgs = 1 + data[1] % 8;
  options.seed = data[0] ^ (data[1] << 8);
  etcd::raft_sim::Simulator sim(options);
  size_t events = 0;
  for (size_t i = 2; i + 3 <= size && events < kMaxEvents && sim.ok(); i += 3, ++events) {
    Event e;
    e.kind = static_cast<Event::Kind>(data[i] % Event::kNumKinds);
    e.node = data[i + 1];
    e.arg = data[i + 2];
    sim.Apply(e);
  }
  if (sim.ok()) sim.Converge();
  if (!sim.ok()) {
    std::fprintf(stderr, "%s", sim.Trace().c_str());
    std::abort();
  }
  return 0;
}
