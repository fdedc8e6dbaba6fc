// The HTTP endpoint of `autohost run --metrics ADDR:PORT`: GET /metrics (Prometheus text)
// and GET /healthz, served by Boost.Beast on a thread of its own so that a slow or hostile
// client never holds up the scheduler loop. Requests are bounded in size, time and number.
#pragma once

#include <autohost/result.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace autohost::daemon {

struct ListenAddress {
  std::string address; // an IPv4 or IPv6 literal
  unsigned short port = 0;
};

// "PORT" (loopback), "ADDR:PORT" or "[IPv6]:PORT"; port 0 picks a free one. The error
// names the flag and what is wrong with the text.
Result<ListenAddress> parse_listen_address(std::string_view text, std::string_view flag);

// What a request gets: the status code, the content type and the body.
struct Page {
  int status = 200;
  std::string content_type;
  std::string body;
};

struct MetricsPages {
  std::function<Page()> metrics;
  std::function<Page()> health;
};

class MetricsServer {
public:
  // Binds and starts serving; the error says which address could not be bound and why.
  static Result<std::unique_ptr<MetricsServer>> start(const ListenAddress &where,
                                                      MetricsPages pages);
  ~MetricsServer(); // stops accepting, closes connections and joins the thread
  MetricsServer(const MetricsServer &) = delete;
  MetricsServer &operator=(const MetricsServer &) = delete;

  // "ADDR:PORT" as bound (the port chosen when 0 was asked for).
  std::string bound() const;

  static constexpr int max_connections = 8;
  static constexpr std::size_t max_request_bytes = 8192;

  struct Impl;

private:
  explicit MetricsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace autohost::daemon
