#include "file_objects.h"

#include <iterator>
#include <vector>

namespace rp {

uint64_t FileObjects::opened(const std::optional<std::string>& path, bool created) {
  if (!path) return next_++;
  if (path->starts_with("/dev/") && !path->starts_with("/dev/shm/")) return 0;
  auto it = by_path_.find(*path);
  if (it != by_path_.end() && !created) return it->second;
  return by_path_[*path] = next_++;
}

// A directory renamed or removed moves every name below it: those are
// forgotten rather than followed (a later open of one is a new file).
void FileObjects::forget_below(const std::string& dir) {
  std::string prefix = dir + "/";
  for (auto it = by_path_.lower_bound(prefix);
       it != by_path_.end() && it->first.compare(0, prefix.size(), prefix) == 0;)
    it = by_path_.erase(it);
}

void FileObjects::unlinked(const std::string& path) {
  by_path_.erase(path);
  forget_below(path);
}

void FileObjects::renamed(const std::string& from, const std::string& to, bool exchange) {
  auto f = by_path_.find(from), t = by_path_.find(to);
  std::optional<uint64_t> was_from, was_to;
  if (f != by_path_.end()) was_from = f->second;
  if (t != by_path_.end()) was_to = t->second;
  by_path_.erase(from);
  by_path_.erase(to);
  forget_below(from);
  forget_below(to);
  if (was_from) by_path_[to] = *was_from;
  if (exchange && was_to) by_path_[from] = *was_to;
}

void FileObjects::linked(const std::string& from, const std::string& to) {
  auto f = by_path_.find(from);
  if (f != by_path_.end()) by_path_[to] = f->second;
}

void FileObjects::keep_only(const std::set<uint64_t>& open) {
  std::erase_if(by_path_, [&](const auto& n) {
    return !open.count(n.second) && !pinned_.count(n.second);
  });
}

}  // namespace rp
