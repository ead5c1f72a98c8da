// report.html: one self-contained page (inline CSS, no script, no network resource) that a
// recruiting lead can open on a laptop or a phone: the verdict first, then what needs a person
// (unexplained differences, mismatches, failures), then the counts as a bar chart and tables.
#include <fmt/format.h>
#include <algorithm>
#include <boost/json.hpp>
#include <string>

#include <atsmigrate/model/html.hpp>
#include "report/report.hpp"

namespace atsm::report {
namespace {

namespace json = boost::json;

std::string cell(const json::value* value) {
  if (!value || value->is_null())
    return "";
  return model::escape_html(value->is_string() ? std::string(value->as_string())
                                               : json::serialize(*value));
}

// A kind's name, allowed to wrap after its underscores ("archive_<wbr>reason") on a phone.
std::string kind_name(std::string_view kind) {
  std::string html;
  for (char c : model::escape_html(kind)) {
    html += c;
    if (c == '_')
      html += "<wbr>";
  }
  return html;
}

int64_t number(const json::object& object, const char* member) {
  const json::value* value = object.if_contains(member);
  return value && value->is_number() ? value->to_number<int64_t>() : 0;
}

// A table of the entries of report[member] with the given columns; nothing when it is empty.
std::string table(const json::object& report, const char* member, const std::string& title,
                  std::initializer_list<std::pair<const char*, const char*>> columns) {
  const json::value* entries = report.if_contains(member);
  if (!entries || !entries->is_array() || entries->as_array().empty())
    return "";
  std::string html = fmt::format("<h2 id=\"{}\">{} <span class=\"n\">({})</span></h2>\n", member,
                                 model::escape_html(title), entries->as_array().size());
  // A cut list (cut_lists) says how many there are and where they all are.
  if (const json::value* cut = report.if_contains("cut_lists");
      cut && cut->is_object() && cut->as_object().contains(member)) {
    const json::value& entry = cut->as_object().at(member);
    if (entry.is_object())
      html = fmt::format(
          "<h2 id=\"{}\">{} <span class=\"n\">({} of {})</span></h2>\n<p class=\"n\">The first {} "
          "are listed; all {} are in {} beside this file.</p>\n",
          member, model::escape_html(title), cell(entry.as_object().if_contains("listed")),
          cell(entry.as_object().if_contains("of")), cell(entry.as_object().if_contains("listed")),
          cell(entry.as_object().if_contains("of")), cell(entry.as_object().if_contains("all_in")));
  }
  html += "<div class=\"scroll\"><table class=\"records\"><thead><tr>";
  for (const auto& [key, heading] : columns)
    html += fmt::format("<th>{}</th>", model::escape_html(heading));
  html += "</tr></thead><tbody>\n";
  for (const json::value& entry : entries->as_array()) {
    html += "<tr>";
    for (const auto& [key, heading] : columns)
      html += fmt::format("<td data-label=\"{}\">{}</td>", model::escape_html(heading),
                          entry.is_object() ? cell(entry.as_object().if_contains(key)) : "");
    html += "</tr>\n";
  }
  return html + "</tbody></table></div>\n";
}

// The page's head: its title and inline style, phone layout included.
std::string page_head() {
  return R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>atsmigrate report</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
.verdict{padding:.8rem 1rem;border-radius:.4rem;font-weight:600;margin:.8rem 0}
.clean{background:#dafbe1;color:#116329}.differences{background:#ffebe9;color:#82071e}
.held{background:#fff8c5;color:#7d4e00}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(8rem,1fr));gap:.5rem}
.tile{border:1px solid #d0d7de;border-radius:.4rem;padding:.5rem .7rem}.tile b{display:block;font-size:1.3rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f6f8fa}.n{color:#57606a;font-weight:normal}
.bar{display:flex;height:1rem;min-width:4rem;background:#f6f8fa;border-radius:.2rem;overflow:hidden}
.bar span{display:block;height:100%}.w{background:#2da44e}.s{background:#bf8700}.f{background:#cf222e}.u{background:#8250df}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;vertical-align:middle}
footer{margin-top:2rem;color:#57606a;font-size:.85rem}
details.reason{margin:.3rem 0}details.reason summary{cursor:pointer}.keys{overflow-wrap:anywhere;font-size:.85rem;margin:.3rem 1rem}
@media (max-width:40rem){
body{padding:.7rem}th,td{padding:.25rem .35rem}table{font-size:.8rem}.bar{min-width:2.5rem}
table.records,table.records tbody,table.records tr,table.records td{display:block}
table.records thead{display:none}
table.records tr{border:1px solid #d0d7de;border-radius:.4rem;margin:.5rem 0;padding:.3rem 0}
table.records td{border:0;padding:.1rem .6rem;overflow-wrap:anywhere;font-size:.9rem}
table.records td::before{content:attr(data-label) ": ";color:#57606a;font-weight:600}
}
</style></head><body>
)";
}

// The title, when it was generated, and the verdict in a sentence.
std::string title_and_verdict(const json::object& report, const std::string& verdict) {
  std::string html;
  bool clean = verdict == "clean";
  bool held = verdict == "held";
  html += fmt::format("<h1>Migration report: {} &rarr; {}</h1>\n<p class=\"n\">Generated {}</p>\n",
                      cell(report.if_contains("source")), cell(report.if_contains("sink")),
                      cell(report.if_contains("generated_at")));
  html += fmt::format(
      "<div class=\"verdict {}\" id=\"verdict\">{}</div>\n",
      clean  ? "clean"
      : held ? "held"
             : "differences",
      clean  ? "Clean: every source record is accounted for and every record read back matches."
      : held ? "Held: some records wait for an operator's step in the target (listed below); "
               "take it, then run the migration again."
             : "Differences found: the tables below name each record and what is wrong.");
  return html;
}

// One tile per headline count of the summary.
std::string summary_tiles(const json::object& summary) {
  std::string html;
  html += "<div class=\"tiles\" id=\"summary\">\n";
  static const std::pair<const char*, const char*> kTiles[] = {
      {"unexplained", "unexplained differences"},
      {"mismatches", "read-back mismatches"},
      {"unread", "not read back now"},
      {"failed", "failed records"},
      {"held", "held for an operator"},
      {"rejected", "unreadable source records"},
      {"read_back_checked", "records read back"},
      {"field_errors", "records with a bad field"},
      {"lossy_records", "lossy encodings"},
      {"notices", "connector notices"}};
  for (const auto& [key, label] : kTiles)
    html += fmt::format("<div class=\"tile\"><b>{}</b>{}</div>\n", number(summary, key), label);
  html += "</div>\n";
  return html;
}

// What needs a person, record by record: differences, failures, unreadable records.
std::string attention_tables(const json::object& report) {
  std::string html;
  html += table(report, "unexplained", "Unexplained differences",
                {{"kind", "Kind"}, {"key", "Source record"}, {"problem", "Problem"}});
  html += table(report, "mismatches", "Read-back mismatches",
                {{"kind", "Kind"},
                 {"key", "Source record"},
                 {"target_id", "Target"},
                 {"field", "Field"},
                 {"expected", "Expected"},
                 {"found", "Found"}});
  html += table(
      report, "unread", "Not read back now (a re-run reads them again)",
      {{"kind", "Kind"}, {"key", "Source record"}, {"target_id", "Target"}, {"message", "Error"}});
  html +=
      table(report, "held", "Held until an operator's step in the target (a re-run writes them)",
            {{"kind", "Kind"}, {"key", "Source record"}, {"message", "What to do"}});
  html += table(report, "failures", "Failed records",
                {{"kind", "Kind"},
                 {"key", "Source record"},
                 {"message", "Error"},
                 {"vendor_code", "Vendor code"},
                 {"vendor_request_id", "Request id"}});
  html += table(report, "rejected", "Source records that could not be read",
                {{"kind", "Kind"}, {"key", "Source record"}, {"reason", "Reason"}});
  html += table(
      report, "field_errors", "Source records with a bad field (migrated without it)",
      {{"kind", "Kind"}, {"key", "Source record"}, {"field", "Field"}, {"message", "Problem"}});
  return html;
}

std::string counts_section(const json::object& report) {
  std::string html;
  // Counts: a bar per kind, written / skipped / failed / unexplained out of staged. The bar comes
  // right after the kind, so a phone shows it without scrolling the table sideways.
  const json::object& counts = report.at("counts").as_object();
  html +=
      "<h2 id=\"counts\">Records per kind</h2>\n<p class=\"legend\"><span "
      "class=\"w\"></span>written"
      "<span class=\"s\"></span>skipped<span class=\"f\"></span>failed<span "
      "class=\"u\"></span>unexplained <small class=\"n\">(mapped: matched to what the target "
      "has, not written)</small></p>\n<div class=\"scroll\"><table><thead><tr><th>Kind</th>"
      "<th>Chart</th><th>In source</th><th>Written</th><th>Skipped</th><th>Failed</th>"
      "<th>Unexplained</th></tr></thead><tbody>\n";
  for (const auto& [kind, value] : counts) {
    const json::object& entry = value.as_object();
    int64_t in_source = std::max<int64_t>(number(entry, "in_source"), 1);
    int64_t skipped = 0;
    if (const json::value* reasons = entry.if_contains("skipped"); reasons && reasons->is_object())
      for (const auto& [reason, count] : reasons->as_object())
        skipped += count.to_number<int64_t>();
    bool written_kind = entry.contains("written") && !entry.at("written").is_null();
    int64_t written = number(entry, "written");
    int64_t failed = number(entry, "failed");
    int64_t unexplained = number(entry, "unexplained");
    auto width = [&](int64_t part) { return 100.0 * static_cast<double>(part) / in_source; };
    std::string bar =
        written_kind ? fmt::format(
                           "<div class=\"bar\"><span class=\"w\" style=\"width:{:.1f}%\"></span>"
                           "<span class=\"s\" style=\"width:{:.1f}%\"></span><span class=\"f\" "
                           "style=\"width:{:.1f}%\"></span><span class=\"u\" "
                           "style=\"width:{:.1f}%\"></span></div>",
                           width(written), width(skipped), width(failed), width(unexplained))
                     : "<span class=\"n\">mapped</span>";
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        kind_name(kind), bar, number(entry, "in_source"),
        written_kind ? std::to_string(written) : "—", skipped, failed, unexplained);
  }
  html += "</tbody></table></div>\n";
  return html;
}

std::string read_back_section(const json::object& report) {
  std::string html;
  // Read-back per kind and cohort.
  if (const json::value* read_back = report.if_contains("read_back");
      read_back && read_back->is_object() && !read_back->as_object().empty()) {
    html +=
        "<h2 id=\"read_back\">Field-level read-back</h2>\n<div class=\"scroll\"><table><thead>"
        "<tr><th>Kind</th><th>Read back</th><th>Mismatched</th><th>Why chosen</th></tr></thead>"
        "<tbody>\n";
    for (const auto& [kind, value] : read_back->as_object()) {
      std::string cohorts;
      if (const json::value* chosen = value.as_object().if_contains("cohorts");
          chosen && chosen->is_object())
        for (const auto& [cohort, count] : chosen->as_object())
          cohorts += fmt::format("{}{} {}", cohorts.empty() ? "" : ", ", model::escape_html(cohort),
                                 count.to_number<int64_t>());
      html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                          kind_name(kind), number(value.as_object(), "checked"),
                          number(value.as_object(), "mismatched"), cohorts);
    }
    html += "</tbody></table></div>\n";
  }
  return html;
}

std::string vendors_section(const json::object& report) {
  std::string html;
  // Calls per vendor against the floor their rate limits set.
  if (const json::value* vendors = report.if_contains("vendors");
      vendors && vendors->is_object() && !vendors->as_object().empty()) {
    html +=
        "<h2 id=\"vendors\">API calls per vendor</h2>\n<div class=\"scroll\"><table><thead><tr>"
        "<th>Rate-limit bucket</th><th>Requests</th><th>429s</th><th>Limit /s</th>"
        "<th>Floor (s)</th><th>Runs took (s)</th></tr></thead><tbody>\n";
    for (const auto& [bucket, value] : vendors->as_object()) {
      const json::object& entry = value.as_object();
      html += fmt::format(
          "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.2f}</td><td>{}</td><td>{:.1f}</td></tr>\n",
          model::escape_html(bucket), number(entry, "requests"),
          number(entry, "rate_limited_responses"), entry.at("limit_per_second").to_number<double>(),
          entry.at("floor_seconds").is_null()
              ? std::string("—")
              : fmt::format("{:.1f}", entry.at("floor_seconds").to_number<double>()),
          entry.at("runs_wall_seconds").to_number<double>());
    }
    html += "</tbody></table></div>\n";
  }
  return html;
}

std::string lossy_section(const json::object& report) {
  std::string html;
  // What the target could not hold, per kind and reason.
  if (const json::value* lossy = report.if_contains("lossy");
      lossy && lossy->is_object() && !lossy->as_object().empty()) {
    html +=
        "<h2 id=\"lossy\">Lossy encodings</h2>\n<div class=\"scroll\"><table><thead><tr>"
        "<th>What the target could not hold</th><th>Records</th></tr></thead><tbody>\n";
    for (const auto& [what, count] : lossy->as_object())
      html += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", model::escape_html(what),
                          count.to_number<int64_t>());
    html += "</tbody></table></div>\n";
  }
  return html;
}

std::string reasons_section(const json::object& report) {
  std::string html;
  // Skipped and lossy records by reason class, each class folded: its count, then the records.
  if (const json::value* reasons = report.if_contains("reasons");
      reasons && reasons->is_array() && !reasons->as_array().empty()) {
    std::string file = "report-records.jsonl";
    if (const json::value* records = report.if_contains("records_file");
        records && records->is_object() && records->as_object().contains("path"))
      file = cell(records->as_object().if_contains("path"));
    html += fmt::format(
        "<h2 id=\"reasons\">Skipped and lossy records by reason <span class=\"n\">({} "
        "reasons)</span></h2>\n<p class=\"n\">Every record is in {} beside this file.</p>\n",
        reasons->as_array().size(), file);
    for (const json::value& value : reasons->as_array()) {
      if (!value.is_object())
        continue;
      const json::object& entry = value.as_object();
      int64_t records = number(entry, "records");
      html += fmt::format(
          "<details class=\"reason\"><summary><b>{}</b> {} {}: {}</summary>\n<p class=\"keys\">",
          records, cell(entry.if_contains("kind")), cell(entry.if_contains("category")),
          cell(entry.if_contains("reason")));
      size_t listed = 0;
      if (const json::value* keys = entry.if_contains("listed"); keys && keys->is_array())
        for (const json::value& key : keys->as_array()) {
          html += (listed++ ? ", " : "") + cell(&key);
        }
      if (records > static_cast<int64_t>(listed))
        html += fmt::format(" &hellip; and {} more (all in {})",
                            records - static_cast<int64_t>(listed), file);
      html += "</p></details>\n";
    }
  }
  return html;
}

// What connectors said, and what the source declared it does not carry.
std::string closing_tables(const json::object& report) {
  std::string html;
  html += table(report, "notices", "Connector notices",
                {{"plugin", "Connector"}, {"message", "Notice"}});
  html +=
      table(report, "source_fields_not_migrated",
            "Source fields not migrated as such (declared by the source connector)",
            {{"source", "Source"}, {"object", "Object"}, {"field", "Field"}, {"reason", "Why"}});
  return html;
}

}  // namespace

std::string render_report_html(const json::object& report) {
  const json::object& summary = report.at("summary").as_object();
  const std::string verdict(summary.at("verdict").as_string());
  std::string html = page_head();
  html += title_and_verdict(report, verdict);
  html += summary_tiles(summary);
  html += attention_tables(report);
  html += counts_section(report);
  html += read_back_section(report);
  html += vendors_section(report);
  html += lossy_section(report);
  html += reasons_section(report);
  html += closing_tables(report);
  html +=
      "<footer>Written by atsmigrate. report.json beside this file holds the same data for "
      "machines.</footer>\n</body></html>\n";
  return html;
}

}  // namespace atsm::report
