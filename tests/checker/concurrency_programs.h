// Small concurrent programs with known verdicts: seeded bugs for the deterministic scheduler's own
// checks (PCT's depth, fair yields, a minimizer that keeps the failure, misuse), and correct
// programs that must never be reported. Each is a body for the concurrency checks: it builds its
// state afresh, starts threads with sync::Thread, and fails by throwing.
//
// None of them knows the scheduler: they are what a user would write.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shardstore::checker::programs {

// ---- correct: no strategy may report anything ----
// A consumer spins (with sync::Yield) until a producer publishes a value.
void SpinUntilPublished();
// Three threads take a test-and-set spinlock (Exchange, yielding while it is held) around an
// increment.
void SpinlockCounter();
// Two threads push onto a lock-free stack with a compare_exchange_weak loop (spurious failures
// retried), and a third pops until both items are seen.
void LockFreeStackPushPop();
// A waiter waits in a loop on a condition variable for a flag set under the mutex.
void WaitInALoop();

// ---- bugs ----
// Three threads stamp events from one clock: a1 a2 (thread 1), b1 b2 (thread 2), c (thread 3).
// Fails on the order a1 < b1 < c < b2 < a2: thread 1 preempted after a1 and thread 2 after b1,
// with thread 2 then ranked above thread 1. A depth-3 bug for PCT whose two priority changes must
// give the later-lowered thread the higher priority.
void OrderedChangePoints();
// Thread 2 must run its step between thread 1's two steps: a depth-2 bug (one change point).
void OneInversion();
// Two threads increment a counter with a separate load and store (a lost update, "lost update"
// assertion) — and one of them spins for ever if the other started first (a livelock at the step
// bound, reachable with fewer preemptions than the lost update).
void LostUpdateBesideASpin();
// Two spinners each wait for the other to give up first: a real livelock.
void PoliteSpinners();

// ---- misuse ----
void UnlockByNonOwner();         // thread 2 unlocks a mutex thread 1 holds
void ExitHoldingMutex();         // a thread returns with a mutex locked
void BodyReturnsEarly();         // the body returns while a thread it started still runs
void IfInsteadOfWhile();         // a condition-variable wait not in a loop
void RelyOnNotifyOrder();        // assumes NotifyOne wakes the longest waiting thread
void RelyOnWeakCasSucceeding();  // assumes compare_exchange_weak succeeds when the value matches

struct Program {
  std::string name;
  std::function<void()> body;
};
std::vector<Program> CorrectPrograms();
std::vector<Program> BuggyPrograms();  // the bugs and the misuses

}  // namespace shardstore::checker::programs
