#include "lever_source.hpp"

namespace atsm::lever {

// A reference list, one batch per page.
void LeverSource::read_list(
    const std::string& kind, const std::string& path, const Query& query,
    const json::object& position, sdk::Emitter& emitter,
    const std::function<model::Record(const json::value&, std::int64_t)>& map) {
  ListPosition from{string_member(position, "offset"),
                    string_member(position, "last").value_or("")};
  std::int64_t count = int_member(position, "count", 0);
  walk(path, query, from, "list " + path,
       [&](json::array& items, const ListPosition&, const ListPosition& after) {
         std::vector<model::Record> records;
         for (const json::value& item : items)
           records.push_back(map(item, count++));
         emit(emitter, kind, records, list_checkpoint(after, count));
       });
}

const std::vector<json::value>& LeverSource::postings() {
  if (!postings_) {
    std::vector<json::value> all;
    std::set<std::string> seen;
    auto collect = [&](json::array& items, const ListPosition&, const ListPosition&) {
      for (json::value& item : items)
        if (seen.insert(item_id(item)).second)
          all.push_back(std::move(item));
    };
    walk("/postings", {{"confidentiality", confidentiality()}}, {}, "list /postings", collect);
    // Published postings that are internal-only are listed only when asked by channel
    // (lever_docs_examples.json "postings_list_note"): one more list so every posting is read.
    walk("/postings",
         {{"confidentiality", confidentiality()},
          {"state", "published"},
          {"distributionChannel", "internal"}},
         {}, "list internal /postings", collect);
    postings_ = std::move(all);
  }
  return *postings_;
}

// Jobs: the postings this instance already listed for departments and offices (no second
// walk), else the two lists.
void LeverSource::read_jobs(const json::object& position, sdk::Emitter& emitter) {
  // Postings are few: always the two lists postings() reads (public and internal-only), in
  // one batch, so a resumed read cannot miss the internal-only ones.
  (void)position;
  std::vector<model::Record> records;
  for (const json::value& posting : postings())
    records.push_back(map_posting(posting));
  emit(emitter, "job", records, "");
}

// Archive reasons, remembered (id -> hired) for the candidacy statuses when read from the start.
void LeverSource::read_archive_reasons(const json::object& position, sdk::Emitter& emitter) {
  HiredReasons seen;
  read_list("archive_reason", "/archive_reasons", {}, position, emitter,
            [&](const json::value& item, std::int64_t) {
              model::Record record = map_archive_reason(item);
              if (const auto* reason = std::get_if<model::ArchiveReason>(&record))
                seen[item_id(item)] = reason->type == model::ArchiveReasonType::hired;
              return record;
            });
  if (position.empty())
    hired_reasons_ = std::move(seen);
}

// Departments and offices exist only as posting categories: small, emitted in one batch.
void LeverSource::read_categories(const std::string& kind, sdk::Emitter& emitter) {
  std::vector<model::Record> records = kind == "department" ? departments_from_postings(postings())
                                                            : offices_from_postings(postings());
  for (std::size_t start = 0; start < records.size() || start == 0; start += kBatchSize) {
    std::size_t end = std::min(records.size(), start + kBatchSize);
    std::vector<model::Record> batch(records.begin() + static_cast<std::ptrdiff_t>(start),
                                     records.begin() + static_cast<std::ptrdiff_t>(end));
    // Re-deriving is cheap (postings are few), so the kind completes or starts over.
    emit(emitter, kind, batch, "");
    if (end >= records.size())
      break;
  }
}

const HiredReasons& LeverSource::hired_reasons() {
  if (!hired_reasons_) {
    HiredReasons reasons;
    walk("/archive_reasons", {}, {}, "list /archive_reasons",
         [&](json::array& items, const ListPosition&, const ListPosition&) {
           for (const json::value& item : items) {
             if (!item.is_object())
               continue;
             std::string id = item_id(item);
             const json::value* type = item.as_object().if_contains("type");
             reasons[id] = type && type->is_string() && type->as_string() == "hired";
           }
         });
    hired_reasons_ = std::move(reasons);
  }
  return *hired_reasons_;
}

// Stages that hold leads, typed by id and title (is_lead_stage): one /stages list per instance.
const std::set<std::string>& LeverSource::lead_stages() {
  if (!lead_stages_) {
    std::set<std::string> leads;
    walk("/stages", {}, {}, "list /stages",
         [&](json::array& items, const ListPosition&, const ListPosition&) {
           for (const json::value& item : items) {
             const json::value* text =
                 item.is_object() ? item.as_object().if_contains("text") : nullptr;
             std::string title = text && text->is_string() ? std::string(text->as_string()) : "";
             if (is_lead_stage(item_id(item), title))
               leads.insert(item_id(item));
           }
         });
    lead_stages_ = std::move(leads);
  }
  return *lead_stages_;
}

}  // namespace atsm::lever
