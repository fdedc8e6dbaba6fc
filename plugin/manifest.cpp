// The manifest text: every action the plugin really serves, with input/output JSON Schemas.
#include "manifest.hpp"

namespace threads {

const char manifest_json[] = R"json({
  "name": "threads",
  "version": ")json" AH_PLUGIN_VERSION R"json(",
  "description": "Meta Threads API: post and read actions, token refresh job",
  "config_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "graph_base_url": {"type": "string", "default": "https://graph.threads.net"},
      "api_version": {"type": "string", "pattern": "^v[0-9]+\\.[0-9]+$", "default": "v1.0"},
      "oauth_base_url": {"type": "string", "default": "https://threads.net"},
      "token_placement": {"enum": ["header", "query"], "default": "header"},
      "ca_file": {"type": "string"}
    }
  },
  "actions": [
    {
      "name": "info",
      "description": "The plugin's version, effective configuration and stored accounts",
      "input_schema": {"type": "object", "additionalProperties": false, "properties": {}},
      "output_schema": {
        "type": "object",
        "required": ["plugin", "version", "abi", "config", "accounts"],
        "properties": {
          "plugin": {"type": "string"},
          "version": {"type": "string"},
          "abi": {"type": "string"},
          "config": {"type": "object"},
          "accounts": {"type": "array", "items": {"type": "string"}}
        }
      }
    }
  ],
  "jobs": []
})json";

} // namespace threads
