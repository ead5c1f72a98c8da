// What the emulated Lever's files share (lever_server.cpp, lever_records.cpp).
#pragma once

#include <string>
#include <vector>

#include "servers.hpp"

namespace atsm::sandbox::lever_api {

inline json::object lever_error(const std::string& code, const std::string& message) {
  return json::object{{"code", code}, {"message", message}};
}

inline std::vector<std::string> multi_values(const httplib::Request& request,
                                             const std::string& key) {
  std::vector<std::string> values;
  auto range = request.params.equal_range(key);
  for (auto it = range.first; it != range.second; ++it) {
    std::size_t start = 0;
    while (start <= it->second.size()) {
      std::size_t comma = it->second.find(',', start);
      std::string part =
          it->second.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty())
        values.push_back(part);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
  }
  return values;
}

// When the opportunity last changed stage (its creation when it never did).
inline std::int64_t last_advanced_at(const LeverOpportunity& opp) {
  return opp.stage_changes.empty() ? opp.created_at : opp.stage_changes.back().at;
}

}  // namespace atsm::sandbox::lever_api
