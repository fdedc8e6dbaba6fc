// threads-sandbox: start-up (arguments, certificates, listener), the ready line, and shutdown.
#include "https_server.hpp"
#include "options.hpp"
#include "router.hpp"
#include "sandbox.hpp"
#include "tls_identity.hpp"

#include <boost/json.hpp>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

namespace fs = std::filesystem;

// Written next to the final name and renamed, so a reader never sees half a file.
bool write_file(const fs::path &path, const std::string &text, std::string &error) {
  const fs::path temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
      error = "cannot write " + temp.string();
      return false;
    }
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    error = "cannot rename " + temp.string() + ": " + ec.message();
    return false;
  }
  return true;
}

int fail(const std::string &message, int status) {
  std::cerr << "threads-sandbox: " << message << "\n";
  return status;
}

int run(int argc, char **argv) {
  using namespace sandbox;
  // A client vanishing mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  auto options = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!options) {
    std::cerr << "threads-sandbox: " << options.error() << "\n" << usage();
    return 2;
  }
  if (options->help) {
    std::cout << usage();
    return 0;
  }

  std::error_code ec;
  fs::create_directories(options->state_dir, ec);
  const fs::path dir = fs::absolute(options->state_dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return fail("cannot use state directory '" + options->state_dir + "'", 1);
  }
  auto identity = generate_tls_identity(options->server_name);
  if (!identity) {
    return fail(identity.error(), 1);
  }
  const fs::path ca_file = dir / "ca.pem";
  std::string error;
  if (!write_file(ca_file, identity->ca_pem, error)) {
    return fail(error, 1);
  }

  Sandbox sandbox(StartSettings{options->apps, options->revoke_on_refresh});
  Router router(sandbox);
  HttpsServer server(
      options->listen_host, options->listen_port, *identity,
      [&router](const Request &request) { return router.handle(request); }, options->threads);
  const std::string host = options->listen_host == "0.0.0.0" ? std::string("127.0.0.1")
                           : options->listen_host == "::"    ? std::string("[::1]")
                           : options->listen_host.find(':') != std::string::npos
                               ? "[" + options->listen_host + "]"
                               : options->listen_host;
  const boost::json::object ready{
      {"port", server.port()},
      {"ca_file", ca_file.string()},
      {"base_url", "https://" + host + ":" + std::to_string(server.port())}};
  std::cout << boost::json::serialize(ready) << std::endl; // endl: the reader waits for it
  server.run();
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception &e) {
    // Cannot listen, out of memory, ...: say what and stop.
    return fail(e.what(), 1);
  }
}
