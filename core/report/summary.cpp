#include "report/summary.hpp"

namespace atsm::report {

Verdict verdict_of(const SummaryCounts& counts) {
  // A source field left out for bad data (an email that is not one, a time out of range) is
  // listed, but explained: the record migrated without it, as docs/mapping.md §1 says. So is what a
  // sink reports as lossy.
  bool differs = counts.unexplained > 0 || counts.failed > 0 || counts.mismatches > 0 ||
                 counts.unread > 0 || counts.rejected > 0;
  if (differs)
    return Verdict::differences;
  return counts.held > 0 ? Verdict::held : Verdict::clean;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::clean:
      return "clean";
    case Verdict::held:
      return "held";
    case Verdict::differences:
      return "differences";
  }
  return "differences";
}

std::optional<Verdict> parse_verdict(std::string_view name) {
  for (Verdict verdict : {Verdict::clean, Verdict::held, Verdict::differences})
    if (name == verdict_name(verdict))
      return verdict;
  return std::nullopt;
}

boost::json::object summary_json(const SummaryCounts& counts) {
  return boost::json::object{{"verdict", verdict_name(verdict_of(counts))},
                             {"unexplained", counts.unexplained},
                             {"failed", counts.failed},
                             {"rejected", counts.rejected},
                             {"mismatches", counts.mismatches},
                             {"unread", counts.unread},
                             {"held", counts.held},
                             {"read_back_checked", counts.read_back_checked},
                             {"field_errors", counts.field_errors},
                             {"lossy_records", counts.lossy_records},
                             {"notices", counts.notices}};
}

}  // namespace atsm::report
