// The floor of a durable refresh sweep: what the prescribed stack, SQLite and libsodium reach
// doing the least a refresh needs, with nothing of autohost. For each account: its sealed
// record read, opened and parsed, a claim written back (sealed) and committed before the
// request, the refresh request, and the new token written back (sealed) and committed before
// the sweep ends; commits take up to 256 accounts (synchronous=FULL, WAL), as the plugin's
// do. One thread runs every connection (Boost.Beast over Asio and OpenSSL, each answer parsed
// with Boost.JSON); the calling thread claims the next chunk while the requests of the one
// before are in flight, and stores their answers. The read and the claim share one write
// transaction a chunk (the plugin reads before it claims, through the host's store).
//
//   durable-refresh HOST PORT CA_FILE TOKENS_FILE STORE_FILE [CONNECTIONS]
//
// TOKENS_FILE holds one token a line (an account each). STORE_FILE is created (replaced).
// Prints {"calls": N, "calls_per_s": R, "sweep_cpu_us": C} for the sweep alone, from its
// first connection (the store's set-up is not counted; C is the process's CPU a refresh);
// exits non-zero on the first failure.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

namespace {

constexpr std::size_t chunk_size = 256;
using Stream = beast::ssl_stream<beast::tcp_stream>;

// --- the store: one table of sealed, versioned records -----------------------------------
class Store {
public:
  explicit Store(const std::string &file) {
    std::filesystem::remove(file);
    std::filesystem::remove(file + "-wal");
    std::filesystem::remove(file + "-shm");
    check(sqlite3_open(file.c_str(), &db_));
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec("CREATE TABLE secrets (key TEXT PRIMARY KEY, version INTEGER NOT NULL, "
         "sealed BLOB NOT NULL)");
    randombytes_buf(key_, sizeof key_);
    select_ = prepare("SELECT version, sealed FROM secrets WHERE key = ?1");
    update_ =
        prepare("UPDATE secrets SET version = ?2, sealed = ?3 WHERE key = ?1 AND version = ?4");
    insert_ = prepare("INSERT INTO secrets (key, version, sealed) VALUES (?1, 1, ?2)");
  }
  ~Store() {
    for (sqlite3_stmt *s : {select_, update_, insert_})
      sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  void exec(const char *sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr)); }

  void insert(const std::string &key, const std::string &value) {
    bind_text(insert_, 1, key);
    bind_blob(insert_, 2, seal(value, key, 1));
    step_done(insert_);
  }
  // The record and its version.
  std::pair<std::string, std::int64_t> read(const std::string &key) {
    bind_text(select_, 1, key);
    if (sqlite3_step(select_) != SQLITE_ROW)
      throw std::runtime_error("no record " + key);
    const std::int64_t version = sqlite3_column_int64(select_, 0);
    const auto *sealed = static_cast<const unsigned char *>(sqlite3_column_blob(select_, 1));
    std::string plain = open(sealed, sqlite3_column_bytes(select_, 1), key, version);
    sqlite3_reset(select_);
    return {std::move(plain), version};
  }
  // Compare-and-set: written only over `version`; the new version.
  std::int64_t write(const std::string &key, const std::string &value, std::int64_t version) {
    bind_text(update_, 1, key);
    sqlite3_bind_int64(update_, 2, version + 1);
    bind_blob(update_, 3, seal(value, key, version + 1));
    sqlite3_bind_int64(update_, 4, version);
    step_done(update_);
    if (sqlite3_changes(db_) != 1)
      throw std::runtime_error("conflict writing " + key);
    return version + 1;
  }

private:
  static std::string binding(const std::string &key, std::int64_t version) {
    return key + '\0' + std::to_string(version);
  }
  std::string seal(const std::string &plain, const std::string &key, std::int64_t version) {
    const std::string ad = binding(key, version);
    std::string out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
                        crypto_aead_xchacha20poly1305_ietf_ABYTES,
                    '\0');
    auto *nonce = reinterpret_cast<unsigned char *>(out.data());
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long written = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
        reinterpret_cast<const unsigned char *>(plain.data()), plain.size(),
        reinterpret_cast<const unsigned char *>(ad.data()), ad.size(), nullptr, nonce, key_);
    return out;
  }
  std::string open(const unsigned char *sealed, int size, const std::string &key,
                   std::int64_t version) {
    constexpr int overhead =
        crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    const std::string ad = binding(key, version);
    std::string plain(size > overhead ? size - overhead : 0, '\0');
    unsigned long long written = 0;
    if (size < overhead ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(
            reinterpret_cast<unsigned char *>(plain.data()), &written, nullptr,
            sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            size - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            reinterpret_cast<const unsigned char *>(ad.data()), ad.size(), sealed, key_) != 0)
      throw std::runtime_error("record " + key + " does not open");
    return plain;
  }
  sqlite3_stmt *prepare(const char *sql) {
    sqlite3_stmt *s = nullptr;
    check(sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr));
    return s;
  }
  static void bind_text(sqlite3_stmt *s, int i, const std::string &v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  static void bind_blob(sqlite3_stmt *s, int i, const std::string &v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void step_done(sqlite3_stmt *s) {
    const int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
      check(rc);
  }
  void check(int rc) const {
    if (rc != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }

  sqlite3 *db_ = nullptr;
  sqlite3_stmt *select_ = nullptr, *update_ = nullptr, *insert_ = nullptr;
  unsigned char key_[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
};

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval &t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// A record with the fields the plugin keeps for an account.
std::string first_record(const std::string &token, std::size_t i) {
  const std::int64_t issued = now_ms() - 31LL * 86'400'000;
  // The members of the plugin's account record, with the 11 scopes the sandbox grants every
  // token (as the benchmark's imported accounts carry them): the same bytes to seal and store.
  json::array scopes{"threads_basic",
                     "threads_content_publish",
                     "threads_manage_replies",
                     "threads_read_replies",
                     "threads_manage_insights",
                     "threads_keyword_search",
                     "threads_manage_mentions",
                     "threads_delete",
                     "threads_location_tagging",
                     "threads_profile_discovery",
                     "threads_share_to_instagram"};
  json::object r{{"app", "default"},
                 {"user_id", std::to_string(17841400000000000ULL + i)},
                 {"username", "threadsapitestuser"},
                 {"access_token", token},
                 {"kind", "long"},
                 {"scopes", std::move(scopes)},
                 {"scopes_checked_at_ms", issued},
                 {"issued_at_ms", issued},
                 {"expires_at_ms", issued + 60LL * 86'400'000},
                 {"status", "active"},
                 {"last_refresh_attempt_ms", 0},
                 {"last_refresh_error", ""},
                 {"last_refresh_ms", 0},
                 {"previous_token", ""},
                 {"previous_expires_at_ms", 0},
                 {"refresh_claimant", ""},
                 {"refresh_claim_ms", 0}};
  return json::serialize(r);
}

// --- the accounts in flight ---------------------------------------------------------------
struct Account {
  std::string key;
  json::object record;
  std::int64_t version = 0;
  std::string target; // the refresh request's target
  std::string new_token;
  std::int64_t expires_in = 0;
};

struct Answers {
  std::mutex mutex;
  std::condition_variable ready;
  std::size_t answered = 0; // accounts answered so far, in any order
  std::exception_ptr failed;
};

// The I/O thread's side: requests waiting, and the connections that take them.
struct Requests {
  explicit Requests(net::io_context &io) : wake(io, net::steady_timer::time_point::max()) {}
  std::deque<Account *> waiting;
  bool finished = false;
  net::steady_timer wake;
};

net::awaitable<void> connection(Stream &stream, const std::string &host, Requests &requests,
                                Answers &answers) {
  beast::flat_buffer buffer;
  for (;;) {
    if (requests.waiting.empty()) {
      if (requests.finished)
        co_return;
      co_await requests.wake.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    Account *account = requests.waiting.front();
    requests.waiting.pop_front();
    http::request<http::empty_body> request{http::verb::get, account->target, 11};
    request.set(http::field::host, host);
    co_await http::async_write(stream, request, net::use_awaitable);
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response, net::use_awaitable);
    if (response.result() != http::status::ok)
      throw std::runtime_error("status " + std::to_string(response.result_int()));
    const json::value answer = json::parse(response.body());
    account->new_token = json::value_to<std::string>(answer.at("access_token"));
    account->expires_in = answer.at("expires_in").to_number<std::int64_t>();
    {
      std::lock_guard lock(answers.mutex);
      ++answers.answered;
    }
    answers.ready.notify_one();
  }
}

std::unique_ptr<Stream> open_stream(net::io_context &io, net::ssl::context &tls,
                                    const std::string &host, const char *port) {
  auto stream = std::make_unique<Stream>(io, tls);
  SSL_set_tlsext_host_name(stream->native_handle(), host.c_str());
  net::ip::tcp::resolver resolver(io);
  beast::get_lowest_layer(*stream).connect(resolver.resolve(host, port));
  beast::get_lowest_layer(*stream).socket().set_option(net::ip::tcp::no_delay(true));
  stream->handshake(net::ssl::stream_base::client);
  return stream;
}

// Reads, opens and claims a chunk's accounts in one transaction, committed before any of
// their requests is sent.
void claim(Store &store, std::vector<Account> &chunk) {
  store.exec("BEGIN IMMEDIATE");
  const std::int64_t now = now_ms();
  for (Account &a : chunk) {
    auto [plain, version] = store.read(a.key);
    a.record = json::parse(plain).as_object();
    a.record["refresh_claimant"] = "r-0123456789abcdef";
    a.record["refresh_claim_ms"] = now;
    a.record["last_refresh_attempt_ms"] = now;
    a.version = store.write(a.key, json::serialize(a.record), version);
    a.target = "/refresh_access_token?grant_type=th_refresh_token&access_token=" +
               json::value_to<std::string>(a.record["access_token"]);
  }
  store.exec("COMMIT");
}

// Writes the chunk's new tokens in one transaction.
void store_answers(Store &store, std::vector<Account> &chunk) {
  store.exec("BEGIN IMMEDIATE");
  const std::int64_t now = now_ms();
  for (Account &a : chunk) {
    a.record["previous_token"] = a.record["access_token"];
    a.record["previous_expires_at_ms"] = a.record["expires_at_ms"];
    a.record["access_token"] = a.new_token;
    a.record["issued_at_ms"] = now;
    a.record["expires_at_ms"] = now + a.expires_in * 1000;
    a.record["last_refresh_ms"] = now;
    a.record["refresh_claimant"] = "";
    a.record["refresh_claim_ms"] = 0;
    store.write(a.key, json::serialize(a.record), a.version);
  }
  store.exec("COMMIT");
}

} // namespace

int main(int argc, char **argv) try {
  if (argc < 6 || argc > 7) {
    std::cerr << "usage: durable-refresh HOST PORT CA_FILE TOKENS_FILE STORE_FILE [CONNECTIONS]\n";
    return 2;
  }
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  const std::string host = argv[1];
  const long connections = argc == 7 ? std::stol(argv[6]) : 16;
  std::vector<std::string> tokens;
  std::ifstream in(argv[4]);
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      tokens.push_back(line);
  if (tokens.empty())
    throw std::runtime_error(std::string("no tokens in ") + argv[4]);

  Store store(argv[5]);
  store.exec("BEGIN");
  for (std::size_t i = 0; i < tokens.size(); ++i)
    store.insert("threads/accounts/a" + std::to_string(i), first_record(tokens[i], i));
  store.exec("COMMIT");
  // Swept in name order, as the plugin lists accounts: not the order they were stored in.
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < tokens.size(); ++i)
    keys.push_back("threads/accounts/a" + std::to_string(i));
  std::sort(keys.begin(), keys.end());
  std::vector<std::vector<Account>> chunks;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i % chunk_size == 0)
      chunks.emplace_back().reserve(chunk_size);
    chunks.back().push_back(Account{keys[i], {}, 0, {}, {}, 0});
  }

  // The sweep starts here: connecting (16 TLS handshakes) is part of it, as in the plugin.
  const double cpu_before = cpu_seconds();
  const auto started = std::chrono::steady_clock::now();
  net::io_context io(1);
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.load_verify_file(argv[3]);
  tls.set_verify_mode(net::ssl::verify_peer);
  std::vector<std::unique_ptr<Stream>> streams;
  for (long i = 0; i < connections; ++i)
    streams.push_back(open_stream(io, tls, host, argv[2]));
  Requests requests(io);
  Answers answers;
  for (auto &stream : streams) {
    net::co_spawn(io, connection(*stream, host, requests, answers), [&](std::exception_ptr e) {
      if (e) {
        std::lock_guard lock(answers.mutex);
        answers.failed = e;
        answers.ready.notify_one();
      }
    });
  }
  auto work = net::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });

  auto send = [&](std::vector<Account> &chunk) {
    net::post(io, [&requests, &chunk] {
      for (Account &a : chunk)
        requests.waiting.push_back(&a);
      requests.wake.cancel();
    });
  };
  auto wait_for = [&](std::size_t answered) {
    std::unique_lock lock(answers.mutex);
    answers.ready.wait(lock, [&] { return answers.failed || answers.answered >= answered; });
    if (answers.failed)
      std::rethrow_exception(answers.failed);
  };
  try {
    std::size_t sent = 0;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      claim(store, chunks[c]); // while the chunk before is in flight
      send(chunks[c]);
      sent += chunks[c].size();
      if (c > 0) {
        wait_for(sent - chunks[c].size());
        store_answers(store, chunks[c - 1]);
      }
    }
    wait_for(sent);
    store_answers(store, chunks.back());
  } catch (...) {
    io.stop();
    io_thread.join();
    throw;
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  const double cpu = cpu_seconds() - cpu_before;

  net::post(io, [&requests] {
    requests.finished = true;
    requests.wake.cancel();
  });
  work.reset();
  io_thread.join();
  std::printf("{\"calls\": %zu, \"calls_per_s\": %.1f, \"sweep_cpu_us\": %.1f}\n", tokens.size(),
              static_cast<double>(tokens.size()) / took.count(),
              cpu / static_cast<double>(tokens.size()) * 1e6);
  return 0;
} catch (const std::exception &e) {
  std::cerr << "durable-refresh: " << e.what() << "\n";
  return 1;
}
