// A connector's checkpoints: JSON objects whose members are declared once, where they are
// written and read. Parsing refuses what this connector cannot have written (not a JSON object,
// or an object holding none of its members: another connector's, sdk/README.md) with
// ATSM_INVALID instead of restarting from the beginning in silence; writing refuses a member that
// was not declared (ATSM_INTERNAL), so the declaration cannot drift from what is written.
//
//   const kit::CheckpointFormat kCheckpoints("greenhouse", {"page", "last_id", "owed", "retry",
//                                                          "refetch"});
//   json::object at = kCheckpoints.parse(kind, checkpoint);
//   emit(..., kCheckpoints.write({{"page", next}, {"last_id", last}}));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace atsm::kit {

class CheckpointFormat {
 public:
  // `members`: every member this connector's checkpoints hold, including those the host writes
  // for it ("refetch", sdk/docs/sink-protocol.md §5).
  CheckpointFormat(std::string connector, std::vector<std::string> members);

  // "" is the beginning: an empty object. Throws sdk::Error(ATSM_INVALID) naming the connector
  // and the kind for a checkpoint that is not a JSON object or holds none of the members.
  boost::json::object parse(std::string_view kind, std::string_view checkpoint) const;

  // The checkpoint text of `position`; sdk::Error(ATSM_INTERNAL) for an undeclared member.
  std::string write(const boost::json::object& position) const;

  const std::vector<std::string>& members() const { return members_; }

 private:
  bool declared(std::string_view member) const;
  std::string connector_;
  std::vector<std::string> members_;
};

}  // namespace atsm::kit
