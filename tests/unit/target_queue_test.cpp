// Unit tests for a target's queue index and its hash table, against naive references.
#include <gtest/gtest.h>

#include <algorithm>
#include <list>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/dispatch/flat_hash.hpp"
#include "core/dispatch/path_hash.hpp"
#include "core/dispatch/target_queue.hpp"

namespace fsrelay {
namespace {

QueuedChange up(const std::string& p) { return QueuedChange{{sdk::Op::Upsert, false, p, {}, 0}, 0, {}}; }

std::vector<std::string> pathsInOrder(const TargetQueue& q) {
  std::vector<std::string> out;
  for (auto s = q.front(); s != TargetQueue::kNone; s = q.next(s)) out.push_back(q.at(s).change.path);
  return out;
}

TEST(PathHash, a_prefix_hashes_the_same_on_the_way_through_a_longer_path) {
  const std::string path = "site/a-long-directory-name/x/.hidden//file.html";
  std::vector<std::string> seen;
  std::uint64_t whole = PathHash::walk(path, [&](std::size_t length, std::uint64_t hash) {
    seen.push_back(path.substr(0, length));
    EXPECT_EQ(hash, PathHash::of(path.substr(0, length))) << path.substr(0, length);
  });
  EXPECT_EQ(whole, PathHash::of(path));
  EXPECT_EQ(seen, (std::vector<std::string>{"site", "site/a-long-directory-name", "site/a-long-directory-name/x",
                                            "site/a-long-directory-name/x/.hidden",
                                            "site/a-long-directory-name/x/.hidden/"}));
  // Components of every length up to two words, and names that differ in one byte or in where a '/' is.
  std::vector<std::uint64_t> hashes;
  for (std::size_t n = 0; n <= 17; ++n) hashes.push_back(PathHash::of(std::string(n, 'a')));
  for (const char* p : {"ab/c", "a/bc", "abc", "abd", "b/a", "a/b", "/", "//"}) hashes.push_back(PathHash::of(p));
  std::sort(hashes.begin(), hashes.end());
  EXPECT_EQ(std::adjacent_find(hashes.begin(), hashes.end()), hashes.end());
}

TEST(FlatHashTable, finds_adds_and_erases_with_colliding_hashes) {
  FlatHashTable<int> t;
  auto is = [](int want) { return [want](int v) { return v == want; }; };
  bool added = false;
  // Every key on the same hash: the caller's predicate tells them apart, and erasing one keeps the rest.
  for (int i = 1; i <= 100; ++i) {
    t.findOrAdd(7, is(i), &added) = i;
    ASSERT_TRUE(added);
  }
  EXPECT_EQ(t.size(), 100u);
  for (int i = 1; i <= 100; i += 2) t.erase(t.find(7, is(i)));
  for (int i = 1; i <= 100; ++i) EXPECT_EQ(t.find(7, is(i)) != nullptr, i % 2 == 0) << i;
  t.findOrAdd(7, is(4), &added);
  EXPECT_FALSE(added);
}

TEST(FlatHashTable, matches_a_map_under_random_inserts_and_erases) {
  FlatHashTable<std::uint64_t> t;
  std::map<std::uint64_t, bool> ref;
  std::mt19937_64 rng(1);
  for (int step = 0; step < 200000; ++step) {
    std::uint64_t key = rng() % 5000 * 0x9e3779b97f4a7c15ULL;  // low bits alike: long probe runs
    auto same = [key](std::uint64_t v) { return v == key; };
    if (rng() % 3 != 0) {
      bool added = false;
      t.findOrAdd(key, same, &added) = key;
      ASSERT_EQ(added, !ref.count(key));
      ref[key] = true;
    } else if (auto* v = t.find(key, same)) {
      ASSERT_TRUE(ref.count(key));
      t.erase(v);
      ref.erase(key);
    } else {
      ASSERT_FALSE(ref.count(key));
    }
  }
  EXPECT_EQ(t.size(), ref.size());
  for (auto& [k, _] : ref) EXPECT_NE(t.find(k, [k](std::uint64_t v) { return v == k; }), nullptr);
}

TEST(TargetQueue, keeps_arrival_order_with_retries_at_the_front) {
  TargetQueue q;
  q.push(up("b"), false);
  q.push(up("c"), false);
  q.push(up("a"), true);
  EXPECT_EQ(pathsInOrder(q), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(q.take(q.front()).change.path, "a");
  EXPECT_EQ(pathsInOrder(q), (std::vector<std::string>{"b", "c"}));
}

TEST(TargetQueue, the_newest_item_names_its_path_and_a_retry_only_a_free_one) {
  TargetQueue q;
  auto older = q.push(up("p"), false);
  auto newer = q.push(up("p"), false);
  EXPECT_EQ(q.named("p"), newer);
  EXPECT_FALSE(q.pathsDistinct());
  auto retried = q.push(up("p"), true);
  EXPECT_EQ(q.named("p"), newer);
  q.erase(newer);  // the name goes with it, although older items of the path remain
  EXPECT_EQ(q.named("p"), TargetQueue::kNone);
  q.erase(older);
  q.erase(retried);
  EXPECT_TRUE(q.empty());
  auto alone = q.push(up("p"), true);
  EXPECT_EQ(q.named("p"), alone);
  EXPECT_TRUE(q.pathsDistinct());
}

TEST(TargetQueue, a_path_assigned_again_while_queued_is_still_found) {
  TargetQueue q;
  auto s = q.push(up("site/some/long/enough/path/for/the/heap.html"), false);
  // As the target's merge does: the queued item takes a newer change of the same path, in a new buffer.
  q.at(s).change = up("site/some/long/enough/path/for/the/heap.html").change;
  EXPECT_EQ(q.named("site/some/long/enough/path/for/the/heap.html"), s);
  EXPECT_TRUE(q.anyBelow("site/some"));
  q.erase(s);
  EXPECT_FALSE(q.anyBelow("site/some"));
  EXPECT_EQ(q.named("site/some/long/enough/path/for/the/heap.html"), TargetQueue::kNone);
}

TEST(TargetQueue, below_finds_the_items_under_a_directory_by_path) {
  TargetQueue q;
  for (const char* p : {"d/z", "d", "dx/a", "d/a/b", "e/d/a", "d/a", "d/z"}) q.push(up(p), false);
  EXPECT_TRUE(q.anyBelow("d"));
  EXPECT_TRUE(q.anyBelow("d/a"));
  EXPECT_FALSE(q.anyBelow("d/z"));
  EXPECT_FALSE(q.anyBelow("dx/a"));
  std::vector<std::string> found;
  for (auto s : q.below("d")) found.push_back(q.at(s).change.path);
  EXPECT_EQ(found, (std::vector<std::string>{"d/a", "d/a/b", "d/z", "d/z"}));
  auto both = q.below("d");
  EXPECT_LT(both[2], both[3]);  // equal paths in the order they came
}

TEST(TargetQueue, takeAll_empties_it_in_arrival_order) {
  TargetQueue q;
  q.push(up("x/1"), false);
  q.push(up("x/2"), false);
  q.push(up("x/0"), true);
  auto all = q.takeAll();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].change.path, "x/0");
  EXPECT_EQ(all[2].change.path, "x/2");
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.anyBelow("x"));
  EXPECT_EQ(q.named("x/1"), TargetQueue::kNone);
}

// The queue against a list with a path map: the same pushes, takes and erases, the same answers.
TEST(TargetQueue, matches_a_naive_reference_under_random_operations) {
  struct Ref {
    std::string path;
    std::uint64_t seq;
    TargetQueue::Slot slot;
  };
  std::list<Ref> ref;
  std::map<std::string, std::uint64_t> named;  // path -> seq of the naming item
  TargetQueue q;
  std::mt19937_64 rng(7);
  std::uint64_t seq = 0;
  auto randomPath = [&] {
    std::string p = "r";
    for (int depth = static_cast<int>(rng() % 4); depth >= 0; --depth) p += "/" + std::to_string(rng() % 4);
    return p;
  };
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 10);
    if (op < 5 || ref.empty()) {
      bool front = rng() % 4 == 0;
      std::string p = randomPath();
      auto slot = q.push(up(p), front);
      if (!front || !named.count(p)) named[p] = seq;
      if (front)
        ref.push_front({p, seq++, slot});
      else
        ref.push_back({p, seq++, slot});
    } else {
      auto it = ref.begin();
      std::advance(it, static_cast<long>(rng() % ref.size()));
      auto n = named.find(it->path);
      if (n != named.end() && n->second == it->seq) named.erase(n);
      if (op < 8)
        q.erase(it->slot);
      else
        ASSERT_EQ(q.take(it->slot).change.path, it->path);
      ref.erase(it);
    }
    ASSERT_EQ(q.size(), ref.size());
    std::string probe = randomPath();
    auto n = named.find(probe);
    auto s = q.named(probe);
    if (n == named.end()) {
      ASSERT_EQ(s, TargetQueue::kNone) << probe;
    } else {
      auto r = std::find_if(ref.begin(), ref.end(), [&](const Ref& x) { return x.seq == n->second; });
      ASSERT_EQ(s, r->slot) << probe;
    }
    std::string dir = probe.substr(0, probe.rfind('/'));
    std::vector<Ref> under;
    for (const auto& r : ref)
      if (r.path.starts_with(dir + "/")) under.push_back(r);
    std::sort(under.begin(), under.end(),
              [](const Ref& a, const Ref& b) { return a.path != b.path ? a.path < b.path : a.seq < b.seq; });
    ASSERT_EQ(q.anyBelow(dir), !under.empty()) << dir;
    auto got = q.below(dir);
    ASSERT_EQ(got.size(), under.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], under[i].slot);
  }
  std::vector<std::string> want;
  for (const auto& r : ref) want.push_back(r.path);
  EXPECT_EQ(pathsInOrder(q), want);
  std::map<std::string, int> count;
  for (const auto& r : ref) ++count[r.path];
  bool distinct = std::all_of(count.begin(), count.end(), [](auto& c) { return c.second == 1; });
  if (q.pathsDistinct()) EXPECT_TRUE(distinct);
}

}  // namespace
}  // namespace fsrelay
