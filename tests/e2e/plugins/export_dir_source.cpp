// A file-export source, as a third party writes one from sdk/README.md: it reads the snapshot an
// older ATS exported into a directory (config key "dir": person.json and note.json, each a JSON
// array of canonical records of that kind), declares the display name its notes carry in the
// target, and has no incremental capability: a new export is read again with --reread.
#include <atsmigrate/connector.hpp>

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <string>

namespace {

class ExportDirSource : public atsm::sdk::Source {
 public:
  ExportDirSource(atsm::sdk::Host host, std::string_view config_json) : host_(host) {
    boost::system::error_code error;
    boost::json::value config = boost::json::parse(config_json, error);
    if (error || !config.is_object())
      throw atsm::sdk::Error(ATSM_INVALID, "legacy_export: the configuration is not an object");
    for (const auto& [key, value] : config.as_object()) {
      if (key != "dir" || !value.is_string())
        throw atsm::sdk::Error(ATSM_INVALID, "legacy_export: unknown or non-text config key '" +
                                                 std::string(key) + "' (it takes \"dir\")");
      dir_ = std::string(value.as_string());
    }
    if (dir_.empty())
      throw atsm::sdk::Error(ATSM_INVALID, "legacy_export: config key 'dir' is required");
  }

  void read(const std::string& kind, const std::string& checkpoint,
            atsm::sdk::Emitter& emitter) override {
    (void)checkpoint;  // one batch per kind: a read always starts at the beginning
    host_.check_cancelled();
    std::ifstream in(dir_ + "/" + kind + ".json");
    if (!in)
      throw atsm::sdk::Error(ATSM_INVALID, "legacy_export: no " + kind + ".json in " + dir_);
    std::string records((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    emitter.emit(kind, records, "");
  }

 private:
  atsm::sdk::Host host_;
  std::string dir_;
};

}  // namespace

ATSM_DEFINE_CONNECTOR(ExportDirSource,
                      (atsm::sdk::ConnectorInfo{
                          .name = "legacy_export",
                          .version = "1.0.0",
                          .description = "test source: a legacy ATS's export directory",
                          .source_kinds_json = R"(["person","note"])",
                          .config_keys_json = R"([{"name":"dir","type":"string",)"
                                              R"("description":"the export directory",)"
                                              R"("required":true}])",
                          .display_name = "Legacy Export",
                      }))
