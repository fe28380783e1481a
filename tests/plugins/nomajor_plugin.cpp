// Test plugin "nomajor": built for plugin API 2.0, so it exports fsrelay_plugin_api_v2 and no v1 entry.
#include "stub_plugin.hpp"

namespace fsrelay::test_plugins {
namespace {
constexpr sdk::PluginDescriptor kDescriptor = stubDescriptor("nomajor", 2, 0, FSRELAY_SDK_ABI_TAG);
}  // namespace

const sdk::PluginDescriptor* noMajorDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::test_plugins

// What FSRELAY_PLUGIN would export after a major version bump.
BOOST_DLL_ALIAS(fsrelay::test_plugins::noMajorDescriptor, fsrelay_plugin_api_v2)
BOOST_DLL_ALIAS(fsrelay::test_plugins::noMajorDescriptor, fsrelay_stamp_v2_0_abi_itanium_cxx11_lp64)
