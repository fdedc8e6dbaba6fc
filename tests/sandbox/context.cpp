// Parameter access and the JSON reply helper shared by all endpoints.
#include "context.hpp"

#include <boost/json.hpp>

namespace sandbox {

std::string_view Context::param(std::string_view key) const {
  const auto it = params.find(key);
  return it == params.end() ? std::string_view{} : std::string_view{it->second};
}

bool Context::has_param(std::string_view key) const { return params.find(key) != params.end(); }

Reply json_reply(const boost::json::value &body, unsigned status) {
  Reply reply;
  reply.status = status;
  reply.body = boost::json::serialize(body);
  return reply;
}

} // namespace sandbox
