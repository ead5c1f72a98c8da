#include "verify/child_runner.hpp"

#include <signal.h>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "host/child_process.hpp"

namespace atsm::verify {

namespace json = boost::json;

CheckResult run_in_child(const std::function<CheckResult()>& body, unsigned timeout_s) {
  CheckResult result;
  host::ChildOutcome child;
  try {
    child = host::run_in_child(
        [&] {
          CheckResult answer = body();
          return json::serialize(json::object{{"outcome", outcome_name(answer.outcome)},
                                              {"reason", valid_utf8(answer.reason)},
                                              {"detail", valid_utf8(answer.detail)}});
        },
        timeout_s);
  } catch (const std::exception& error) {
    result.outcome = Outcome::fail;
    result.reason = error.what();
    return result;
  }
  result.seconds = child.seconds;
  boost::system::error_code ec;
  json::value answer = child.answer ? json::parse(*child.answer, ec) : json::value();
  if (child.timed_out) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format("timed out after {} s (a hang); killed", timeout_s);
    result.signal = host::signal_text(SIGKILL);
  } else if (child.signal != 0) {
    result.outcome = Outcome::fail;
    result.signal = host::signal_text(child.signal);
    result.reason = fmt::format("the check's process died of {}", result.signal);
  } else if (ec || !answer.is_object()) {
    result.outcome = Outcome::fail;
    result.reason = fmt::format(
        "the check's process exited with status {} without a result "
        "(the plugin called exit, or a sanitizer stopped it: see the log)",
        child.exit_status);
  } else {
    const json::object& object = answer.as_object();
    std::string outcome(object.at("outcome").as_string());
    result.outcome = outcome == "pass"   ? Outcome::pass
                     : outcome == "skip" ? Outcome::skip
                                         : Outcome::fail;
    result.reason = valid_utf8(object.at("reason").as_string());
    result.detail = valid_utf8(object.at("detail").as_string());
  }
  if (result.outcome == Outcome::fail) {
    for (const std::string& line : child.log_tail)
      result.log_tail.push_back(valid_utf8(shorten(line, 240)));
  }
  return result;
}

}  // namespace atsm::verify
