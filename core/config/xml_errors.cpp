// TinyXML-2's parse errors as clear messages for the config's diagnostics.
#include "core/config/xml_errors.hpp"

#include <string_view>

#include "core/config/diagnostics.hpp"

namespace fsrelay::config_detail {

namespace {

// The element TinyXML-2 names in some errors: ErrorStr() ends in ": XMLElement name=NAME". "" when it does not.
std::string elementNamed(const tinyxml2::XMLDocument& doc) {
  const char* text = doc.ErrorStr();
  if (text == nullptr) return "";
  const std::string_view s(text);
  constexpr std::string_view kMarker = "XMLElement name=";
  const std::size_t at = s.find(kMarker);
  if (at == std::string_view::npos) return "";
  return shortened(s.substr(at + kMarker.size()));
}

}  // namespace

std::string describeXmlError(const tinyxml2::XMLDocument& doc) {
  using namespace tinyxml2;
  const std::string name = elementNamed(doc);
  const std::string element = name.empty() ? "an element" : "<" + name + ">";
  std::string why;
  switch (doc.ErrorID()) {
    case XML_ERROR_EMPTY_DOCUMENT:
      why = "the file holds no element; expected <head version=\"2.5\"> (sersync's confxml.xml)";
      break;
    case XML_ERROR_PARSING_ELEMENT:
      why = "a tag" + (name.empty() ? std::string() : " of <" + name + ">") +
            " is not well-formed: a quote or its '>' is missing, or an attribute name is not valid";
      break;
    case XML_ERROR_PARSING_ATTRIBUTE:
      why = "an attribute of " + element + " is not well-formed or appears twice (write each one once, as "
            "name=\"value\")";
      break;
    case XML_ERROR_PARSING_TEXT:
      why = "text where none may be: after the root element <head>, bytes that are not XML, or text running to "
            "the end of the file";
      break;
    case XML_ERROR_PARSING_CDATA:
      why = "a <![CDATA[ section is not closed (its ]]> is missing)";
      break;
    case XML_ERROR_PARSING_COMMENT:
      why = "a comment is not closed (its --> is missing)";
      break;
    case XML_ERROR_PARSING_DECLARATION:
      why = "an XML declaration (<?xml ...?>) that is not well-formed or not at the start of the file";
      break;
    case XML_ERROR_PARSING_UNKNOWN:
      why = "a <! or <? markup is not closed (its '>' is missing)";
      break;
    case XML_ERROR_MISMATCHED_ELEMENT:
      why = element + ", opened on this line, is followed by an end tag that is not its own: an end tag is "
            "missing, misspelt or out of place";
      break;
    case XML_ERROR_PARSING:
      why = "an element opened on this line is not closed (its end tag is missing), or its name is not valid";
      break;
    case XML_ELEMENT_DEPTH_EXCEEDED:
      why = "elements are nested more than " + std::to_string(TINYXML2_MAX_ELEMENT_DEPTH) + " deep";
      break;
    default:
      why = std::string("the XML parser stopped (") + doc.ErrorName() + ")";
      break;
  }
  return "malformed XML: " + why;
}

}  // namespace fsrelay::config_detail
