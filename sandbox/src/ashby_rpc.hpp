// What every emulated Ashby RPC handler shares (ashby_*.cpp): the business error each one throws
// and the readers of a request body. AshbyState::call turns an AshbyError into Ashby's
// success:false envelope.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>

namespace atsm::sandbox::ashby_rpc {

struct AshbyError {
  std::string code, message;
};

[[noreturn]] void fail(const std::string& code, const std::string& message);

const boost::json::value* field(const boost::json::object& body, const char* key);
std::string required_string(const boost::json::object& body, const char* key);
std::optional<std::string> optional_string(const boost::json::object& body, const char* key);
std::string checked_time(const boost::json::object& body, const char* key,
                         const std::string& fallback);

// What the API answers of a stored object (private members and nulls left out).
boost::json::object render(const boost::json::object& object);
inline boost::json::object results(boost::json::value value) {
  return boost::json::object{{"results", std::move(value)}};
}
// The lists whose request schemas take no `limit` refuse one.
void refuse_limit(const boost::json::object& body, const std::string& method);

}  // namespace atsm::sandbox::ashby_rpc
