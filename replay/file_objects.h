// Which of the program's opened files are one file (one inode). Replay opens
// no files, so it can only tell from what the program did: descriptors dup'd
// or inherited from one open are one file (OutputFds's file ids), and so are
// opens of one absolute path while no unlink, rename or link the program made
// moved that name. Two names rp cannot tie (a symbolic link, a hard link made
// by another program) count as two files. Replay uses this to make the
// program's shared mappings of one file show each other's writes
// (replay/shared_files.h).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace rp {

class FileObjects {
 public:
  // An open that named `path` (absolute; none: rp does not know the
  // directory) succeeded; `created` when it made the file (O_CREAT|O_EXCL).
  // Returns the file's object id; 0 for a device (below /dev, but for the
  // /dev/shm files): mapping one twice gives two independent mappings.
  uint64_t opened(const std::optional<std::string>& path, bool created);
  // A file that has no name (memfd_create, O_TMPFILE, an unknown path).
  uint64_t unnamed() { return next_++; }
  void unlinked(const std::string& path);
  void renamed(const std::string& from, const std::string& to, bool exchange);
  void linked(const std::string& from, const std::string& to);
  // Names of files that are no longer open (not in `open`) and were never
  // pinned are forgotten: a later open of the name is a new file, which is
  // right as long as nothing could have seen the old one.
  void keep_only(const std::set<uint64_t>& open);
  // A file the program mapped shared: its names stay known.
  void pin(uint64_t object) { pinned_.insert(object); }
  size_t names() const { return by_path_.size(); }

 private:
  std::map<std::string, uint64_t> by_path_;
  std::set<uint64_t> pinned_;
  uint64_t next_ = 1;
  void forget_below(const std::string& dir);
};

}  // namespace rp
