#include "checker/concurrency_programs.h"

#include <array>
#include <stdexcept>

#include "shardstore/sync.h"

namespace shardstore::checker::programs {
namespace {

void Require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error(what);
}

}  // namespace

void SpinUntilPublished() {
  sync::Atomic<int> data(0);
  sync::Atomic<bool> published(false);
  sync::Thread consumer([&] {
    while (!published.Load()) sync::Yield();
    Require(data.Load() == 42, "read before the value was published");
  });
  sync::Thread producer([&] {
    data.Store(42);
    published.Store(true);
  });
  consumer.Join();
  producer.Join();
}

void SpinlockCounter() {
  sync::Atomic<bool> locked(false);
  sync::Atomic<int> counter(0);
  auto add = [&] {
    while (locked.Exchange(true)) sync::Yield();
    counter.Store(counter.Load() + 1);
    locked.Store(false);
  };
  sync::Thread a(add), b(add), c(add);
  a.Join();
  b.Join();
  c.Join();
  Require(counter.Load() == 3, "counter is " + std::to_string(counter.Load()));
}

void LockFreeStackPushPop() {
  constexpr int kEmpty = -1;
  sync::Atomic<int> head(kEmpty);
  std::array<sync::Atomic<int>, 2> next;
  auto push = [&](int node) {
    int seen = head.Load();
    do {
      next[static_cast<size_t>(node)].Store(seen);
    } while (!head.CompareExchangeWeak(seen, node));
  };
  sync::Thread a([&] { push(0); }), b([&] { push(1); });
  int popped_mask = 0;
  sync::Thread consumer([&] {
    for (int popped = 0; popped < 2;) {
      int top = head.Load();
      if (top == kEmpty) {
        sync::Yield();
        continue;
      }
      if (head.CompareExchangeWeak(top, next[static_cast<size_t>(top)].Load())) {
        popped_mask |= 1 << top;
        ++popped;
      }
    }
  });
  a.Join();
  b.Join();
  consumer.Join();
  Require(popped_mask == 3, "popped mask " + std::to_string(popped_mask));
}

void WaitInALoop() {
  sync::Mutex mu;
  sync::CondVar cv;
  bool ready = false;
  sync::Thread waiter([&] {
    sync::UniqueLock lock(mu);
    while (!ready) cv.Wait(lock);
  });
  sync::Thread notifier([&] {
    {
      sync::LockGuard lock(mu);
      ready = true;
    }
    cv.NotifyOne();
  });
  waiter.Join();
  notifier.Join();
}

void OrderedChangePoints() {
  sync::Atomic<int> clock(0);
  int a1 = 0, a2 = 0, b1 = 0, b2 = 0, c = 0;
  sync::Thread t1([&] {
    a1 = clock.FetchAdd(1);
    a2 = clock.FetchAdd(1);
  });
  sync::Thread t2([&] {
    b1 = clock.FetchAdd(1);
    b2 = clock.FetchAdd(1);
  });
  sync::Thread t3([&] { c = clock.FetchAdd(1); });
  t1.Join();
  t2.Join();
  t3.Join();
  Require(!(a1 < b1 && b1 < c && c < b2 && b2 < a2), "a1 < b1 < c < b2 < a2");
}

void OneInversion() {
  sync::Atomic<int> clock(0);
  int x1 = 0, x2 = 0, y = 0;
  sync::Thread t1([&] {
    x1 = clock.FetchAdd(1);
    x2 = clock.FetchAdd(1);
  });
  sync::Thread t2([&] { y = clock.FetchAdd(1); });
  t1.Join();
  t2.Join();
  Require(!(x1 < y && y < x2), "x1 < y < x2");
}

void LostUpdateBesideASpin() {
  sync::Atomic<int> count(0), order(0);
  auto add = [&] { count.Store(count.Load() + 1); };
  sync::Thread t1([&] {
    add();
    if (order.Exchange(1) == 2) {
      while (true) sync::Yield();  // thread 2 went first: wait for ever
    }
  });
  sync::Thread t2([&] {
    add();
    order.Exchange(2);
  });
  t1.Join();
  t2.Join();
  Require(count.Load() == 2, "lost update: count is " + std::to_string(count.Load()));
}

void PoliteSpinners() {
  sync::Atomic<bool> a_waits(true), b_waits(true);
  sync::Thread a([&] {
    while (b_waits.Load()) sync::Yield();  // after you
    a_waits.Store(false);
  });
  sync::Thread b([&] {
    while (a_waits.Load()) sync::Yield();  // no, after you
    b_waits.Store(false);
  });
  a.Join();
  b.Join();
}

void UnlockByNonOwner() {
  sync::Mutex mu;
  sync::Atomic<bool> held(false), released(false);
  sync::Thread owner([&] {
    mu.lock();
    held.Store(true);
    while (!released.Load()) sync::Yield();
  });
  sync::Thread other([&] {
    while (!held.Load()) sync::Yield();
    mu.unlock();
    released.Store(true);
  });
  owner.Join();
  other.Join();
}

void ExitHoldingMutex() {
  sync::Mutex mu;
  sync::Thread t([&] { mu.lock(); });
  t.Join();
}

void BodyReturnsEarly() {
  sync::Atomic<int> value(0);
  sync::Thread t([&] { value.Store(1); });
  // t is never joined.
}

void IfInsteadOfWhile() {
  sync::Mutex mu;
  sync::CondVar cv;
  bool ready = false;
  sync::Thread waiter([&] {
    sync::UniqueLock lock(mu);
    if (!ready) cv.Wait(lock);
    Require(ready, "woke up before ready was set");
  });
  sync::Thread notifier([&] {
    {
      sync::LockGuard lock(mu);
      ready = true;
    }
    cv.NotifyOne();
  });
  waiter.Join();
  notifier.Join();
}

void RelyOnNotifyOrder() {
  sync::Mutex mu;
  sync::CondVar cv;
  int waiting = 0, released = 0, first = 0;
  auto waiter = [&](int id) {
    sync::UniqueLock lock(mu);
    ++waiting;
    while (released == 0) cv.Wait(lock);
    --released;
    if (first == 0) first = id;
  };
  auto until = [&](auto condition) {
    while (true) {
      {
        sync::LockGuard lock(mu);
        if (condition()) return;
      }
      sync::Yield();
    }
  };
  sync::Thread w1([&] { waiter(1); });
  until([&] { return waiting == 1; });  // w1 waits; w2 will wait behind it
  sync::Thread w2([&] { waiter(2); });
  until([&] { return waiting == 2; });
  {
    sync::LockGuard lock(mu);
    released = 1;
  }
  cv.NotifyOne();
  until([&] { return first != 0; });
  {
    sync::LockGuard lock(mu);
    released = 1;
  }
  cv.NotifyOne();
  w1.Join();
  w2.Join();
  Require(first == 1, "the thread that waited second was woken first");
}

void RelyOnWeakCasSucceeding() {
  sync::Atomic<int> x(0);
  sync::Thread t([&] {
    int expected = 0;
    Require(x.CompareExchangeWeak(expected, 1), "compare_exchange_weak failed on a match");
  });
  t.Join();
}

std::vector<Program> CorrectPrograms() {
  return {{"spin-until-published", SpinUntilPublished},
          {"spinlock-counter", SpinlockCounter},
          {"lock-free-stack", LockFreeStackPushPop},
          {"wait-in-a-loop", WaitInALoop}};
}

std::vector<Program> BuggyPrograms() {
  return {{"ordered-change-points", OrderedChangePoints},
          {"one-inversion", OneInversion},
          {"lost-update-beside-a-spin", LostUpdateBesideASpin},
          {"polite-spinners", PoliteSpinners},
          {"unlock-by-non-owner", UnlockByNonOwner},
          {"exit-holding-mutex", ExitHoldingMutex},
          {"body-returns-early", BodyReturnsEarly},
          {"if-instead-of-while", IfInsteadOfWhile},
          {"rely-on-notify-order", RelyOnNotifyOrder},
          {"rely-on-weak-cas", RelyOnWeakCasSucceeding}};
}

}  // namespace shardstore::checker::programs
