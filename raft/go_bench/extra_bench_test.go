package raft

import (
	"fmt"
	"testing"

	pb "go.etcd.io/etcd/raft/raftpb"
)

// The propose -> Ready -> append -> commit -> Advance path of one node on one goroutine, with
// no sleep: the counterpart of BM_OneNodeNoSync in our raft/raft_bench.cc.
func BenchmarkOneNodeNoSync(b *testing.B) {
	s := NewMemoryStorage()
	rn := newTestRawNode(1, []uint64{1}, 10, 1, s)
	rn.Campaign()
	for rn.HasReady() {
		rd := rn.Ready()
		s.Append(rd.Entries)
		if !IsEmptyHardState(rd.HardState) {
			s.SetHardState(rd.HardState)
		}
		rn.Advance(rd)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rn.Propose([]byte("foo"))
		rd := rn.Ready()
		s.Append(rd.Entries)
		if !IsEmptyHardState(rd.HardState) {
			s.SetHardState(rd.HardState)
		}
		rn.Advance(rd)
	}
}

func drainBench(rn *RawNode, s *MemoryStorage, out *[]pb.Message) {
	for rn.HasReady() {
		rd := rn.Ready()
		s.Append(rd.Entries)
		if !IsEmptyHardState(rd.HardState) {
			s.SetHardState(rd.HardState)
		}
		if out != nil {
			*out = append(*out, rd.Messages...)
		}
		rn.Advance(rd)
	}
}

// Counterpart of BM_ThreeNodes: a batch of 64 proposals at the leader per iteration, then
// every Ready handled and every message delivered (FIFO) until quiet.
func BenchmarkThreeNodes(b *testing.B) {
	for _, size := range []int{0, 128, 1024} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			var ss [3]*MemoryStorage
			var rns [3]*RawNode
			for i := range rns {
				ss[i] = NewMemoryStorage()
				rns[i] = newTestRawNode(uint64(i+1), []uint64{1, 2, 3}, 10, 1, ss[i])
			}
			var queue []pb.Message
			applied := [3]uint64{}
			compacted := [3]uint64{}
			run := func() {
				for progress := true; progress; {
					progress = false
					for i, rn := range rns {
						for rn.HasReady() {
							progress = true
							rd := rn.Ready()
							ss[i].Append(rd.Entries)
							if !IsEmptyHardState(rd.HardState) {
								ss[i].SetHardState(rd.HardState)
							}
							queue = append(queue, rd.Messages...)
							for _, e := range rd.CommittedEntries {
								applied[i] = e.Index
							}
							rn.Advance(rd)
							if applied[i]-compacted[i] > 50000 {
								ss[i].Compact(applied[i] - 1000)
								compacted[i] = applied[i]
							}
						}
					}
					for len(queue) > 0 {
						progress = true
						m := queue[0]
						queue = queue[1:]
						rns[m.To-1].Step(m)
					}
				}
			}
			rns[0].Campaign()
			run()
			payload := make([]byte, size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := 0; j < 64; j++ {
					rns[0].Propose(payload)
				}
				run()
			}
		})
	}
}

func benchFollower(s *MemoryStorage) *RawNode {
	rn := newTestRawNode(1, []uint64{1, 2, 3}, 10, 1, s)
	rn.Step(pb.Message{Type: pb.MsgApp, From: 2, To: 1, Term: 2})
	drainBench(rn, s, nil)
	return rn
}

// Counterparts of BM_StepHeartbeat and BM_StepAppend (Ready handled every 256 steps).
func BenchmarkStepHeartbeat(b *testing.B) {
	s := NewMemoryStorage()
	rn := benchFollower(s)
	m := pb.Message{Type: pb.MsgHeartbeat, From: 2, To: 1, Term: 2}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rn.Step(m)
		if (i+1)%256 == 0 {
			drainBench(rn, s, nil)
		}
	}
}

func BenchmarkStepAppend(b *testing.B) {
	s := NewMemoryStorage()
	rn := benchFollower(s)
	data := make([]byte, 128)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		idx := uint64(i)
		lt := uint64(2)
		if idx == 0 {
			lt = 0
		}
		rn.Step(pb.Message{Type: pb.MsgApp, From: 2, To: 1, Term: 2, Index: idx, LogTerm: lt,
			Commit: idx, Entries: []pb.Entry{{Term: 2, Index: idx + 1, Data: data}}})
		if (i+1)%256 == 0 {
			drainBench(rn, s, nil)
		}
		if (i+1)%100000 == 0 {
			s.Compact(rn.raft.raftLog.applied)
		}
	}
}
