// Names of the scheduler's enums as stored and shown.
#include "scheduler/schedule.hpp"

#include <array>
#include <utility>

namespace autohost::scheduler {

namespace {

template <class E, size_t N>
std::string_view lookup(const std::array<std::pair<E, std::string_view>, N> &table, E v) {
  for (const auto &[value, name] : table) {
    if (value == v)
      return name;
  }
  return "?";
}

template <class E, size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N> &table,
                        std::string_view name) {
  for (const auto &[value, n] : table) {
    if (n == name)
      return value;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<TargetKind, std::string_view>, 2> target_kinds = {
    {{TargetKind::action, "action"}, {TargetKind::job, "job"}}};
constexpr std::array<std::pair<MissedPolicy, std::string_view>, 2> missed_policies = {
    {{MissedPolicy::catch_up_once, "catch_up_once"}, {MissedPolicy::skip, "skip"}}};
constexpr std::array<std::pair<OverlapPolicy, std::string_view>, 3> overlap_policies = {
    {{OverlapPolicy::skip, "skip"},
     {OverlapPolicy::queue, "queue"},
     {OverlapPolicy::allow, "allow"}}};
constexpr std::array<std::pair<RunStatus, std::string_view>, 7> run_statuses = {
    {{RunStatus::pending, "pending"},
     {RunStatus::running, "running"},
     {RunStatus::succeeded, "succeeded"},
     {RunStatus::failed, "failed"},
     {RunStatus::needs_attention, "needs_attention"},
     {RunStatus::missed, "missed"},
     {RunStatus::cancelled, "cancelled"}}};

} // namespace

std::string_view name_of(TargetKind v) noexcept { return lookup(target_kinds, v); }
std::string_view name_of(MissedPolicy v) noexcept { return lookup(missed_policies, v); }
std::string_view name_of(OverlapPolicy v) noexcept { return lookup(overlap_policies, v); }
std::string_view name_of(RunStatus v) noexcept { return lookup(run_statuses, v); }

std::optional<TargetKind> target_kind_named(std::string_view name) noexcept {
  return lookup(target_kinds, name);
}
std::optional<MissedPolicy> missed_policy_named(std::string_view name) noexcept {
  return lookup(missed_policies, name);
}
std::optional<OverlapPolicy> overlap_policy_named(std::string_view name) noexcept {
  return lookup(overlap_policies, name);
}
std::optional<RunStatus> run_status_named(std::string_view name) noexcept {
  return lookup(run_statuses, name);
}

} // namespace autohost::scheduler
