// Structured fields of one log line (target, count, ...): members of the object in JSON lines.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fsrelay::log {

class Fields {
 public:
  enum class Kind { Text, Bytes, Number };
  struct Field {
    std::string key;
    Kind kind;
    std::string text;  // Text and Bytes
    std::int64_t number = 0;
  };

  Fields& text(std::string_view key, std::string_view value) {
    items_.push_back(Field{std::string(key), Kind::Text, std::string(value), 0});
    return *this;
  }
  // A file name or anything else that is bytes: JSON gets key_b64 as well when it is not valid UTF-8.
  Fields& bytes(std::string_view key, std::string_view value) {
    items_.push_back(Field{std::string(key), Kind::Bytes, std::string(value), 0});
    return *this;
  }
  Fields& number(std::string_view key, std::int64_t value) {
    items_.push_back(Field{std::string(key), Kind::Number, {}, value});
    return *this;
  }
  const std::vector<Field>& items() const { return items_; }

 private:
  std::vector<Field> items_;
};

}  // namespace fsrelay::log
