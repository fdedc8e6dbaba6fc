// libFuzzer harness: the answers of Meta's servers, as the real plugin reads them. A TLS
// server on loopback plays Graph and OAuth and answers each request with the next part of
// the input; the plugin instance runs a valid call of each action against it.
// Input: byte 0 picks the action, byte 1 the HTTP status, then the answer bodies, one per
// request, separated by 0x1e (the last one answers every later request).
#include "auth/app_credentials.hpp"
#include "fake_host.hpp"
#include "fuzz_account.hpp"
#include "fuzz_check.hpp"
#include "test_server.hpp"
#include "threads_plugin.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <unistd.h>

namespace {

struct Call {
  std::string_view action;
  std::string_view input;
};

// One valid call per action, so each one reaches its requests.
constexpr std::array<Call, 20> calls = {{
    {"post", R"({"text":"hello"})"},
    {"post", R"({"text":"two","media":[{"type":"image","url":"https://example.com/a.jpg"},)"
             R"({"type":"video","url":"https://example.com/b.mp4"}]})"},
    {"post", R"({"media":[{"type":"image","url":"https://example.com/a.jpg"}]})"},
    {"import_token", R"({"account":"imported","token":"THAAimportedTOKEN000000000000"})"},
    {"exchange_code", R"({"account":"carol","code":"AQDcode#_"})"},
    {"refresh_token", "{}"},
    {"token_status", R"({"check":true})"},
    {"profile", "{}"},
    {"threads", R"({"limit":25})"},
    {"thread", R"({"id":"17890000000000000"})"},
    {"replies", R"({"id":"17890000000000000"})"},
    {"conversation", R"({"id":"17890000000000000"})"},
    {"mentions", "{}"},
    {"insights", "{}"},
    {"publishing_limit", "{}"},
    {"search", R"({"q":"coffee"})"},
    {"delete", R"({"id":"17890000000000000"})"},
    {"repost", R"({"id":"17890000000000000"})"},
    {"hide_reply", R"({"id":"17890000000000000","hide":true})"},
    {"info", "{}"},
}};

// Mostly success; the retried statuses are rare, since each retry waits a backoff.
constexpr std::array<int, 16> statuses = {200, 200, 200, 200, 200, 200, 200, 200,
                                          200, 200, 201, 400, 401, 403, 429, 500};

constexpr std::string_view token = fuzz::account_token;

// What the server answers: the parts of the current input, in order.
struct Script {
  std::mutex mutex;
  int status = 200;
  std::vector<std::string> bodies;
  std::size_t next = 0;

  http_test::Reply answer() {
    std::lock_guard lock(mutex);
    http_test::Reply reply;
    reply.status = status;
    reply.headers = {{"Content-Type", "application/json"}};
    if (!bodies.empty())
      reply.body = bodies[std::min(next++, bodies.size() - 1)];
    return reply;
  }
};

std::string write_temp_file(const std::string &text) {
  char path[] = "/tmp/fuzz-graph-answer-ca-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0)
    fuzz::fail("cannot create the CA file");
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

struct World {
  http_test::TestPki pki = http_test::TestPki::generate();
  Script script;
  http_test::TestServer server{
      {.tls = true, .identity = &pki.localhost},
      [this](const http_test::ReceivedRequest &) { return script.answer(); }};
  std::string ca_file = write_temp_file(pki.ca_pem);
  autohost::test::FakeHost host;
  std::unique_ptr<autohost::PluginInstance> plugin;
  std::string account_record;

  World() {
    account_record = fuzz::account_record(host.now_ms);
    // Short waits: container polling and publish pacing end after a few requests.
    const std::string wait = R"({"first_check_s":0,"interval_s":0.001,"budget_s":0.005,)"
                             R"("publish_budget_s":0.005})";
    const std::string base = "https://localhost:" + std::to_string(server.port());
    const std::string config = R"({"graph_base_url":")" + base + R"(","oauth_base_url":")" + base +
                               R"(","ca_file":")" + ca_file +
                               R"(","request_timeout_s":2,"max_retry_wait_s":0,)"
                               R"("container_wait":{"text":)" +
                               wait + R"(,"image":)" + wait + R"(,"video":)" + wait + "}}";
    auto created = threads::ThreadsPlugin::create(host.services(), config);
    if (!created)
      fuzz::fail("the plugin does not start", created.error().body);
    plugin = std::move(created).value();
  }
  ~World() { ::unlink(ca_file.c_str()); }
};

// Ends a call that keeps going (retries, polling) after a bounded number of checks.
std::atomic<int> checks_left{0};
int cancel_after_some_checks(void *) { return checks_left.fetch_sub(1) <= 0 ? 1 : 0; }

// Ids reach scripts as strings, whatever the server sent (issue: `1e400` printed Infinity).
void require_string_ids(const boost::json::value &v, const std::string &what) {
  if (const auto *o = v.if_object()) {
    for (const auto &[key, value] : *o) {
      if (key == "id" || (key.size() > 3 && key.ends_with("_id")))
        fuzz::require(value.is_string() || value.is_null(), what + ": an id is not a string",
                      boost::json::serialize(v));
      require_string_ids(value, what);
    }
  } else if (const auto *a = v.if_array()) {
    for (const auto &item : *a)
      require_string_ids(item, what);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  static World world;
  if (size < 2)
    return 0;
  const Call call = calls[data[0] % calls.size()];
  const std::string_view answers = fuzz::text_of(data + 2, size - 2);
  {
    std::lock_guard lock(world.script.mutex);
    world.script.status = statuses[data[1] % statuses.size()];
    world.script.bodies.clear();
    world.script.next = 0;
    std::size_t start = 0;
    while (true) {
      const std::size_t end = answers.find('\x1e', start);
      world.script.bodies.emplace_back(answers.substr(start, end - start));
      if (end == std::string_view::npos)
        break;
      start = end + 1;
    }
  }
  world.host.secrets.clear();
  world.host.logs.clear();
  world.host.secrets[threads::auth::account_key("fuzz")] = {world.account_record, 1};
  world.host.secrets[threads::auth::app_key("default")] = {
      R"({"app_id":"123","app_secret":"fuzzAPPsecret0123456789","redirect_uri":)"
      R"("https://example.com/cb"})",
      1};
  checks_left = 200;

  ah_call_context context{};
  context.struct_size = sizeof context;
  context.account = autohost::to_ah("fuzz");
  context.idempotency_key = autohost::to_ah("fuzz-run-1");
  context.is_cancelled = &cancel_after_some_checks;
  auto result = world.plugin->invoke(call.action, call.input, autohost::CallContext(&context));

  const std::string what = "action " + std::string(call.action);
  const bool answer_has_secret = answers.find(token) != std::string_view::npos ||
                                 answers.find("fuzzAPPsecret") != std::string_view::npos;
  if (result) {
    const auto output = fuzz::must_parse(*result, what + " output");
    require_string_ids(output, what);
  } else {
    fuzz::require_clean_error(result.error(), what);
  }
  if (answer_has_secret)
    return 0;
  const std::string_view shown = result ? std::string_view(*result) : result.error().body;
  for (const std::string_view secret : {token, std::string_view("fuzzAPPsecret")}) {
    fuzz::require(shown.find(secret) == std::string_view::npos, what + ": a secret is shown",
                  shown);
    for (const auto &[level, line] : world.host.logs)
      fuzz::require(line.find(secret) == std::string::npos, what + ": a secret is in a log line",
                    line);
  }
  return 0;
}
