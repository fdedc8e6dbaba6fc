// The cache of sealed rows: an entry is used while its key's counter still holds the value
// taken before the row was read, and until it expires.
#include "store/sealed_cache.hpp"

namespace autohost::store {

std::unique_ptr<SealedCache> SealedCache::open(const std::filesystem::path &store_file,
                                               std::chrono::milliseconds lifetime) {
  auto signal = ChangeSignal::open(store_file);
  if (!signal)
    return nullptr;
  return std::unique_ptr<SealedCache>(new SealedCache(std::move(signal), lifetime));
}

SealedCache::SealedCache(std::unique_ptr<ChangeSignal> signal,
                         std::chrono::milliseconds lifetime) noexcept
    : signal_(std::move(signal)), lifetime_(lifetime) {}

const SealedCache::Entry *SealedCache::live(std::string_view key) {
  const auto now = std::chrono::steady_clock::now();
  const auto found = entries_.find(key);
  if (found == entries_.end())
    return nullptr;
  // The counter is read after the lookup: a write that finished before this read began has
  // bumped it by now, so its row is never answered from here.
  if (found->second.stamp != signal_->read(key) || now >= found->second.expires) {
    entries_.erase(found);
    return nullptr;
  }
  ++hits_;
  return &found->second;
}

std::optional<SealedRow> SealedCache::find(std::string_view key) {
  std::lock_guard lock(mutex_);
  const Entry *entry = live(key);
  return entry ? std::optional<SealedRow>(entry->row) : std::nullopt;
}

std::optional<std::uint64_t> SealedCache::find_version(std::string_view key) {
  std::lock_guard lock(mutex_);
  const Entry *entry = live(key);
  return entry ? std::optional<std::uint64_t>(entry->row.version) : std::nullopt;
}

void SealedCache::keep(std::string_view key, std::uint64_t stamp, const SealedRow &row) {
  if (lifetime_ <= std::chrono::milliseconds::zero())
    return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  // A row read before a commit can arrive after one read since, while the commit has not
  // bumped the counter yet (both carry the same stamp): versions only grow, so the kept
  // newer row stays, and a reader never goes back from it.
  if (const auto kept = entries_.find(key); kept != entries_.end()) {
    if (kept->second.row.version <= row.version)
      kept->second = Entry{row, stamp, now + lifetime_};
    return;
  }
  if (entries_.size() >= capacity) {
    std::erase_if(entries_, [&](const auto &entry) { return now >= entry.second.expires; });
    if (entries_.size() >= capacity)
      entries_.clear();
  }
  entries_.emplace(std::string(key), Entry{row, stamp, now + lifetime_});
}

std::uint64_t SealedCache::hits() const noexcept {
  std::lock_guard lock(mutex_);
  return hits_;
}

} // namespace autohost::store
