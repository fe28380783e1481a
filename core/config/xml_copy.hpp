// Copies a TinyXML-2 element into the loader-independent XmlNode tree kept for plugin sections.
#pragma once

#include <tinyxml2.h>

#include "core/config/config.hpp"

namespace fsrelay::config_detail {

// Attribute values and text are trimmed, as everywhere else in the config; comments are dropped.
XmlNode copyXml(const tinyxml2::XMLElement& el);

}  // namespace fsrelay::config_detail
