#include <atsmigrate/kit/checkpoint.hpp>

#include <algorithm>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atsmigrate/connector.hpp>

namespace atsm::kit {
namespace json = boost::json;

CheckpointFormat::CheckpointFormat(std::string connector, std::vector<std::string> members)
    : connector_(std::move(connector)), members_(std::move(members)) {}

bool CheckpointFormat::declared(std::string_view member) const {
  return std::find(members_.begin(), members_.end(), member) != members_.end();
}

json::object CheckpointFormat::parse(std::string_view kind, std::string_view checkpoint) const {
  if (checkpoint.empty())
    return {};
  const std::string what = connector_ + " checkpoint for " + std::string(kind);
  boost::system::error_code error;
  json::value value = json::parse(checkpoint, error);
  if (error || !value.is_object())
    throw sdk::Error(ATSM_INVALID, what + " is not a JSON object");
  json::object& object = value.as_object();
  // A checkpoint holding none of this connector's members is another's (sdk/README.md: a
  // foreign checkpoint is ATSM_INVALID, never a silent restart from the beginning).
  if (!object.empty() && std::none_of(object.begin(), object.end(),
                                      [&](const auto& member) { return declared(member.key()); }))
    throw sdk::Error(ATSM_INVALID, what + " is not one this connector wrote: " +
                                       std::string(checkpoint.substr(0, 80)));
  return std::move(object);
}

std::string CheckpointFormat::write(const json::object& position) const {
  for (const auto& member : position)
    if (!declared(member.key()))
      throw sdk::Error(ATSM_INTERNAL, connector_ + " checkpoint member '" +
                                          std::string(member.key()) + "' is not declared");
  return json::serialize(position);
}

}  // namespace atsm::kit
