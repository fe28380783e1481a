// A do-nothing plugin body for the test plugins whose point is their export table (version stamps).
#pragma once

#include <fsrelay/plugin.hpp>

namespace fsrelay::test_plugins {

// Accepts every batch and does nothing; the mis-stamped plugins must never get as far as creating one.
class StubInstance final : public sdk::Instance {
 public:
  sdk::Status deliver(const sdk::Batch&, sdk::Report&) noexcept override { return sdk::Status::Ok; }
  void destroy() noexcept override { delete this; }
};

inline sdk::Instance* createStub(const sdk::CreateArgs*) noexcept { return new StubInstance; }

// A descriptor claiming the given API version and ABI tag (what the stamp says too).
constexpr sdk::PluginDescriptor stubDescriptor(const char* name, std::uint32_t major, std::uint32_t minor,
                                               const char* abiTag) {
  return sdk::PluginDescriptor{major, minor, abiTag, name, "0.0.1", "test plugin with a foreign stamp",
                               nullptr, 0, &createStub, nullptr};
}

}  // namespace fsrelay::test_plugins
