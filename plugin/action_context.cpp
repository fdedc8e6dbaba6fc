// Deadlines, cancellation, waiting and progress for actions.
#include "action_context.hpp"
#include "plain_number.hpp"

#include <boost/json.hpp>

#include <thread>

namespace threads {
namespace json = boost::json;

auth::RefreshRules ActionContext::refresh_rules() const {
  auth::RefreshRules rules;
  rules.window_ms = static_cast<std::int64_t>(config.refresh_window_days * auth::day_ms);
  return rules;
}

bool ActionContext::should_stop() const {
  return call.cancelled() || (call.deadline_ms() != 0 && now_ms() >= call.deadline_ms());
}

std::string_view ActionContext::stop_code() const {
  return call.cancelled() ? "cancelled" : "deadline_exceeded";
}

bool ActionContext::wait(double seconds) const {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < until) {
    if (should_stop())
      return false;
    const auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return !should_stop();
}

graph::Call ActionContext::make_call(http::Method method, std::string path, graph::Operation op,
                                     std::string token) const {
  graph::Call c;
  c.method = method;
  c.path = std::move(path);
  c.operation = op;
  c.token = std::move(token);
  if (call.deadline_ms() != 0) {
    const auto left =
        std::chrono::milliseconds(std::max<std::int64_t>(0, call.deadline_ms() - now_ms()));
    c.deadline = std::chrono::steady_clock::now() + left;
  }
  const autohost::CallContext *ctx = &call;
  c.cancelled = [ctx] { return ctx->cancelled(); };
  return c;
}

void ActionContext::progress(std::string_view stage, std::string_view detail,
                             double elapsed_s) const {
  json::object event{
      {"stage", stage},
      {"detail", detail},
      {"elapsed_s",
       plain_number(static_cast<double>(static_cast<long long>(elapsed_s * 10)) / 10)}};
  call.progress(json::serialize(event));
}

} // namespace threads
