// Reads one XML element's attributes: trimmed values, sersync booleans, ranged integers, unknown-name warnings.
#pragma once

#include <tinyxml2.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/diagnostics.hpp"

namespace fsrelay::config_detail {

std::string trim(std::string_view s);

class AttrReader {
 public:
  // Warns once for every attribute of `el` that is not in `known` (a typo silently ignored would leave a
  // feature at its default with no hint why).
  AttrReader(const tinyxml2::XMLElement& el, DiagnosticSink& sink, std::initializer_list<std::string_view> known);

  int line() const { return el_.GetLineNum(); }
  std::string element() const { return "<" + shortened(el_.Name()) + ">"; }
  bool has(const char* name) const { return el_.Attribute(name) != nullptr; }

  // The value with surrounding whitespace removed; nullopt when the attribute is absent.
  std::optional<std::string> text(const char* name) const;
  // As text(), but an absent or blank value is an error that names `what` it is needed for.
  std::optional<std::string> required(const char* name, std::string_view what);
  // "true"/"false" in any case. Absent: nullopt, no diagnostic. Anything else: an error, nullopt.
  std::optional<bool> boolean(const char* name);
  // A decimal integer in [min, max]. Absent: nullopt, no diagnostic. Otherwise-wrong: an error, nullopt.
  std::optional<int> integer(const char* name, long long min, long long max);

 private:
  const tinyxml2::XMLElement& el_;
  DiagnosticSink& sink_;
};

}  // namespace fsrelay::config_detail
