#include "cli/report_command.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>
#include <iostream>
#include <optional>

#include "cli/exit_codes.hpp"
#include "report/summary.hpp"

namespace atsm::cli {

namespace json = boost::json;

int print_reconciliation(const json::object& report, const std::string& report_file) {
  const json::object& summary = report.at("summary").as_object();
  auto listed = [&](const char* member, const char* title, auto&& line) {
    const json::value* listed_entries = report.if_contains(member);
    if (!listed_entries || !listed_entries->is_array() || listed_entries->as_array().empty())
      return;
    const json::array& entries = listed_entries->as_array();
    std::cout << fmt::format("\n{} ({}):\n", title, entries.size());
    size_t shown = 0;
    const json::value* cut = report.contains("cut_lists")
                                 ? report.at("cut_lists").as_object().if_contains(member)
                                 : nullptr;
    for (const json::value& entry : entries) {
      if (shown++ == 20) {
        if (cut)
          std::cout << fmt::format("  ... {} in all, in {} beside {}\n",
                                   cut->at("of").to_number<int64_t>(),
                                   std::string(cut->at("all_in").as_string()), report_file);
        else
          std::cout << fmt::format("  ... all {} in {}\n", entries.size(), report_file);
        break;
      }
      std::cout << "  " << line(entry.as_object()) << '\n';
    }
  };
  auto text = [](const json::object& entry, const char* member) {
    const json::value* value = entry.if_contains(member);
    if (!value)
      return std::string();
    return value->is_string() ? std::string(value->as_string()) : json::serialize(*value);
  };
  // Unexplained differences come first: they are what a person must look at.
  listed("unexplained", "UNEXPLAINED DIFFERENCES", [&](const json::object& entry) {
    return fmt::format("{} {}: {}", text(entry, "kind"), text(entry, "key"),
                       text(entry, "problem"));
  });
  listed("mismatches", "Read-back mismatches", [&](const json::object& entry) {
    return fmt::format("{} {} ({}): {} expected {}, found {}", text(entry, "kind"),
                       text(entry, "key"), text(entry, "target_id"), text(entry, "field"),
                       text(entry, "expected"), text(entry, "found"));
  });
  listed("unread", "Not read back now (the target could not serve them; a re-run reads them again)",
         [&](const json::object& entry) {
           return fmt::format("{} {} ({}): {}", text(entry, "kind"), text(entry, "key"),
                              text(entry, "target_id"), text(entry, "message"));
         });
  listed("failures", "Failed records (a re-run retries them)", [&](const json::object& entry) {
    return fmt::format("{} {}: {} [code {}, request {}]", text(entry, "kind"), text(entry, "key"),
                       text(entry, "message"), text(entry, "vendor_code"),
                       text(entry, "vendor_request_id"));
  });
  listed("held",
         "HELD until an operator's step in the target (take the step each names, then run the "
         "migration again: it writes them)",
         [&](const json::object& entry) {
           return fmt::format("{} {}: {}", text(entry, "kind"), text(entry, "key"),
                              text(entry, "message"));
         });
  listed("rejected", "Source records that could not be read (not migrated)",
         [&](const json::object& entry) {
           return fmt::format("{} {}: {}", text(entry, "kind"), text(entry, "key"),
                              text(entry, "reason"));
         });
  listed("field_errors", "Source records with a bad field (migrated without that field)",
         [&](const json::object& entry) {
           return fmt::format("{} {}: field '{}': {}", text(entry, "kind"), text(entry, "key"),
                              text(entry, "field"), text(entry, "message"));
         });
  std::cout << fmt::format(
      "\nReconciliation: {}. {} unexplained, {} failed, {} rejected; read back {} record(s), {} "
      "mismatch(es), {} not read now; {} record(s) with a bad source field, {} lossy "
      "encoding(s), {} connector notice(s).\nReport: {} (and report.html beside it)\n",
      std::string(summary.at("verdict").as_string()),
      summary.at("unexplained").to_number<int64_t>(), summary.at("failed").to_number<int64_t>(),
      summary.at("rejected").to_number<int64_t>(),
      summary.at("read_back_checked").to_number<int64_t>(),
      summary.at("mismatches").to_number<int64_t>(),
      summary.contains("unread") ? summary.at("unread").to_number<int64_t>() : 0,
      summary.at("field_errors").to_number<int64_t>(),
      summary.at("lossy_records").to_number<int64_t>(), summary.at("notices").to_number<int64_t>(),
      report_file);
  const std::optional<report::Verdict> verdict =
      report::parse_verdict(summary.at("verdict").as_string());
  if (verdict == report::Verdict::held)
    std::cout << fmt::format(
        "{} record(s) are held until an operator's step in the target (listed above): take it, "
        "then run the migration again (exit {}).\n",
        summary.at("held").to_number<int64_t>(), static_cast<int>(kExitHeld));
  return verdict == report::Verdict::clean  ? kExitOk
         : verdict == report::Verdict::held ? kExitHeld
                                            : kExitPartial;
}

}  // namespace atsm::cli
