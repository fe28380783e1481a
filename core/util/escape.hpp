// Printable forms of byte strings (file names are bytes) for logs and the fail log, and the way back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fsrelay {

// Backslash-escapes "\\", tab, newline, CR and every byte outside printable ASCII as \xNN; the rest is kept.
std::string escapeBytes(std::string_view bytes);
// Inverse of escapeBytes; nullopt on a malformed escape.
std::optional<std::string> unescapeBytes(std::string_view text);

}  // namespace fsrelay
