#include "lever_source.hpp"

namespace atsm::lever {

// Walks a paged list from `from`, calling on_page(items, before, after) per page; `after` has
// no offset on the last page. When Lever rejects a token (stale, or issued for another sort)
// the walk starts the list over: items this walk already handled are dropped by id, the rest
// are handed on again (a resumed walk re-emits what it read before its crash, which staging
// takes as the same records). Nothing is dropped on the word of an anchor that may have moved
// or been deleted meanwhile.
void LeverSource::walk(
    const std::string& path, const Query& query, ListPosition from, const std::string& what,
    const std::function<void(json::array&, const ListPosition&, const ListPosition&)>& on_page) {
  constexpr int kRestarts = 5;
  std::set<std::string> handled;
  int restarts = 0;
  bool restarted = false;
  ListPosition before = from;
  for (;;) {
    Page page;
    try {
      page = client_.page(path, query, before.offset, what);
    } catch (const InvalidOffsetToken& error) {
      if (!before.offset || ++restarts > kRestarts)
        throw;
      host_.log(ATSM_LOG_WARN, std::string(error.what()) + "; restarting the list");
      before.offset.reset();
      restarted = true;
      continue;
    }
    if (restarted) {
      json::array fresh;
      for (json::value& item : page.data)
        if (std::string id = item_id(item); id.empty() || !handled.count(id))
          fresh.push_back(std::move(item));
      page.data = std::move(fresh);
    }
    for (const json::value& item : page.data)
      handled.insert(item_id(item));
    ListPosition after{page.next, page.data.empty() ? before.last_id : item_id(page.data.back())};
    on_page(page.data, before, after);
    if (!page.next)
      return;
    before = after;
    host_.check_cancelled();
  }
}

std::string LeverSource::list_checkpoint(const ListPosition& after, std::int64_t count) {
  if (!after.offset)
    return "";
  return kCheckpoints.write({{"offset", *after.offset}, {"last", after.last_id}, {"count", count}});
}

void LeverSource::walk_windows(
    const Query& query, std::int64_t from, std::int64_t until, std::int64_t width,
    const std::string& what,
    const std::function<void(std::vector<json::value>&, const Window&)>& on_window) {
  // Aim below a full page, so a window grown from a sparse one rarely overflows.
  const double target = std::max(1.0, 0.7 * settings_.client.page_size);
  std::int64_t start = std::max<std::int64_t>(from, 0);
  if (width <= 0)
    width = until - start + 1;  // first try: everything at once (a small account: one call)
  while (start <= until) {
    std::int64_t end = width > until - start ? until : start + width - 1;
    Query windowed = query;
    windowed.emplace_back("created_at_start", std::to_string(start));
    windowed.emplace_back("created_at_end", std::to_string(end));
    Page page = client_.page("/opportunities", windowed, std::nullopt, what);
    std::vector<json::value> items;
    if (page.next && end > start) {
      width = std::max<std::int64_t>(1, (end - start + 1) / 4);
      continue;
    }
    if (page.next)
      items = walk_millisecond(windowed, start, what);
    else
      items.assign(std::make_move_iterator(page.data.begin()),
                   std::make_move_iterator(page.data.end()));
    // Handled in id order: stable whatever moves, so a checkpoint can name the last one done.
    std::sort(items.begin(), items.end(),
              [](const json::value& a, const json::value& b) { return item_id(a) < item_id(b); });
    double factor =
        items.empty() ? 4.0 : std::clamp(target / static_cast<double>(items.size()), 0.25, 4.0);
    Window window{start, end,
                  std::max<std::int64_t>(
                      1, static_cast<std::int64_t>(static_cast<double>(end - start + 1) * factor)),
                  end >= until};
    on_window(items, window);
    if (window.last)
      return;
    start = end + 1;
    width = window.next_width;
    host_.check_cancelled();
  }
}

// More than a page of opportunities created in one millisecond (a bulk import): no narrower
// window exists, so that millisecond is paged, and paged again until a whole walk brings no
// opportunity the earlier ones had not (one moved during every walk could still hide: said).
std::vector<json::value> LeverSource::walk_millisecond(const Query& query, std::int64_t at,
                                                       const std::string& what) {
  constexpr int kMaxWalks = 5;
  std::map<std::string, json::value> seen;
  for (int pass = 0; pass < kMaxWalks; ++pass) {
    bool found_new = false;
    walk("/opportunities", query, {}, what,
         [&](json::array& items, const ListPosition&, const ListPosition&) {
           for (json::value& item : items)
             found_new = seen.emplace(item_id(item), std::move(item)).second || found_new;
         });
    if (pass > 0 && !found_new)
      break;
  }
  host_.log(ATSM_LOG_WARN,
            std::to_string(seen.size()) + " opportunities were created in the same millisecond (" +
                std::to_string(at) +
                "), more than one page: they were paged until a walk found nothing new; one "
                "moved to an earlier stage during every such walk would be missed");
  std::vector<json::value> items;
  for (auto& [id, item] : seen)
    items.push_back(std::move(item));
  return items;
}

std::vector<LeverSource::ReadPhase> LeverSource::read_phases() const {
  if (!settings_.since)
    return {ReadPhase{}};
  std::string since = std::to_string(*settings_.since);
  return {ReadPhase{{}, *settings_.since}, ReadPhase{{{"updated_at_start", since}}, 0},
          ReadPhase{{{"advanced_at_start", since}}, 0},
          ReadPhase{{{"archived_at_start", since}}, 0}};
}

}  // namespace atsm::lever
