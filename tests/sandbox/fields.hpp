// The `fields` parameter, with {...} expansion, and projecting full JSON objects onto it.
#pragma once

#include "expected.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sandbox {

struct FieldSpec {
  std::string name;
  std::vector<FieldSpec> sub; // `name{a,b}`; empty when not expanded
};

// Parses "id,text,children{id,media_type},poll_attachment{option_a}". Graph modifiers such
// as `.limit(5)` are accepted and ignored. The error says what is malformed.
Expected<std::vector<FieldSpec>, std::string> parse_fields(std::string_view text);

// Keeps the requested fields of `full`, in request order, leaving out those without a value.
// Unexpanded edges (objects with an id, {"data":[...]} lists) keep only their ids, as Graph
// does. The error is the first requested name that is not in `known`.
Expected<boost::json::object, std::string> project(const boost::json::object &full,
                                                   const std::vector<FieldSpec> &fields,
                                                   const std::vector<std::string_view> &known);

} // namespace sandbox
