// Command-line parsing for threads-sandbox.
#include "options.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sandbox {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// HOST:PORT, [V6HOST]:PORT.
Expected<bool, std::string> read_listen(Options &options, std::string_view value) {
  const auto colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return unexpected("--listen expects HOST:PORT, e.g. 127.0.0.1:0 (got '" + std::string(value) +
                      "')");
  }
  std::string_view host = value.substr(0, colon);
  const std::string_view port_text = value.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return unexpected("--listen: '" + std::string(port_text) + "' is not a port number (0-65535)");
  }
  options.listen_host = host == "localhost" ? std::string("127.0.0.1") : std::string(host);
  options.listen_port = static_cast<unsigned short>(port);
  return true;
}

Expected<bool, std::string> read_app(Options &options, std::string_view value) {
  const auto colon = value.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == value.size()) {
    return unexpected("--app expects ID:SECRET (got '" + std::string(value) + "')");
  }
  const std::string id(value.substr(0, colon));
  if (!all_digits(id)) {
    return unexpected("--app: the app id must be digits, like a Threads app id (got '" + id + "')");
  }
  if (std::any_of(options.apps.begin(), options.apps.end(),
                  [&](const AppRecord &app) { return app.id == id; })) {
    return unexpected("--app: app id " + id + " is given twice");
  }
  options.apps.push_back({id, std::string(value.substr(colon + 1))});
  return true;
}

} // namespace

std::string usage() {
  return "usage: threads-sandbox --state-dir DIR [--listen HOST:PORT] [--app ID:SECRET]...\n"
         "                       [--server-name NAME] [--revoke-on-refresh] [--threads N]\n"
         "\n"
         "A local HTTPS stand-in for graph.threads.net. Writes DIR/ca.pem, then prints one\n"
         "JSON line {\"port\",\"ca_file\",\"base_url\"} on stdout when ready. SIGTERM/SIGINT stop "
         "it.\n"
         "  --listen HOST:PORT    address to serve on (default 127.0.0.1:0, a free port)\n"
         "  --state-dir DIR       where ca.pem goes (created if missing)\n"
         "  --app ID:SECRET       a Threads app (repeatable; default "
         "1000000000000001:sandbox-app-secret)\n"
         "  --server-name NAME    certify only NAME instead of localhost + 127.0.0.1\n"
         "  --revoke-on-refresh   refreshing a token invalidates the old one\n"
         "  --threads N           I/O threads (default 2)\n";
}

Expected<Options, std::string> parse_options(const std::vector<std::string> &args) {
  Options options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_inline_value = false;
    if (const auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const auto take_value = [&]() -> Expected<std::string, std::string> {
      if (has_inline_value) {
        return value;
      }
      if (i + 1 >= args.size()) {
        return unexpected(name + " needs a value");
      }
      return args[++i];
    };
    if (name == "--help" || name == "-h") {
      options.help = true;
    } else if (name == "--revoke-on-refresh") {
      options.revoke_on_refresh = true;
    } else if (name == "--listen" || name == "--state-dir" || name == "--app" ||
               name == "--server-name" || name == "--threads") {
      auto v = take_value();
      if (!v) {
        return unexpected(v.error());
      }
      if (name == "--listen") {
        if (auto r = read_listen(options, *v); !r) {
          return unexpected(r.error());
        }
      } else if (name == "--state-dir") {
        if (v->empty()) {
          return unexpected(std::string("--state-dir must not be empty"));
        }
        options.state_dir = *v;
      } else if (name == "--app") {
        if (auto r = read_app(options, *v); !r) {
          return unexpected(r.error());
        }
      } else if (name == "--server-name") {
        if (v->empty() || v->find_first_of(" ,/") != std::string::npos) {
          return unexpected("--server-name: '" + *v + "' is not a host name");
        }
        options.server_name = *v;
      } else {
        if (!all_digits(*v) || v->size() > 2 || std::stoi(*v) < 1) {
          return unexpected("--threads expects a number from 1 to 99 (got '" + *v + "')");
        }
        options.threads = static_cast<unsigned>(std::stoi(*v));
      }
    } else {
      return unexpected("unknown argument '" + args[i] + "'");
    }
  }
  if (!options.help && options.state_dir.empty()) {
    return unexpected(std::string("--state-dir DIR is required"));
  }
  return options;
}

} // namespace sandbox
