// Reading a staged canonical record's members, shared by the pipeline's steps.
#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <string_view>

namespace atsm::pipeline {

// The string member `key` of `record`, or "" when it is absent or not a string.
inline std::string text(const boost::json::object& record, const char* key) {
  const boost::json::value* value = record.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// `text` with ASCII letters lower-cased (tag names and HTML compare without case).
inline std::string ascii_lower(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

}  // namespace atsm::pipeline
