// Retention: pruning finished runs and finished publish checkpoints older than an age.
#include "daemon/retention.hpp"

#include <boost/json.hpp>

namespace autohost::daemon {
namespace json = boost::json;

namespace {

// "PLUGIN/publish/...": where a plugin keeps the checkpoints of its publish operations.
bool is_publish_checkpoint(std::string_view key) {
  const auto slash = key.find('/');
  return slash != std::string_view::npos && key.substr(slash + 1).starts_with("publish/");
}

// Only a checkpoint that records its published post is finished.
bool is_finished_checkpoint(std::string_view value) {
  boost::system::error_code ec;
  const json::value v = json::parse(value, ec);
  if (ec || !v.is_object())
    return false;
  const json::value *media = v.as_object().if_contains("media_id");
  return media != nullptr && media->is_string() && !media->as_string().empty();
}

} // namespace

Result<PruneCounts> prune_history(scheduler::ScheduleStore &runs, store::SecretStore &secrets,
                                  std::chrono::seconds age, scheduler::Instant now) {
  PruneCounts counts;
  AH_TRY_DECLARE(pruned, runs.prune_runs(age, now));
  counts.runs = pruned.runs;
  const std::int64_t cutoff_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>((now - age).time_since_epoch()).count();
  AH_TRY_DECLARE(all, secrets.list(""));
  for (const auto &info : all) {
    if (!is_publish_checkpoint(info.key) || info.updated_ms >= cutoff_ms)
      continue;
    AH_TRY_DECLARE(stored, secrets.get(info.key));
    if (!stored || stored->version != info.version || !is_finished_checkpoint(stored->value))
      continue;
    auto removed = secrets.remove(info.key, stored->version);
    if (!removed && removed.error().status == AH_NOT_FOUND)
      continue; // removed meanwhile
    if (!removed)
      return std::move(removed).error();
    if (removed.value().outcome == store::WriteOutcome::written)
      ++counts.checkpoints;
  }
  return counts;
}

} // namespace autohost::daemon
