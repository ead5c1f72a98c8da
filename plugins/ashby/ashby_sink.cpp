// The Ashby sink's entry points: construction, and write's dispatch of each item to its writer
// (the sink_*.cpp files hold the parts: catalog, prepare, writers, files, find, read-back).
#include "ashby_sink.hpp"

#include <functional>

#include "sink_support.hpp"

namespace atsm::ashby {

AshbySink::AshbySink(sdk::Host host, std::string_view config_json)
    : config_(parse_sink_config(config_json)), client_(host, config_.base_url) {
  // Ashby counts requests per minute (docs/vendors/ashby.md §4), by their arrival. Paced at 97 % of
  // the limit, a minute of sends fits its window even when some arrive up to 1.8 s later than
  // others (a slow tail); at the full rate, or with a large burst, the window's last requests would
  // meet 429s, each of which wastes a call and pauses the bucket. A burst of 2 lets a writer
  // that wakes late make its slot up instead of losing it.
  constexpr double kPacedShare = 0.97;
  double per_second = kPacedShare * config_.rate_limit_per_minute / 60.0;
  host.declare_token_bucket(kBucket, per_second, 2);
  // Reports: 15 per minute and 3 at once (docs/vendors/ashby.md §4), scaled like the main bucket.
  host.declare_token_bucket(kReportsBucket, 15.0 * config_.rate_limit_per_minute / 1000.0 / 60.0, 1,
                            3);
}

std::string AshbySink::write(const std::string& kind, const std::string& items_json) {
  static const std::set<std::string, std::less<>> kKinds{
      "department", "office", "job",      "tag",       "custom_field", "person",
      "candidacy",  "note",   "feedback", "interview", "offer",        "file"};
  if (kKinds.count(kind) == 0)
    invalid("ashby write: kind '" + kind + "' is not one the Ashby sink writes");
  boost::system::error_code ec;
  value parsed = json::parse(items_json, ec);
  if (ec || !parsed.is_array())
    invalid("ashby write of " + kind + ": the items are not a JSON array");
  {
    // A run killed inside a detour left its jobs Open: they go back before anything is written.
    std::lock_guard lock(restore_mutex_);
    if (!detours_checked_) {
      try {
        restore_detoured_jobs();
        detours_checked_ = true;
      } catch (const sdk::Error& error) {
        if (!transient(error.status()))
          throw;
        // The next write, or finish, tries again; the items need not wait for it.
        client_.host().log(ATSM_LOG_WARN,
                           std::string("ashby: a job opened for applications by an earlier run "
                                       "could not be put back yet: ") +
                               error.what());
      }
    }
  }
  array results;
  const array& items = parsed.as_array();
  for (size_t i = 0; i < items.size(); ++i) {
    client_.host().check_cancelled();
    ItemResult result;
    try {
      WriteItem item = parse_write_item(items[i], kind);
      result = write_item(kind, item);
    } catch (const sdk::Error& error) {
      result.status = atsm_status_name(error.status());
      result.message = error.what();
      if (items[i].is_object())
        result.key = text_of(items[i].as_object(), "key");
      if (result.key.empty())
        result.key = "items[" + std::to_string(i) + "]";
    }
    results.push_back(result.to_json());
  }
  return json::serialize(results);
}

ItemResult AshbySink::write_item(const std::string& kind, const WriteItem& item) {
  ItemResult result;
  result.key = item.key;
  try {
    if (kind == "department" || kind == "office")
      write_department(item, result, kind == "office");
    else if (kind == "job")
      write_job(item, result);
    else if (kind == "tag")
      write_tag(item, result);
    else if (kind == "custom_field")
      write_custom_field(item, result);
    else if (kind == "person")
      write_person(item, result);
    else if (kind == "candidacy")
      write_candidacy(item, result);
    else if (kind == "note")
      write_note(item, result);
    else if (kind == "feedback")
      write_feedback(item, result);
    else if (kind == "interview")
      write_interviews(item, result);
    else if (kind == "offer")
      write_offer(item, result);
    else if (kind == "file")
      write_file(item, result);
    else
      invalid("write item " + item.key + ": kind '" + kind + "' is not written by the Ashby sink");
  } catch (const sdk::Error& error) {
    atsm_status status = error.status();
    // The object exists but a later step failed: the host must look it up (lookup_first) and
    // let the sink finish, never create it again.
    if (!result.target_id.empty() && result.target_id != item.target_id && transient(status))
      status = ATSM_AMBIGUOUS;
    result.status = atsm_status_name(status);
    result.message = "ashby " + kind + " " + item.key + ": " + error.what();
    if (!result.target_id.empty())
      result.message += " (target " + result.target_id + " exists)";
    result.vendor_code = error.vendor_code();
    result.vendor_request_id = error.vendor_request_id();
  } catch (const std::exception& error) {
    result.status = "internal";
    result.message = "ashby " + kind + " " + item.key + ": " + error.what();
  }
  return result;
}

std::string AshbySink::ref(const WriteItem& item, const std::optional<std::string>& key) const {
  if (!key)
    return {};
  auto it = item.refs.find(*key);
  return it == item.refs.end() ? std::string() : it->second;
}

}  // namespace atsm::ashby
