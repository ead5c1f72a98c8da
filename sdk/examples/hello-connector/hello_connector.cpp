// The smallest useful source connector: it emits a few persons and their candidacies as
// canonical records, in batches with a resumable checkpoint. Copy it to start a real one: replace
// the fixed records with calls to your vendor's API through host().http(...).
#include <atsmigrate/connector.hpp>

#include <string>

namespace {

class HelloSource : public atsm::sdk::Source {
 public:
  HelloSource(atsm::sdk::Host host, std::string_view config_json) : host_(host) {
    // A real connector parses its config here and rejects unknown keys with ATSM_INVALID.
    if (config_json.find_first_not_of(" \t\r\n{}") != std::string_view::npos) {
      throw atsm::sdk::Error(ATSM_INVALID, "hello takes no configuration keys");
    }
  }

  void read(const std::string& kind, const std::string& checkpoint,
            atsm::sdk::Emitter& emitter) override {
    host_.check_cancelled();
    if (kind == "person") {
      // Two batches: a resumed read that got "after-ada" skips the first.
      if (checkpoint.empty()) {
        emitter.emit(kind,
                     R"([{"kind":"person","source":"hello","source_key":"hello:person:1",)"
                     R"("name":"Ada Lovelace","emails":[{"address":"ada@example.com"}],)"
                     R"("created_at":"2019-03-04T14:02:00Z"}])",
                     "after-ada");
      }
      emitter.emit(kind,
                   R"([{"kind":"person","source":"hello","source_key":"hello:person:2",)"
                   R"("name":"Grace Hopper","emails":[{"address":"grace@example.com"}],)"
                   R"("created_at":"2020-01-01T00:00:00Z"}])",
                   "");
    } else if (kind == "candidacy") {
      emitter.emit(
          kind,
          R"([{"kind":"candidacy","source":"hello","source_key":"hello:candidacy:1",)"
          R"("person_key":"hello:person:1","status":"active","created_at":"2019-03-05T09:00:00Z"},)"
          R"({"kind":"candidacy","source":"hello","source_key":"hello:candidacy:2",)"
          R"("person_key":"hello:person:2","status":"lead","created_at":"2020-01-02T10:30:00Z"}])",
          "");
    } else {
      throw atsm::sdk::Error(ATSM_INVALID, "hello cannot read kind '" + kind + "'");
    }
    host_.progress(kind, 2, 2);
  }

 private:
  atsm::sdk::Host host_;
};

}  // namespace

ATSM_DEFINE_CONNECTOR(HelloSource,
                      (atsm::sdk::ConnectorInfo{
                          .name = "hello",
                          .version = "1.0.0",
                          .description = "example source: two persons, two candidacies",
                          .source_kinds_json = R"(["person","candidacy"])",
                          .display_name = "Hello",
                      }))
