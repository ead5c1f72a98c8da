// load.*: the plugin file, its entry point and its descriptor, before any instance is opened.
#include <dlfcn.h>
#include <elf.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>

#include <atsmigrate/model/kind.hpp>
#include "verify/checks.hpp"

namespace atsm::verify {

namespace json = boost::json;

std::string check_load_abi(const std::filesystem::path& path, host::PluginRegistry& registry) {
  const host::LoadedPlugin* plugin = registry.load_file(path);
  if (plugin == nullptr)
    fail(registry.refusals().empty() ? "refused" : registry.refusals().back().reason);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    fail(fmt::format("dlopen failed: {}", ::dlerror()));
  auto entry = reinterpret_cast<atsm_connector_entry_fn>(::dlsym(handle, ATSM_ENTRY_SYMBOL));
  if (entry == nullptr)
    fail("no atsm_connector_entry symbol");
  // A later minor host (1.x) must still get a 1.y descriptor: minors only add.
  const uint32_t future_minor = ATSM_MAKE_ABI_VERSION(ATSM_ABI_VERSION_MAJOR, 0xfffe);
  const atsm_connector* later = entry(future_minor);
  if (later == nullptr)
    fail(
        fmt::format("the entry point returned NULL for host ABI {}; a 1.x plugin must load in "
                    "every 1.y host",
                    host::abi_version_text(future_minor)));
  if (ATSM_ABI_MAJOR(later->abi_version) != ATSM_ABI_VERSION_MAJOR)
    fail(fmt::format("the descriptor says ABI {}, host major is {}",
                     host::abi_version_text(later->abi_version), ATSM_ABI_VERSION_MAJOR));
  // A host of another major: NULL or a descriptor the host will refuse; never a crash.
  const atsm_connector* other = entry(ATSM_MAKE_ABI_VERSION(ATSM_ABI_VERSION_MAJOR + 1, 0));
  std::string other_answer = other == nullptr ? "declines" : "answers (refused by major)";
  ::dlclose(handle);
  return fmt::format("ABI {} in host {}; a {} host loads it; a {}.0 host: {}",
                     host::abi_version_text(plugin->abi_version()),
                     host::abi_version_text(ATSM_ABI_VERSION), host::abi_version_text(future_minor),
                     ATSM_ABI_VERSION_MAJOR + 1, other_answer);
}

std::string check_descriptor(const atsm_connector& d) {
  std::vector<std::string> problems;
  auto problem = [&](std::string text) { problems.push_back(std::move(text)); };
  if (d.struct_size < sizeof(atsm_connector))
    problem(
        fmt::format("struct_size {} is below ABI 1.0's {}", d.struct_size, sizeof(atsm_connector)));
  std::string name = d.name == nullptr ? "" : d.name;
  if (!std::regex_match(name, std::regex("[a-z0-9_-]+")))
    problem(fmt::format("name '{}' is not [a-z0-9_-]+", shorten(name, 40)));
  if (d.version == nullptr ||
      !std::regex_match(d.version, std::regex("[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.+-]*)?")))
    problem(fmt::format("version '{}' is not MAJOR.MINOR.PATCH", d.version ? d.version : ""));
  if (d.description == nullptr || d.description[0] == '\0' ||
      std::strchr(d.description, '\n') != nullptr)
    problem("description is not one non-empty line");
  if (d.roles == 0 || (d.roles & ~(ATSM_ROLE_SOURCE | ATSM_ROLE_SINK)) != 0)
    problem(fmt::format("roles 0x{:x} are not a non-empty set of ATSM_ROLE_*", d.roles));
  const uint32_t known_caps = ATSM_CAP_THREAD_SAFE | ATSM_CAP_INCREMENTAL | ATSM_CAP_FIND |
                              ATSM_CAP_READ_BACK | ATSM_CAP_VERBATIM;
  if ((d.capabilities & ~known_caps) != 0)
    problem(fmt::format("capabilities 0x{:x} has unknown bits", d.capabilities));
  if (d.open == nullptr || d.close == nullptr)
    problem("open or close is NULL");
  auto check_kinds = [&](const char* field, const char* text, bool role) {
    boost::system::error_code ec;
    json::value value = json::parse(text == nullptr ? "" : text, ec);
    if (ec || !value.is_array()) {
      problem(fmt::format("{} is not a JSON array", field));
      return;
    }
    std::set<std::string> seen;
    for (const json::value& kind : value.as_array()) {
      if (!kind.is_string() || !model::kind_from_string(kind.as_string())) {
        problem(fmt::format("{} has '{}', not a canonical kind", field,
                            shorten(json::serialize(kind), 40)));
      } else if (!seen.insert(std::string(kind.as_string())).second) {
        problem(fmt::format("{} lists '{}' twice", field, std::string(kind.as_string())));
      }
    }
    if (role && seen.empty())
      problem(fmt::format("{} is empty for a declared role", field));
    if (!role && !seen.empty())
      problem(fmt::format("{} lists kinds for a role the connector lacks", field));
  };
  check_kinds("source_kinds_json", d.source_kinds_json, is_source(d));
  check_kinds("sink_kinds_json", d.sink_kinds_json, is_sink(d));
  if (is_source(d) != (d.read != nullptr))
    problem(is_source(d) ? "source role without read" : "read set without the source role");
  if (is_sink(d) != (d.prepare != nullptr && d.write != nullptr))
    problem(is_sink(d) ? "sink role without prepare and write"
                       : "prepare or write set without the sink role");
  if (((d.capabilities & ATSM_CAP_FIND) != 0) != (d.find != nullptr))
    problem("ATSM_CAP_FIND and find disagree");
  if (((d.capabilities & ATSM_CAP_READ_BACK) != 0) != (d.read_back != nullptr))
    problem("ATSM_CAP_READ_BACK and read_back disagree");
  if ((d.capabilities &
       (ATSM_CAP_FIND | ATSM_CAP_READ_BACK | ATSM_CAP_THREAD_SAFE | ATSM_CAP_VERBATIM)) != 0 &&
      !is_sink(d))
    problem("sink capabilities on a connector without the sink role");
  if ((d.capabilities & ATSM_CAP_INCREMENTAL) != 0 && !is_source(d))
    problem("ATSM_CAP_INCREMENTAL without the source role");
  static const std::set<std::string> types = {"string",  "integer", "number",
                                              "boolean", "object",  "array"};
  auto check_list = [&](const char* field, const char* text, bool config) {
    boost::system::error_code ec;
    json::value value = json::parse(text == nullptr ? "[]" : text, ec);
    if (ec || !value.is_array()) {
      problem(fmt::format("{} is not a JSON array", field));
      return;
    }
    std::set<std::string> names;
    for (const json::value& entry : value.as_array()) {
      const json::object* object = entry.if_object();
      const json::value* key_name = object ? object->if_contains("name") : nullptr;
      if (key_name == nullptr || !key_name->is_string() || key_name->as_string().empty()) {
        problem(fmt::format("{} has an entry without a string name", field));
        continue;
      }
      std::string key(key_name->as_string());
      if (!names.insert(key).second)
        problem(fmt::format("{} names '{}' twice", field, key));
      const json::value* description = object->if_contains("description");
      if (description == nullptr || !description->is_string() || description->as_string().empty())
        problem(fmt::format("{} entry '{}' has no description", field, key));
      if (config) {
        const json::value* type = object->if_contains("type");
        if (type == nullptr || !type->is_string() || !types.count(std::string(type->as_string())))
          problem(fmt::format("config key '{}' has no type among {}", key, fmt::join(types, "|")));
      }
      const json::value* required = object->if_contains("required");
      if (required != nullptr && !required->is_bool())
        problem(fmt::format("{} entry '{}': required is not a boolean", field, key));
    }
  };
  check_list("config_keys_json", d.config_keys_json, true);
  check_list("secrets_json", d.secrets_json, false);
  if (!problems.empty())
    fail(fmt::format("{}", fmt::join(problems, "; ")));
  return fmt::format("{} {}: roles 0x{:x}, capabilities 0x{:x}, struct_size {}", name, d.version,
                     d.roles, d.capabilities, d.struct_size);
}

namespace {

// The names of the defined, default-visibility global symbols of an ELF shared object.
std::vector<std::string> exported_symbols(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof(Elf64_Ehdr) || bytes.compare(0, 4, ELFMAG) != 0)
    fail("not an ELF file");
  if (bytes[EI_CLASS] != ELFCLASS64)
    fail("not a 64-bit ELF file");
  auto at = [&](std::size_t offset, std::size_t size) -> const char* {
    if (offset > bytes.size() || size > bytes.size() - offset)
      fail("truncated ELF file");
    return bytes.data() + offset;
  };
  Elf64_Ehdr header;
  std::memcpy(&header, at(0, sizeof header), sizeof header);
  std::vector<Elf64_Shdr> sections(header.e_shnum);
  for (std::size_t i = 0; i < sections.size(); ++i)
    std::memcpy(&sections[i], at(header.e_shoff + i * header.e_shentsize, sizeof(Elf64_Shdr)),
                sizeof(Elf64_Shdr));
  std::vector<std::string> names;
  for (const Elf64_Shdr& section : sections) {
    if (section.sh_type != SHT_DYNSYM || section.sh_link >= sections.size())
      continue;
    const Elf64_Shdr& strings = sections[section.sh_link];
    const char* table = at(strings.sh_offset, strings.sh_size);
    std::size_t count = section.sh_entsize == 0 ? 0 : section.sh_size / section.sh_entsize;
    for (std::size_t i = 0; i < count; ++i) {
      Elf64_Sym symbol;
      std::memcpy(&symbol, at(section.sh_offset + i * section.sh_entsize, sizeof symbol),
                  sizeof symbol);
      unsigned bind = ELF64_ST_BIND(symbol.st_info);
      if (symbol.st_shndx == SHN_UNDEF || symbol.st_shndx == SHN_ABS ||
          (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE) ||
          ELF64_ST_VISIBILITY(symbol.st_other) != STV_DEFAULT || symbol.st_name >= strings.sh_size)
        continue;
      std::string name(table + symbol.st_name);
      if (name == "_init" || name == "_fini" || name.empty())
        continue;
      names.push_back(name);
    }
  }
  return names;
}

}  // namespace

std::string check_exports(const std::filesystem::path& path) {
  std::vector<std::string> names = exported_symbols(path);
  std::vector<std::string> extra;
  bool entry = false;
  for (const std::string& name : names) {
    if (name == ATSM_ENTRY_SYMBOL)
      entry = true;
    else
      extra.push_back(name);
  }
  if (!entry)
    fail("atsm_connector_entry is not exported");
  if (!extra.empty()) {
    std::vector<std::string> shown(extra.begin(),
                                   extra.begin() + std::min<std::size_t>(extra.size(), 5));
    fail(
        fmt::format("{} symbol(s) exported besides atsm_connector_entry: {}{} (link with the "
                    "SDK's version script: atsmigrate_add_connector)",
                    extra.size(), fmt::join(shown, ", "), extra.size() > 5 ? ", ..." : ""));
  }
  return "only atsm_connector_entry is exported";
}

}  // namespace atsm::verify
