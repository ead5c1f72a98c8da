#include "verify/harness.hpp"

#include <cstddef>

#include "pipeline/references.hpp"

namespace atsm::verify {

namespace json = boost::json;

atsm_status append_output(void* context, const char* data, size_t size) {
  if (data == nullptr && size != 0)
    return ATSM_INVALID;
  static_cast<std::string*>(context)->append(data == nullptr ? "" : data, size);
  return ATSM_OK;
}

atsm_status collect_batch(void* context, const atsm_batch* batch) {
  auto* emit = static_cast<EmitContext*>(context);
  ReadResult& result = *emit->result;
  if (batch == nullptr || batch->kind == nullptr ||
      (batch->records_json == nullptr && batch->records_size != 0)) {
    result.emit_problem = "emit was called with a NULL batch, kind or records_json";
    return ATSM_INVALID;
  }
  if (batch->struct_size < offsetof(atsm_batch, checkpoint) + sizeof(const char*)) {
    result.emit_problem =
        fmt::format("emit got an atsm_batch of struct_size {}, below ABI 1.0's {}",
                    batch->struct_size, sizeof(atsm_batch));
    return ATSM_INVALID;
  }
  result.batches.push_back(Batch{
      batch->kind,
      std::string(batch->records_json == nullptr ? "" : batch->records_json, batch->records_size),
      batch->checkpoint == nullptr ? "" : batch->checkpoint});
  if (emit->stop_after != 0 && result.batches.size() >= emit->stop_after)
    return ATSM_CANCELLED;
  return ATSM_OK;
}

std::vector<std::string> kinds_of(const char* json_text) {
  std::vector<std::string> kinds;
  if (json_text == nullptr)
    return kinds;
  boost::system::error_code ec;
  json::value value = json::parse(json_text, ec);
  if (ec || !value.is_array())
    return kinds;
  for (const json::value& kind : value.as_array()) {
    if (kind.is_string())
      kinds.emplace_back(kind.as_string());
  }
  return kinds;
}

bool is_source(const atsm_connector& d) {
  return (d.roles & ATSM_ROLE_SOURCE) != 0;
}
bool is_sink(const atsm_connector& d) {
  return (d.roles & ATSM_ROLE_SINK) != 0;
}

std::vector<std::pair<std::string, std::string>> references_of(const json::value& record) {
  std::vector<std::pair<std::string, std::string>> refs;
  const json::value* kind = record.is_object() ? record.as_object().if_contains("kind") : nullptr;
  if (kind == nullptr || !kind->is_string())
    return refs;
  pipeline::for_each_reference(record, std::string(kind->as_string()),
                               [&](const std::string& referenced, const std::string& key) {
                                 refs.emplace_back(referenced, key);
                               });
  return refs;
}

}  // namespace atsm::verify
