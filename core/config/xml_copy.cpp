// Element-to-XmlNode copy; the plugin that owns a section interprets and validates it later.
#include "core/config/xml_copy.hpp"

#include "core/config/attr_reader.hpp"

namespace fsrelay::config_detail {

XmlNode copyXml(const tinyxml2::XMLElement& el) {
  XmlNode node;
  node.name = el.Name();
  node.line = el.GetLineNum();
  for (const tinyxml2::XMLAttribute* a = el.FirstAttribute(); a != nullptr; a = a->Next())
    node.attributes.emplace_back(a->Name(), trim(a->Value()));
  std::string text;
  for (const tinyxml2::XMLNode* c = el.FirstChild(); c != nullptr; c = c->NextSibling()) {
    if (const tinyxml2::XMLElement* child = c->ToElement()) {
      node.children.push_back(copyXml(*child));
    } else if (const tinyxml2::XMLText* t = c->ToText()) {
      text += t->Value();
    }
  }
  node.text = trim(text);
  return node;
}

}  // namespace fsrelay::config_detail
