#include "fake_connectors.hpp"

#include <atsmigrate/connector.hpp>

#include <chrono>
#include <condition_variable>
#include <optional>
#include <thread>

namespace atsm::testing::fake {
namespace {

namespace json = boost::json;

std::string text(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// Told whenever the sink is handed an item (Script::hold_until).
std::condition_variable& received_changed() {
  static std::condition_variable instance;
  return instance;
}

class FakeSource : public sdk::Source {
 public:
  FakeSource(sdk::Host, std::string_view) {}

  void read(const std::string& kind, const std::string& checkpoint,
            sdk::Emitter& emitter) override {
    json::array records;
    std::optional<atsm_status> ends_with;
    std::optional<Script::LaterBatch> later;
    {
      std::lock_guard lock(mutex());
      if (auto it = script().records.find(kind); it != script().records.end())
        records = it->second;
      if (auto it = script().read_ends_with.find(kind); it != script().read_ends_with.end())
        ends_with = it->second;
      if (auto it = script().later_batch.find(kind); it != script().later_batch.end())
        later = it->second;
    }
    if (checkpoint.empty()) {
      emitter.emit(kind, json::serialize(records), ends_with || later ? "resume-here" : "");
      if (later) {
        {
          std::unique_lock lock(mutex());
          received_changed().wait_for(lock, std::chrono::seconds(20), [&] {
            return !script().received_for(later->after.first, later->after.second).empty();
          });
          script().events.push_back("staged later " + kind);
        }
        emitter.emit(kind, json::serialize(later->records), ends_with ? "resume-here" : "");
      }
    }
    if (ends_with)
      throw sdk::Error(*ends_with, "the read of " + kind + " ended early (scripted)");
  }
};

class FakeSink : public sdk::Sink {
 public:
  FakeSink(sdk::Host, std::string_view) {}

  std::string prepare(const std::string& plan_json) override {
    std::lock_guard lock(mutex());
    script().prepared_with = json::parse(plan_json).as_object();
    return json::serialize(json::object{{"catalog", script().catalog}, {"missing", json::array()}});
  }

  std::string write(const std::string& kind, const std::string& items_json) override {
    std::unique_lock lock(mutex());
    Script& s = script();
    if (auto fails = s.whole_call_fails.find(kind); fails != s.whole_call_fails.end()) {
      atsm_status status = fails->second;
      s.whole_call_fails.erase(fails);
      const json::value failed = json::parse(items_json);
      for (const json::value& value : failed.as_array())
        s.events.push_back("failed call " + kind + " " + text(value.as_object(), "key"));
      throw sdk::Error(status, "the whole call failed (scripted)");
    }
    json::array results;
    const json::value items = json::parse(items_json);
    for (const json::value& value : items.as_array()) {
      const json::object& item = value.as_object();
      std::string key = text(item, "key");
      s.received.push_back({kind, item});
      s.events.push_back("handed " + kind + " " + key);
      received_changed().notify_all();
      if (auto hold = s.hold_until.find({kind, key}); hold != s.hold_until.end()) {
        auto awaited = hold->second;
        s.hold_met[{kind, key}] = received_changed().wait_for(lock, std::chrono::seconds(20), [&] {
          return !s.received_for(awaited.first, awaited.second).empty();
        });
      }
      if (s.write_latency.count() > 0) {
        auto latency = s.write_latency;
        lock.unlock();
        std::this_thread::sleep_for(latency);
        lock.lock();
      }
      results.push_back(answer(s, kind, item));
      s.events.push_back("answered " + kind + " " + key);
    }
    return json::serialize(results);
  }

  std::optional<std::string> find(const std::string& kind, const std::string& item_json) override {
    std::lock_guard lock(mutex());
    ++script().finds;
    std::string key = text(json::parse(item_json).as_object(), "key");
    auto it = script().objects.find({kind, key});
    return it == script().objects.end() ? std::nullopt : std::optional(it->second);
  }

 private:
  static json::object answer(Script& s, const std::string& kind, const json::object& item) {
    std::string key = text(item, "key");
    Answer scripted;
    if (auto it = s.answers.find({kind, key}); it != s.answers.end() && !it->second.empty()) {
      scripted = it->second.front();
      it->second.pop_front();
    }
    auto held = s.objects.find({kind, key});
    const json::value* lookup = item.if_contains("lookup_first");
    bool lookup_first = lookup && lookup->is_bool() && lookup->as_bool();
    // What a real sink does with an item: adopt what a lookup finds, update the given target,
    // else create.
    auto write_it = [&]() -> std::string {
      if (lookup_first && held != s.objects.end())
        return held->second;
      if (std::string target = text(item, "target_id"); !target.empty()) {
        ++s.updates[{kind, target}];
        return target;
      }
      std::string target = "T-" + std::to_string(++s.created);
      s.objects[{kind, key}] = target;
      return target;
    };
    json::object result{{"key", key}};
    if (scripted.status == "ok") {
      result["status"] = "ok";
      result["target_id"] = write_it();
    } else if (scripted.status == "skipped") {
      result["status"] = "ok";
      result["skipped"] = scripted.message;
    } else if (scripted.status == "no_target") {
      result["status"] = "ok";
    } else {
      if (scripted.creates)
        write_it();
      result["status"] = scripted.status;
      result["message"] = scripted.message;
      if (!scripted.vendor_code.empty())
        result["vendor_code"] = scripted.vendor_code;
    }
    return result;
  }
};

}  // namespace

std::string Received::key() const {
  return text(item, "key");
}
bool Received::lookup_first() const {
  const json::value* value = item.if_contains("lookup_first");
  return value && value->is_bool() && value->as_bool();
}
std::int64_t Received::attempt() const {
  const json::value* value = item.if_contains("attempt");
  return value ? value->to_number<std::int64_t>() : 0;
}

std::vector<Received> Script::received_for(const std::string& kind, const std::string& key) const {
  std::vector<Received> out;
  for (const Received& one : received)
    if (one.kind == kind && one.key() == key)
      out.push_back(one);
  return out;
}

Script& script() {
  static Script instance;
  return instance;
}

std::mutex& mutex() {
  static std::mutex instance;
  return instance;
}

void reset() {
  std::lock_guard lock(mutex());
  script() = Script{};
}

const atsm_connector* source_entry(uint32_t host_abi_version) {
  if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)
    return nullptr;
  static const atsm_connector table = sdk::Adapter<FakeSource>::descriptor(sdk::ConnectorInfo{
      .name = kSourceName,
      .version = "1.0.0",
      .description = "test source: emits what the test scripts",
      .source_kinds_json =
          R"(["department","job","person","candidacy","note","interview","offer","file"])",
  });
  return &table;
}

const atsm_connector* sink_entry(uint32_t host_abi_version) {
  if (ATSM_ABI_MAJOR(host_abi_version) != ATSM_ABI_VERSION_MAJOR)
    return nullptr;
  static const atsm_connector table = sdk::Adapter<FakeSink>::descriptor(sdk::ConnectorInfo{
      .name = kSinkName,
      .version = "1.0.0",
      .description = "test sink: answers as the test scripts",
      .capabilities = ATSM_CAP_FIND,
      .sink_kinds_json =
          R"(["department","job","person","candidacy","note","interview","offer","file"])",
  });
  return &table;
}

}  // namespace atsm::testing::fake
