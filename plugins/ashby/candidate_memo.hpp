// What the Ashby sink learnt about each candidate it wrote, kept compactly for the whole load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace atsm::ashby {

// `text` as a compact token that compares as the text does: a canonical lower-case UUID (what
// Ashby's ids are) in 17 bytes instead of 36, lower-case hex (a SHA-256) in half, anything else
// as it is, behind its length.
std::string packed_id(std::string_view text);

// Per candidate: the file ids seen on it (to tell an upload's new file from the others), the
// files this instance uploaded (by SHA-256) and the tag ids it holds. The load keeps them for
// every candidate of the account, so they are not a set or map node per fact (~0.8 KB per
// candidate, ~90 MB at 100,000 persons): each candidate has one entry whose facts are packed
// tokens in a few strings (an Ashby id, a UUID, in 16 bytes; a SHA-256 in 32). Any other text is
// kept as it is, so an id of another shape is remembered exactly too. Not thread-safe: the sink's
// lock guards it.
class CandidateMemos {
 public:
  // The file ids seen on the candidate; nullopt when its files were never listed.
  std::optional<std::set<std::string>> file_ids_seen(const std::string& candidate) const;
  // Adds ids seen on the candidate; its files are known from then on, even when `ids` is empty.
  void see_file_ids(const std::string& candidate, const std::set<std::string>& ids);

  // The id of the file of these bytes this instance uploaded to the candidate, if any.
  std::optional<std::string> uploaded_file(const std::string& candidate,
                                           const std::string& sha256) const;
  // The ids of every file this instance uploaded to the candidate.
  std::set<std::string> uploaded_file_ids(const std::string& candidate) const;
  void remember_upload(const std::string& candidate, const std::string& sha256,
                       const std::string& file_id);

  // The tag ids the candidate is known to hold.
  std::set<std::string> tag_ids(const std::string& candidate) const;
  void add_tag_ids(const std::string& candidate, const std::set<std::string>& ids);

  std::size_t candidates() const { return memos_.size(); }
  // Lets every entry go, and the memory with it.
  void clear();

 private:
  struct Memo {
    std::string file_ids;  // tokens
    std::string uploads;   // pairs of tokens: SHA-256, file id
    std::string tag_ids;   // tokens
    bool file_ids_known = false;
  };
  const Memo* find(const std::string& candidate) const;
  Memo& at(const std::string& candidate);

  std::unordered_map<std::string, Memo> memos_;  // packed candidate id -> memo
};

// The job title of each application the sink created or read (notes and feedback name it), for
// every application of the account: packed ids, and each title once.
class JobTitlesByApplication {
 public:
  std::optional<std::string> find(const std::string& application) const;
  void remember(const std::string& application, const std::string& title);
  void clear();

 private:
  std::unordered_map<std::string, std::uint32_t> title_of_;  // packed application id -> title
  std::unordered_map<std::string, std::uint32_t> title_index_;
  std::vector<std::string> titles_;
};

}  // namespace atsm::ashby
