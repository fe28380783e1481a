// TinyXML-2's parse errors as clear messages for the config's diagnostics.
#pragma once

#include <tinyxml2.h>

#include <string>

namespace fsrelay::config_detail {

// What went wrong, for a document whose Parse() failed: "malformed XML: " and a sentence about the line
// doc.ErrorLineNum() names, instead of TinyXML-2's "Error=XML_ERROR_... ErrorID=7 (0x7) Line number=3: ...".
std::string describeXmlError(const tinyxml2::XMLDocument& doc);

}  // namespace fsrelay::config_detail
