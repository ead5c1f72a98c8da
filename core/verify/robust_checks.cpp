// robust.fuzz: seeded garbage into every entry point.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <iterator>
#include <map>

#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

namespace {

// splitmix64: the same sequence on every platform for a given --seed.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

struct Garbage {
  std::string text;
  std::string what;
};

Garbage garbage(Random& random, const std::string& kind) {
  switch (random.below(9)) {
    case 0: {
      std::string huge(1024 * 1024 + random.below(1024 * 1024), 'A');
      return {"[{\"kind\":\"" + kind + "\",\"name\":\"" + huge + "\"}]", "a 1-2 MiB string"};
    }
    case 1: {
      std::string bytes;
      for (std::size_t i = 0, n = 1 + random.below(256); i < n; ++i)
        bytes += static_cast<char>(0x80 + random.below(0x80));
      return {bytes, "invalid UTF-8"};
    }
    case 2: {
      std::string inside;
      for (std::size_t i = 0; i < 1 + random.below(64); ++i)
        inside += static_cast<char>(0xC0 + random.below(0x40));
      return {"[{\"kind\":\"" + kind + "\",\"source\":\"x\",\"source_key\":\"k\",\"name\":\"" +
                  inside + "\"}]",
              "a record with invalid UTF-8 inside a string"};
    }
    case 3: {
      std::size_t depth = 1000 + random.below(100000);
      return {std::string(depth, '[') + std::string(depth, ']'),
              fmt::format("arrays nested {} deep", depth)};
    }
    case 4: {
      std::size_t depth = 1000 + random.below(20000);
      std::string text;
      for (std::size_t i = 0; i < depth; ++i)
        text += "{\"a\":";
      text += "1" + std::string(depth, '}');
      return {text, fmt::format("objects nested {} deep", depth)};
    }
    case 5:
      return {R"([{"key":5,"record":"x","refs":[],"target_id":{},"lookup_first":"yes"},)"
              R"({"key":"k","record":{"kind":7,"source_key":[],"name":12.5e300,"emails":"x"}}])",
              "wrong types"};
    case 6:
      return {R"({"kind":null,"source":true,"source_key":1e999,"options":[],"counts":"x",)"
              R"("references":{"stage":7},"mapping":null,"base_url":42})",
              "wrong types in an object"};
    case 7: {
      std::string text;
      const char* tokens[] = {"{",       "}",       "[",    "]",        ",",
                              ":",       "\"",      "null", "-0",       "1e99999",
                              "\\u0000", "\\ud800", "true", "\"kind\"", " "};
      for (std::size_t i = 0, n = 1 + random.below(200); i < n; ++i)
        text += tokens[random.below(std::size(tokens))];
      return {text, "random JSON tokens"};
    }
    default:
      return {random.below(2) ? "" : "null", "empty or null"};
  }
}

}  // namespace

std::string check_robust(Harness& h, const ChildContext& context) {
  const unsigned cases = context.fuzz_cases;
  const atsm_connector& d = h.d();
  Random random(h.seed());
  std::vector<std::string> kinds = kinds_of(is_source(d) ? d.source_kinds_json : d.sink_kinds_json);
  std::vector<std::string> entry_points = {"open"};
  if (is_source(d))
    entry_points.push_back("read");
  if (is_sink(d)) {
    entry_points.insert(entry_points.end(), {"prepare", "write"});
    if (d.find != nullptr)
      entry_points.push_back("find");
    if (d.read_back != nullptr)
      entry_points.push_back("read_back");
  }
  Instance instance(h);
  std::map<std::string, int> counts;
  for (unsigned i = 0; i < cases; ++i) {
    const std::string& entry = entry_points[random.below(entry_points.size())];
    const bool garbage_kind = random.below(4) == 0;
    std::string kind = kinds.empty() ? "person" : kinds[random.below(kinds.size())];
    Garbage input = garbage(random, kind);
    if (garbage_kind)
      kind = garbage(random, kind).text;
    // Written before the call so that the log tail of a crash names the case.
    std::cerr << fmt::format("robust.fuzz seed {} case {}/{}: {}({}kind, {})", h.seed(), i + 1,
                             cases, entry, garbage_kind ? "garbage " : "", input.what)
              << std::endl;
    ++counts[entry];
    if (entry == "open") {
      Answer answer;
      void* fuzzed = h.open(input.text, answer);
      if (answer.ok())
        h.close(fuzzed);
    } else if (entry == "read") {
      // Stop after the first batch: a garbage checkpoint may legitimately start over.
      h.read(instance.get(), kind, input.text, 1);
    } else if (entry == "prepare") {
      h.prepare(instance.get(), input.text);
    } else if (entry == "write") {
      h.write(instance.get(), kind, input.text);
    } else if (entry == "find") {
      h.find(instance.get(), kind, input.text);
    } else {
      h.read_back(instance.get(), kind, input.text);
    }
    if (auto violation = h.recorder().first())
      fail(fmt::format("seed {} case {} ({}, {}): {}", h.seed(), i + 1, entry, input.what,
                       violation->second));
  }
  std::vector<std::string> parts;
  for (const auto& [entry, count] : counts)
    parts.push_back(fmt::format("{} {}", entry, count));
  return fmt::format("seed {}: {} garbage calls answered a status ({})", h.seed(), cases,
                     fmt::join(parts, ", "));
}

}  // namespace atsm::verify
