// Test plugin "newminor": stamped for plugin API 1.99, newer than any host; the loader must refuse it unloaded.
#include "stub_plugin.hpp"

namespace fsrelay::test_plugins {
namespace {
constexpr sdk::PluginDescriptor kDescriptor = stubDescriptor("newminor", 1, 99, FSRELAY_SDK_ABI_TAG);
}  // namespace

const sdk::PluginDescriptor* newMinorDescriptor() { return &kDescriptor; }

}  // namespace fsrelay::test_plugins

// Written out instead of FSRELAY_PLUGIN: the right entry name, a stamp a future SDK 1.99 would make.
BOOST_DLL_ALIAS(fsrelay::test_plugins::newMinorDescriptor, fsrelay_plugin_api_v1)
BOOST_DLL_ALIAS(fsrelay::test_plugins::newMinorDescriptor, fsrelay_stamp_v1_99_abi_itanium_cxx11_lp64)
