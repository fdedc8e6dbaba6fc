// Reads the JSON-valued container parameters: poll_attachment, text_attachment,
// text_entities (spoilers) and gif_attachment. Part of container validation.
#pragma once

#include "context.hpp"
#include "expected.hpp"
#include "graph_errors.hpp"

namespace sandbox {

// Each fills its part of `content` from the parameter of the same name, or returns the
// Graph error (code 100 naming the parameter). The value is meaningless.
Expected<bool, GraphError> read_poll(PostContent &content, const Context &ctx);
Expected<bool, GraphError> read_text_attachment(PostContent &content, const Context &ctx);
// Needs content.text: spoiler ranges must lie inside it.
Expected<bool, GraphError> read_spoilers(PostContent &content, const Context &ctx);
Expected<bool, GraphError> read_gif(PostContent &content, const Context &ctx);

} // namespace sandbox
