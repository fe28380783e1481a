// Microbenchmark of the whole event pipeline: filter, coalescer and Target dispatch (a stub plugin that
// accepts every batch) on 1,000,000 synthetic events; events per second and heap bytes per pending change.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "bench/bench_workload.hpp"
#include "core/dispatch/target.hpp"

namespace fsrelay {
namespace {

using namespace fsrelay::bench;
using namespace std::chrono_literals;

// Accepts every batch at once: what is measured is the host's side of dispatch, not a transfer.
class AcceptAll final : public sdk::Instance {
 public:
  sdk::Status deliver(const sdk::Batch& batch, sdk::Report&) noexcept override {
    events += batch.event_count;
    return sdk::Status::Ok;
  }
  void destroy() noexcept override {}
  std::atomic<std::size_t> events{0};
};

std::size_t heapInUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

// Every event through the filter (path and ancestors) and the coalescer, and what is ready handed to a
// Target every 256 events, as the engine's loop does; the target's worker delivers on its own thread.
void BM_FilterCoalescerDispatch(benchmark::State& state) {
  const Workload& w = workload();
  Filter filter = sampleFilter();
  char tmpl[] = "/tmp/fsrelay-pipeline-XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::size_t delivered = 0;
  // Time the engine's thread spends handing changes to the target (merging them into its queue): the
  // part of dispatch that the event loop pays for, apart from what the worker's thread does.
  std::chrono::steady_clock::duration enqueueTime{};
  for (auto _ : state) {
    Lifecycle life;
    TransferSlots slots{4};
    FailLog failLog(dir + "/fail.log");
    AcceptAll instance;
    // No burst gathering: this measures throughput, not how long changes wait to be batched.
    Target::Options o{"bench", dir, "stub", RetryPolicy{3, 1ms, 2ms}, 100000, {}, 0ms, 0ms, 0ms};
    Target target(o, &instance, std::make_unique<HostServices>("bench", life), failLog, slots, life, nullptr);
    target.start();
    Coalescer co(coalescerOptions());
    std::int64_t now = 0;
    for (std::size_t i = 0; i < w.events.size(); ++i) {
      const Event& e = w.events[i];
      const std::string& path = w.paths[e.path];
      if (!filter.excluded(path, e.isDir)) {
        if (e.move)
          co.move(path, w.paths[e.to], e.isDir, now, now);
        else
          co.add(path, e.kind, e.isDir, e.born, now, now);
      }
      if (i % 100 == 99) ++now;
      if (i % 256 == 255) {
        auto ready = co.takeReady(now);
        auto t0 = std::chrono::steady_clock::now();
        if (!ready.empty()) target.enqueue(std::move(ready));
        enqueueTime += std::chrono::steady_clock::now() - t0;
      }
    }
    target.enqueue(co.takeAll());
    while (!target.idle()) std::this_thread::sleep_for(100us);
    target.finish();
    target.join();
    delivered += instance.events;
  }
  ::unlink((dir + "/fail.log").c_str());
  ::unlink((dir + "/fail.log.tmp").c_str());
  ::rmdir(dir.c_str());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.events.size()));
  state.counters["enqueue_ms_per_run"] =
      std::chrono::duration<double, std::milli>(enqueueTime).count() / static_cast<double>(state.iterations());
  state.counters["delivered_per_run"] = static_cast<double>(delivered) / static_cast<double>(state.iterations());
}

// Heap held per pending change: every event added to one coalescer, nothing taken, so the coalescer holds
// the whole backlog (what a daemon holds while a remote is down or a full sync runs).
void BM_BytesPerPendingChange(benchmark::State& state) {
  const Workload& w = workload();
  Filter filter = sampleFilter();
  double perChange = 0;
  std::size_t pending = 0;
  for (auto _ : state) {
    ::malloc_trim(0);
    std::size_t before = heapInUse();
    auto co = std::make_unique<Coalescer>(coalescerOptions());
    for (const Event& e : w.events) {
      const std::string& path = w.paths[e.path];
      if (filter.excluded(path, e.isDir)) continue;
      if (e.move)
        co->move(path, w.paths[e.to], e.isDir, 0, 0);
      else
        co->add(path, e.kind, e.isDir, e.born, 0, 0);
    }
    pending = co->size();
    perChange = static_cast<double>(heapInUse() - before) / static_cast<double>(pending);
    co.reset();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.events.size()));
  state.counters["pending_changes"] = static_cast<double>(pending);
  state.counters["bytes_per_pending_change"] = perChange;
}

BENCHMARK(BM_FilterCoalescerDispatch)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BytesPerPendingChange)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace fsrelay
