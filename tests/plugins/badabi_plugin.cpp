// Test plugin "badabi": the right API version but an unknown ABI tag ("foo"); the loader must refuse it unloaded.
#include "stub_plugin.hpp"

namespace fsrelay::test_plugins {
namespace {
constexpr sdk::PluginDescriptor kDescriptor =
    stubDescriptor("badabi", FSRELAY_SDK_API_MAJOR, FSRELAY_SDK_API_MINOR, "foo");
}  // namespace

const sdk::PluginDescriptor* badAbiDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::test_plugins

// As a compiler with another C++ ABI would stamp it (FSRELAY_SDK_ABI_TOKEN = foo).
BOOST_DLL_ALIAS(fsrelay::test_plugins::badAbiDescriptor, fsrelay_plugin_api_v1)
BOOST_DLL_ALIAS(fsrelay::test_plugins::badAbiDescriptor, fsrelay_stamp_v1_0_abi_foo)
