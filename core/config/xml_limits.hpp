// Bounds on config text checked before TinyXML-2 parses it: the file's size, and attributes per element.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fsrelay::config_detail {

// A sersync confxml.xml is a few KB; anything past this is not a config (a log, an image, /dev/zero) and is
// refused before it is parsed.
inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;
// TinyXML-2 checks each new attribute of an element against all the earlier ones: 20,000 attributes on one
// element take 8 s to parse, 40,000 take 47 s. An element of confxml.xml has a handful.
inline constexpr std::size_t kMaxAttributes = 100;

// The error for a text of more than kMaxConfigBytes.
std::string tooLargeMessage();

struct TextProblem {
  int line = 0;
  std::string message;
};

// The first start tag with more than kMaxAttributes attributes, with its line (as TinyXML-2 would number it).
// A light scan, not a parser: comments, CDATA, declarations and quoted values are skipped; what it misreads
// in malformed text TinyXML-2 reports anyway. Like TinyXML-2, it stops at a NUL byte.
std::optional<TextProblem> checkAttributeCounts(std::string_view text);

}  // namespace fsrelay::config_detail
