// One HTTP exchange as the endpoints see it, free of Beast types so endpoint code compiles fast.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace sandbox {

struct Request {
  std::string method;        // upper case, e.g. "GET"
  std::string target;        // as sent: path and query
  std::string host;          // the Host header; absolute paging URLs are built from it
  std::string authorization; // the Authorization header, empty when absent
  std::string content_type;
  std::string body;
};

// How the server delivers a reply; anything but `normal` simulates a broken server.
enum class Delivery {
  normal,
  reset,     // close the TCP connection with a RST, send nothing
  stall,     // send nothing for `stall_for`, then close
  truncated, // announce the full Content-Length, send part of the body, then close
  delayed,   // send the answer after `stall_for`
};

struct Reply {
  unsigned status = 200;
  std::string content_type = "application/json; charset=UTF-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Delivery delivery = Delivery::normal;
  std::chrono::seconds stall_for{0};
};

} // namespace sandbox
