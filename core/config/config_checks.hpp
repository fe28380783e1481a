// Checks of config values against the environment: paths, the watch folder, the rsync password file, regexes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace fsrelay::config_detail {

// Absolute (a relative path is taken from the current working directory, as sersync did), lexically
// normalised, no trailing "/" except for "/" itself. Symlinks are not resolved. "" stays "".
std::string normalisePath(const std::string& path);

// Each returns nullopt when fine, else the message of an error.
std::optional<std::string> checkDir(const std::string& path, const std::string& what);
std::optional<std::string> checkWatchDir(const std::string& path);
// rsync refuses a password file that others can read; we also refuse group access, since the file holds a
// secret and only fsrelay's user needs it. As root, rsync also wants it owned by root.
std::optional<std::string> checkPasswordFile(const std::string& path);
// NFA states of one expression (libstdc++'s own limit, _GLIBCXX_REGEX_STATE_LIMIT), and of all the expressions
// of one config file together: compiling costs about 1 us per state, and the filter keeps them in memory.
inline constexpr std::size_t kMaxRegexStates = 100000;
inline constexpr std::size_t kMaxConfigRegexStates = 500000;

// An upper estimate of the NFA states of expression (nested repeats multiply).
std::size_t estimatedStates(const std::string& expression);

// Whether `expression` compiles as a std::regex ECMAScript pattern; the error names it and the reason. One
// whose estimated states exceed kMaxRegexStates, or *statesLeft (then reduced by them; nullptr: no such
// budget), is refused without compiling it.
std::optional<std::string> checkRegex(const std::string& expression, std::size_t* statesLeft = nullptr);

}  // namespace fsrelay::config_detail
