// A well-behaved connector written with connector.hpp: a source of persons and a sink that
// remembers what it was given, so the host's facade can be exercised end to end.
#include <atsmigrate/connector.hpp>

#include <map>
#include <stdexcept>
#include <string>

namespace {

class EchoConnector : public atsm::sdk::Source, public atsm::sdk::Sink {
 public:
  EchoConnector(atsm::sdk::Host host, std::string_view config_json) : host_(host) {
    if (config_json.find("\"reject\"") != std::string_view::npos) {
      throw atsm::sdk::Error(ATSM_INVALID, "config key 'reject' is not accepted");
    }
  }

  void read(const std::string& kind, const std::string& checkpoint,
            atsm::sdk::Emitter& emitter) override {
    if (kind == "explode")
      throw std::runtime_error("boom while reading");
    if (kind == "garbage") {
      emitter.emit(kind, "[{\"kind\": oops", "");
      return;
    }
    host_.log(ATSM_LOG_INFO, "reading " + kind);
    // Two batches; the checkpoint after the first lets a resumed read skip it.
    if (checkpoint.empty()) {
      emitter.emit(
          kind,
          R"([{"kind":"person","source":"echo","source_key":"echo:person:1","name":"Ada"},)"
          R"({"kind":"person","source":"echo","source_key":"echo:person:2","name":"Grace"}])",
          "after-2");
    }
    emitter.emit(
        kind, R"([{"kind":"person","source":"echo","source_key":"echo:person:3","name":"Edsger"}])",
        "");
  }

  std::string prepare(const std::string& plan_json) override {
    return R"({"missing":[],"target":{"plan_bytes":)" + std::to_string(plan_json.size()) + "}}";
  }

  std::string write(const std::string& kind, const std::string& records_json) override {
    if (kind == "explode")
      throw atsm::sdk::Error(ATSM_PERMANENT, "vendor said no", "job_not_found", "req-42", 200);
    written_[kind] += records_json;
    return R"([{"source_key":"echo:person:1","status":"ok","target_id":"t-1"}])";
  }

  std::optional<std::string> find(const std::string& kind,
                                  const std::string& record_json) override {
    if (record_json.find("echo:person:1") != std::string::npos && written_.count(kind))
      return "t-1";
    return std::nullopt;
  }

  std::optional<std::string> read_back(const std::string& kind,
                                       const std::string& target_id) override {
    if (target_id != "t-1")
      return std::nullopt;
    return R"({"kind":")" + kind +
           R"(","source":"echo","source_key":"echo:person:1","name":"Ada"})";
  }

 private:
  atsm::sdk::Host host_;
  std::map<std::string, std::string> written_;
};

const void* echo_extension(const char* id) {
  static const int marker = 42;
  return std::string_view(id) == "atsm.test.echo/1" ? &marker : nullptr;
}

}  // namespace

ATSM_DEFINE_CONNECTOR(
    EchoConnector,
    (atsm::sdk::ConnectorInfo{
        .name = "echo",
        .version = "1.0.0",
        .description = "test connector: echoes persons",
        .capabilities = ATSM_CAP_FIND | ATSM_CAP_READ_BACK,
        .source_kinds_json = R"(["person"])",
        .sink_kinds_json = R"(["person"])",
        .config_keys_json =
            R"([{"name":"base_url","type":"string","description":"where","default":"http://x"}])",
        .secrets_json = R"([{"name":"ECHO_KEY","description":"the key","required":true}])",
        .get_extension = &echo_extension,
        .display_name = "Echo Système",
    }))
