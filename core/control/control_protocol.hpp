// The control socket's protocol: one request line in, one document out, then the server closes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fsrelay {

// The socket's name in the daemon's state folder.
inline constexpr const char* kControlSocketName = "control.sock";

enum class StatusFormat { Text, Json };

// "status\n" -> Text, "status json\n" -> Json (a trailing "\r" is tolerated, for people typing into socat);
// anything else -> nullopt.
std::optional<StatusFormat> parseControlRequest(std::string_view line);
std::string controlRequest(StatusFormat format);
// The control socket's path for a state folder.
std::string controlSocketPath(const std::string& stateDir);

}  // namespace fsrelay
