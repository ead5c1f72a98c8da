// sink.*: what a sink writes: prepare's missing list, write -> find -> read_back, and the write
// repeated after a lost response.
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <chrono>
#include <map>

#include <atsmigrate/model/codec.hpp>
#include <atsmigrate/model/kind.hpp>
#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

namespace {

std::vector<std::string> sink_kinds(Harness& h) {
  if (!is_sink(h.d()))
    throw CheckSkip{"not a sink"};
  return kinds_of(h.d().sink_kinds_json);
}

// A plan that asks for target objects no target has: a feedback form, an interview plan, a
// fallback user and a stage of the mapping file.
std::string missing_plan() {
  return json::serialize(json::object{
      {"source", "atsm-verify"},
      {"options", json::object{{"feedback_form", "atsm-verify missing form"},
                               {"default_interview_plan", "atsm-verify missing plan"},
                               {"fallback_user", "atsm-verify-missing@example.invalid"}}},
      {"counts", json::object{{"person", 1}, {"candidacy", 1}, {"feedback", 1}}},
      {"references",
       json::object{{"stage", json::array{json::object{{"source_key", "atsm-verify:stage:1"},
                                                       {"name", "atsm-verify missing stage"},
                                                       {"stage_type", "screen"},
                                                       {"job_key", nullptr}}}}}},
      {"mapping",
       json::object{{"stage", json::object{{"atsm-verify:stage:1",
                                            json::object{{"name", "atsm-verify missing stage"},
                                                         {"target",
                                                          "atsm-verify missing "
                                                          "stage"}}}}}}}});
}

std::string empty_plan() {
  return json::serialize(json::object{{"source", "atsm-verify"},
                                      {"options", json::object{}},
                                      {"counts", json::object{}},
                                      {"references", json::object{}},
                                      {"mapping", json::object{}}});
}

json::object parse_prepare(const Answer& answer, const char* which) {
  if (!answer.ok())
    fail(fmt::format("prepare ({}) failed instead of listing what is missing: {}: {}", which,
                     atsm_status_name(answer.status), shorten(answer.message)));
  boost::system::error_code ec;
  json::value value = json::parse(answer.output, ec);
  if (ec || !value.is_object())
    fail(fmt::format("prepare ({}) did not answer a JSON object: {}", which,
                     shorten(answer.output, 80)));
  json::object& object = value.as_object();
  const json::value* catalog = object.if_contains("catalog");
  if (catalog == nullptr || !catalog->is_object())
    fail(fmt::format("prepare ({}): \"catalog\" is not an object", which));
  const json::value* missing = object.if_contains("missing");
  if (missing == nullptr || !missing->is_array())
    fail(fmt::format("prepare ({}): \"missing\" is not a list", which));
  for (const json::value& entry : missing->as_array()) {
    const json::object* item = entry.if_object();
    for (const char* field : {"kind", "name", "reason"}) {
      const json::value* text = item ? item->if_contains(field) : nullptr;
      if (text == nullptr || !text->is_string() || text->as_string().empty())
        fail(fmt::format("prepare ({}): a \"missing\" entry has no {}: {}", which, field,
                         shorten(json::serialize(entry), 80)));
    }
  }
  return object;
}

}  // namespace

std::string check_sink_prepare(Harness& h, const ChildContext&) {
  sink_kinds(h);
  Instance instance(h);
  json::object empty = parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  json::object missing = parse_prepare(h.prepare(instance.get(), missing_plan()), "missing plan");
  return fmt::format("catalog of {} kinds; a plan naming absent objects got {} missing entries",
                     empty.at("catalog").as_object().size(),
                     missing.at("missing").as_array().size());
}

namespace {

// One minimal canonical record per kind, referring to the records made before it.
std::optional<json::object> sample_record(const std::string& kind, const std::string& nonce,
                                          std::map<std::string, std::string>& keys,
                                          std::string& blob_sha, std::size_t blob_size) {
  auto key = [&](const std::string& k) { return fmt::format("atsm-verify:{}:{}", k, nonce); };
  json::object record{{"kind", kind}, {"source", "atsm-verify"}, {"source_key", key(kind)}};
  const std::string label = "atsm verify " + nonce;
  auto link = [&](const char* field, const char* target_kind) {
    if (keys.count(target_kind))
      record[field] = keys[target_kind];
  };
  if (kind == "user") {
    record["name"] = label;
    record["email"] = "atsm-verify-" + nonce + "@example.com";
  } else if (kind == "department" || kind == "office" || kind == "tag" || kind == "stage" ||
             kind == "archive_reason" || kind == "source") {
    record["name"] = label;
  } else if (kind == "custom_field") {
    record["name"] = label;
    record["object"] = "person";
    record["field_type"] = "text";
  } else if (kind == "job") {
    record["title"] = label;
    record["status"] = "open";
    if (keys.count("department"))
      record["department_keys"] = json::array{json::value(keys["department"])};
  } else if (kind == "person") {
    record["name"] = label;
    record["emails"] =
        json::array{json::object{{"address", "atsm-verify-" + nonce + "@example.com"}}};
    record["created_at"] = "2021-01-02T03:04:05Z";
  } else if (kind == "candidacy") {
    link("person_key", "person");
    link("job_key", "job");
    record["status"] = "active";
    record["created_at"] = "2021-01-02T03:04:05Z";
  } else if (kind == "note" || kind == "feedback" || kind == "interview" || kind == "offer" ||
             kind == "file") {
    link("person_key", "person");
    link("candidacy_key", "candidacy");
    record["created_at"] = "2021-01-02T03:04:05Z";
    if (kind == "note") {
      record["body"] = "Written by atsmigrate plugin verify (" + nonce + ").";
      record["body_format"] = "text";
    }
    if (kind == "file") {
      record["file_name"] = "atsm-verify-" + nonce + ".txt";
      record["content_type"] = "text/plain";
      record["sha256"] = blob_sha;
      record["size"] = blob_size;
    }
  } else {
    return std::nullopt;
  }
  keys[kind] = key(kind);
  // The samples are canonical by construction; the codec proves it.
  model::record_from_json(record);
  return record;
}

const std::vector<std::string>& load_order() {
  static const std::vector<std::string> order = [] {
    std::vector<std::string> names;
    for (model::Kind kind : model::kKindsInDependencyOrder)
      names.emplace_back(model::to_string(kind));
    return names;
  }();
  return order;
}

std::string nonce_for(Harness& h) {
  return fmt::format("{}-{}-{}", h.seed(), ::getpid(),
                     std::chrono::system_clock::now().time_since_epoch().count() % 1000000);
}

struct WriteOutcome {
  std::string target_id;
  std::string skipped;
};

WriteOutcome write_one(Harness& h, void* instance, const std::string& kind,
                       const json::object& item) {
  Answer answer = h.write(instance, kind, json::serialize(json::array{item}));
  std::string key(item.at("key").as_string());
  if (!answer.ok())
    fail(fmt::format("write {} {} failed as a batch: {}: {}", kind, key,
                     atsm_status_name(answer.status), shorten(answer.message)));
  boost::system::error_code ec;
  json::value results = json::parse(answer.output, ec);
  if (ec || !results.is_array() || results.as_array().size() != 1 ||
      !results.as_array()[0].is_object())
    fail(fmt::format("write {} {}: the answer is not a JSON array of one result: {}", kind, key,
                     shorten(answer.output, 80)));
  const json::object& result = results.as_array()[0].as_object();
  auto text = [&](const char* field) {
    const json::value* value = result.if_contains(field);
    return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
  };
  if (text("key") != key)
    fail(fmt::format("write {}: the result's key '{}' is not the item's '{}'", kind, text("key"),
                     key));
  if (text("status") != "ok")
    fail(fmt::format("write {} {} answered '{}': {}", kind, key, text("status"),
                     shorten(text("message"))));
  WriteOutcome outcome{text("target_id"), text("skipped")};
  if (outcome.target_id.empty() && outcome.skipped.empty())
    fail(fmt::format("write {} {} answered ok without a target_id or a skipped reason", kind, key));
  return outcome;
}

struct SinkRun {
  std::map<std::string, std::string> keys;     // kind -> source key of its sample record
  std::map<std::string, std::string> targets;  // source key -> target id
  std::string nonce;
  std::string blob_sha;
  std::size_t blob_size = 0;
};

json::object make_item(const json::object& record, const SinkRun& run) {
  json::object refs;
  for (const auto& [referenced, key] : references_of(json::value(record))) {
    auto target = run.targets.find(key);
    if (target != run.targets.end())
      refs[key] = target->second;
  }
  return json::object{
      {"key", record.at("source_key")}, {"record", record}, {"refs", refs}, {"attempt", 1}};
}

}  // namespace

std::string check_sink_round_trip(Harness& h, const ChildContext&) {
  std::vector<std::string> declared = sink_kinds(h);
  const atsm_connector& d = h.d();
  Instance instance(h);
  parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  SinkRun run;
  run.nonce = nonce_for(h);
  std::string bytes = "atsmigrate plugin verify " + run.nonce + "\n";
  run.blob_sha = h.last_services().blob_put(bytes);
  run.blob_size = bytes.size();
  std::vector<std::string> done, skipped;
  for (const std::string& kind : load_order()) {
    if (std::find(declared.begin(), declared.end(), kind) == declared.end())
      continue;
    std::optional<json::object> record =
        sample_record(kind, run.nonce, run.keys, run.blob_sha, run.blob_size);
    if (!record)
      continue;
    json::object item = make_item(*record, run);
    WriteOutcome written = write_one(h, instance.get(), kind, item);
    std::string key(record->at("source_key").as_string());
    if (!written.skipped.empty()) {
      skipped.push_back(fmt::format("{} ({})", kind, shorten(written.skipped, 60)));
      continue;
    }
    run.targets[key] = written.target_id;
    if (d.find != nullptr) {
      Answer found = h.find(instance.get(), kind, json::serialize(item));
      if (!found.ok())
        fail(fmt::format("find {} {} after writing it (target {}): {}: {}", kind, key,
                         written.target_id, atsm_status_name(found.status),
                         shorten(found.message)));
      boost::system::error_code ec;
      json::value answer = json::parse(found.output, ec);
      const json::value* id =
          !ec && answer.is_object() ? answer.as_object().if_contains("target_id") : nullptr;
      if (id == nullptr || !id->is_string() || id->as_string() != written.target_id)
        fail(fmt::format("find {} {} answered {}, expected the written target id {}", kind, key,
                         shorten(found.output, 80), written.target_id));
    }
    if (d.read_back != nullptr) {
      Answer back = h.read_back(instance.get(), kind, written.target_id);
      if (!back.ok())
        fail(fmt::format("read_back {} {} failed: {}: {}", kind, written.target_id,
                         atsm_status_name(back.status), shorten(back.message)));
      json::value value;
      try {
        value = json::parse(back.output);
        model::record_from_json(value);
      } catch (const std::exception& error) {
        fail(fmt::format("read_back {} {} is not a canonical {} record: {}", kind,
                         written.target_id, kind, shorten(error.what())));
      }
      // A sink may hold a kind as another (Ashby keeps interviews as notes): that is what it
      // reads back, and then only the record's validity is compared.
      std::string held(value.as_object().at("kind").as_string());
      if (held != kind) {
        done.push_back(fmt::format("{} (held as {})", kind, held));
        continue;
      }
      for (const char* field : {"name", "title"}) {
        const json::value* wrote = record->if_contains(field);
        const json::value* read = value.as_object().if_contains(field);
        if (wrote != nullptr && read != nullptr && *wrote != *read)
          fail(fmt::format("read_back {} {}: {} is {}, written {}", kind, written.target_id, field,
                           shorten(json::serialize(*read), 60),
                           shorten(json::serialize(*wrote), 60)));
      }
    }
    done.push_back(kind);
  }
  if (done.empty())
    fail("no declared kind could be written and found");
  return fmt::format("write{}{} round-tripped: {}{}", d.find ? " -> find" : "",
                     d.read_back ? " -> read_back" : "", fmt::join(done, ", "),
                     skipped.empty()
                         ? std::string()
                         : fmt::format("; skipped by the sink: {}", fmt::join(skipped, ", ")));
}

std::string check_sink_lost_response(Harness& h, const ChildContext&) {
  std::vector<std::string> declared = sink_kinds(h);
  Instance instance(h);
  parse_prepare(h.prepare(instance.get(), empty_plan()), "empty plan");
  SinkRun run;
  run.nonce = nonce_for(h);
  // The first independent kind the sink writes: a person when it can.
  std::string kind;
  for (const char* candidate : {"person", "department", "office", "tag", "user", "job"}) {
    if (std::find(declared.begin(), declared.end(), candidate) != declared.end()) {
      kind = candidate;
      break;
    }
  }
  if (kind.empty())
    throw CheckSkip{"declares no kind without references to write twice"};
  std::optional<json::object> record =
      sample_record(kind, run.nonce, run.keys, run.blob_sha, run.blob_size);
  json::object item = make_item(*record, run);
  WriteOutcome first = write_one(h, instance.get(), kind, item);
  if (!first.skipped.empty())
    throw CheckSkip{"the sink skipped the sample " + kind};
  // The response of that write was "lost": the host writes again with lookup_first.
  item["attempt"] = 2;
  item["lookup_first"] = true;
  WriteOutcome second = write_one(h, instance.get(), kind, item);
  if (second.target_id != first.target_id)
    fail(
        fmt::format("{} written again with lookup_first after a lost response created {}; the "
                    "first write had created {} (a duplicate)",
                    kind, second.target_id, first.target_id));
  if (h.d().find != nullptr) {
    Answer found = h.find(instance.get(), kind, json::serialize(item));
    if (!found.ok() || found.output.find(first.target_id) == std::string::npos)
      fail(fmt::format("find {} after the repeated write answered {} {}, expected {}", kind,
                       atsm_status_name(found.status), shorten(found.output, 60), first.target_id));
  }
  return fmt::format("{} written twice (second with lookup_first) was adopted as {}", kind,
                     first.target_id);
}

}  // namespace atsm::verify
