// Graph answers passed on as action output: ids as strings, numbers printed plainly, never a
// number JSON cannot hold.
#pragma once

#include <autohost/result.hpp>

#include <boost/json/fwd.hpp>

#include <string>
#include <string_view>

namespace threads::graph {

// `answer` as JSON text for an action's output. Every "id" and "*_id" member that is a whole
// number becomes its digits as a string (ids are strings in every output); an id that is
// another number (1.5, or 1e400, which the parser cannot keep) and any non-finite number
// is an error (AH_INTERNAL, code "bad_answer") naming `action` and where it is
// ("data[0].id"). Other numbers print plainly: 30, 0.1, 1e+22, never 3E1.
autohost::Result<std::string> answer_json(const boost::json::value &answer,
                                          std::string_view action);

} // namespace threads::graph
