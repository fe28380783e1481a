// Microbenchmark of the per-event path: exclude filter and coalescer on 1,000,000 synthetic events.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bench/bench_workload.hpp"

namespace fsrelay {
namespace {

using namespace fsrelay::bench;

// Feeds the events with a clock that advances 1 ms every 100 events and takes what is ready every 256
// events, as the engine's loop would.
template <bool kFilter, bool kAncestors>
void runPipeline(benchmark::State& state) {
  const Workload& w = workload();
  Filter filter = sampleFilter();
  std::size_t changes = 0;
  std::size_t dropped = 0;
  for (auto _ : state) {
    Coalescer co(coalescerOptions());
    std::int64_t now = 0;
    for (std::size_t i = 0; i < w.events.size(); ++i) {
      const Event& e = w.events[i];
      const std::string& path = w.paths[e.path];
      if constexpr (kFilter) {
        bool out = kAncestors ? filter.excluded(path, e.isDir) : filter.excludedSelf(path, e.isDir);
        if (out) {
          ++dropped;
          continue;
        }
      }
      if (e.move) {
        co.move(path, w.paths[e.to], e.isDir, now, now);
      } else {
        co.add(path, e.kind, e.isDir, e.born, now, now);
      }
      if (i % 100 == 99) ++now;
      if (i % 256 == 255) changes += co.takeReady(now).size();
    }
    changes += co.takeAll().size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.events.size()));
  state.counters["changes_per_run"] = static_cast<double>(changes) / static_cast<double>(state.iterations());
  state.counters["filtered_per_run"] = static_cast<double>(dropped) / static_cast<double>(state.iterations());
}

// The figure that matters: every event through the filter (the path and its ancestors) and the coalescer.
void BM_FilterAndCoalescer(benchmark::State& state) { runPipeline<true, true>(state); }
// As the watcher calls it: it never descends into an excluded directory, so it checks the path only.
void BM_FilterSelfAndCoalescer(benchmark::State& state) { runPipeline<true, false>(state); }
void BM_CoalescerOnly(benchmark::State& state) { runPipeline<false, false>(state); }

void BM_FilterOnly(benchmark::State& state) {
  const Workload& w = workload();
  Filter filter = sampleFilter();
  for (auto _ : state) {
    std::size_t dropped = 0;
    for (const auto& e : w.events) dropped += filter.excluded(w.paths[e.path], e.isDir);
    benchmark::DoNotOptimize(dropped);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.events.size()));
}

void BM_TempNamesOnly(benchmark::State& state) {
  const Workload& w = workload();
  TempNames temp = *TempNames::build(TuningConf{}.tempPatterns, nullptr);
  for (auto _ : state) {
    std::size_t hits = 0;
    for (const auto& e : w.events) hits += temp.isTemp(baseName(w.paths[e.path]));
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * w.events.size()));
}

BENCHMARK(BM_FilterAndCoalescer)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilterSelfAndCoalescer)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CoalescerOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FilterOnly)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TempNamesOnly)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fsrelay
