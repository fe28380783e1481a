// Pure helpers of the http plugin's endpoint: bind address, Host/Origin checks, bearer tokens, /sync arguments.
#include "request_args.hpp"

#include <cstdint>

namespace fsrelay::http {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  const std::size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const std::size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// Splits "name[:port]" / "[v6]:port" into host and port text.
void splitHostPort(std::string_view hostPort, std::string_view* host, std::string_view* port) {
  *port = {};
  if (!hostPort.empty() && hostPort.front() == '[') {
    const std::size_t close = hostPort.find(']');
    if (close == std::string_view::npos) {
      *host = hostPort;
      return;
    }
    *host = hostPort.substr(1, close - 1);
    if (close + 1 < hostPort.size() && hostPort[close + 1] == ':') *port = hostPort.substr(close + 2);
    return;
  }
  const std::size_t colon = hostPort.rfind(':');
  if (colon == std::string_view::npos || hostPort.find(':') != colon) {  // none, or a bare v6 literal
    *host = hostPort;
    return;
  }
  *host = hostPort.substr(0, colon);
  *port = hostPort.substr(colon + 1);
}

// A small reader for one flat JSON object whose values are strings or null.
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  void skipBlanks() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  bool eat(char c) {
    skipBlanks();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool atEnd() {
    skipBlanks();
    return i_ == s_.size();
  }
  bool literal(std::string_view word) {
    skipBlanks();
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool string(std::string* out) {
    if (!eat('"')) return false;
    out->clear();
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // a surrogate pair makes one code point
            std::uint32_t low = 0;
            if (s_.substr(i_, 2) != "\\u") return false;
            i_ += 2;
            if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;
          }
          appendUtf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

 private:
  bool hex4(std::uint32_t* out) {
    if (i_ + 4 > s_.size()) return false;
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else return false;
    }
    *out = v;
    return true;
  }
  static void appendUtf8(std::string* out, std::uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::string normalizeBindHost(std::string_view hostip) {
  const std::string_view h = trim(hostip);
  if (h.empty() || equalNoCase(h, "localhost")) return "127.0.0.1";
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') return std::string(h.substr(1, h.size() - 2));
  return std::string(h);
}

bool isLoopbackAddress(std::string_view host) {
  if (equalNoCase(host, "localhost") || host == "::1" || host == "[::1]") return true;
  // Dotted quad starting with 127.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0;
  int digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (++digits > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

bool loopbackHostHeaderAllowed(std::string_view hostHeader, int port) {
  std::string_view host;
  std::string_view portText;
  splitHostPort(trim(hostHeader), &host, &portText);
  if (!isLoopbackAddress(host)) return false;
  return portText.empty() || portText == std::to_string(port);
}

bool sameOrigin(std::string_view origin, std::string_view hostHeader) {
  const std::string_view o = trim(origin);
  const std::string_view h = trim(hostHeader);
  if (h.empty()) return false;
  if (o.size() != 7 + h.size()) return false;
  return equalNoCase(o.substr(0, 7), "http://") && equalNoCase(o.substr(7), h);
}

std::optional<std::string> bearerToken(std::string_view authorization) {
  const std::string_view a = trim(authorization);
  if (a.size() < 7 || !equalNoCase(a.substr(0, 6), "bearer") || (a[6] != ' ' && a[6] != '\t')) {
    return std::nullopt;
  }
  const std::string_view token = trim(a.substr(7));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

bool constantTimeEqual(std::string_view secret, std::string_view given) {
  // Every byte of given is compared (against secret repeated), so the time says nothing about secret.
  unsigned diff = secret.size() == given.size() ? 0u : 1u;
  if (secret.empty()) return false;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(secret[i % secret.size()]) ^ static_cast<unsigned char>(given[i]);
  }
  return diff == 0;
}

std::optional<std::string> tokenFromFile(std::string_view content, std::string* why) {
  const std::string_view token = trim(content);
  for (char ch : token) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F) {
      *why = "the token must be one word of printable characters";
      return std::nullopt;
    }
  }
  if (token.size() < 16) {
    *why = "the token must be at least 16 characters (e.g. `openssl rand -hex 32`)";
    return std::nullopt;
  }
  return std::string(token);
}

std::optional<SyncArgs> parseSyncJson(std::string_view body, std::string* why) {
  JsonReader r(body);
  SyncArgs args;
  auto bad = [&](const char* what) -> std::optional<SyncArgs> {
    *why = what;
    return std::nullopt;
  };
  if (r.atEnd()) return args;  // an empty body: everything
  if (!r.eat('{')) return bad("the body must be a JSON object like {\"root\":\"/srv\",\"target\":\"t1\"}");
  bool seenRoot = false;
  bool seenTarget = false;
  if (!r.eat('}')) {
    do {
      std::string key;
      if (!r.string(&key) || !r.eat(':')) return bad("malformed JSON object");
      std::string value;
      if (!r.literal("null") && !r.string(&value)) return bad("\"root\" and \"target\" must be strings");
      if (key == "root" && !seenRoot) {
        args.root = std::move(value);
        seenRoot = true;
      } else if (key == "target" && !seenTarget) {
        args.target = std::move(value);
        seenTarget = true;
      } else {
        return bad("only \"root\" and \"target\" are accepted, each once");
      }
    } while (r.eat(','));
    if (!r.eat('}')) return bad("malformed JSON object");
  }
  if (!r.atEnd()) return bad("trailing bytes after the JSON object");
  return args;
}

}  // namespace fsrelay::http
