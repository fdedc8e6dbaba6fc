// Reading an account's token record: a streaming parse straight into the TokenRecord.
// Records are read on every call; building a JSON document first and looking each field up
// in it took a seventh of a read call's instructions.
#include "auth/token_record.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <array>
#include <cstring>
#include <limits>

namespace threads::auth {
namespace json = boost::json;
using autohost::Error;

namespace {

Error corrupt(std::string_view account, std::string_view what) {
  return Error::make(AH_INTERNAL, "the stored record of account '" + std::string(account) +
                                      "' is damaged (" + std::string(what) +
                                      "); import the token again");
}

// What a token record's JSON fills in: the record's own fields, and `kind` and `status` as
// text to check afterwards. Lenient as the record format has always been read: unknown
// members (whatever their value) are skipped, and a member of the wrong type is ignored.
struct Fields {
  TokenRecord &record;
  std::string &kind;
  std::string &status;
};

// basic_parser's handler. Depth 1 is the record's object; only its members count, and the
// strings directly inside its "scopes" array; deeper values belong to a member being
// skipped. A document that is not an object stops the parse.
class RecordHandler {
public:
  static constexpr std::size_t max_object_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_array_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_key_size = std::numeric_limits<std::size_t>::max();
  static constexpr std::size_t max_string_size = std::numeric_limits<std::size_t>::max();

  explicit RecordHandler(Fields fields) : fields_(fields) {}

  bool on_document_begin(boost::system::error_code &) { return true; }
  bool on_document_end(boost::system::error_code &) { return true; }

  bool on_object_begin(boost::system::error_code &) {
    enter(false);
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code &) { return leave(); }
  bool on_array_begin(boost::system::error_code &ec) {
    if (depth_ == 0) {
      return refuse(ec);
    }
    enter(depth_ == 1 && member_ == Member::scopes);
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code &) { return leave(); }

  bool on_key_part(std::string_view part, std::size_t, boost::system::error_code &) {
    if (depth_ == 1) {
      append_key(part);
    }
    return true;
  }
  bool on_key(std::string_view part, std::size_t, boost::system::error_code &) {
    if (depth_ == 1) {
      append_key(part);
      member_ =
          key_too_long_ ? Member::other : member_named(std::string_view(key_.data(), key_size_));
      key_size_ = 0;
      key_too_long_ = false;
      forget_member();
    }
    return true;
  }

  bool on_string_part(std::string_view part, std::size_t, boost::system::error_code &ec) {
    if (depth_ == 0) {
      return refuse(ec);
    }
    if (std::string *out = string_target(); out != nullptr) {
      if (!in_string_) {
        out->clear();
        in_string_ = true;
      }
      out->append(part);
    }
    return true;
  }
  bool on_string(std::string_view part, std::size_t size, boost::system::error_code &ec) {
    if (!on_string_part(part, size, ec)) {
      return false;
    }
    in_string_ = false;
    if (depth_ == 2 && in_scopes_) {
      fields_.record.scopes.push_back(std::move(scope_));
      scope_.clear();
    }
    return true;
  }

  bool on_number_part(std::string_view, boost::system::error_code &) { return true; }
  bool on_int64(std::int64_t value, std::string_view, boost::system::error_code &ec) {
    if (depth_ == 0) {
      return refuse(ec);
    }
    if (std::int64_t *out = number_target(); out != nullptr) {
      *out = value;
    }
    return true;
  }
  bool on_uint64(std::uint64_t, std::string_view, boost::system::error_code &ec) {
    return depth_ != 0 || refuse(ec); // above the int64 range: not a time, ignored
  }
  bool on_double(double, std::string_view, boost::system::error_code &ec) {
    return depth_ != 0 || refuse(ec);
  }
  bool on_bool(bool, boost::system::error_code &ec) { return depth_ != 0 || refuse(ec); }
  bool on_null(boost::system::error_code &ec) { return depth_ != 0 || refuse(ec); }
  bool on_comment_part(std::string_view, boost::system::error_code &) { return true; }
  bool on_comment(std::string_view, boost::system::error_code &) { return true; }

private:
  enum class Member {
    other,
    app,
    user_id,
    username,
    access_token,
    last_refresh_error,
    previous_token,
    refresh_claimant,
    kind,
    status,
    scopes,
    issued_at_ms,
    expires_at_ms,
    last_refresh_attempt_ms,
    previous_expires_at_ms,
    last_refresh_ms,
    refresh_claim_ms,
    scopes_checked_at_ms,
  };

  static Member member_named(std::string_view key) {
    static constexpr std::array<std::pair<std::string_view, Member>, 17> names{{
        {"app", Member::app},
        {"user_id", Member::user_id},
        {"username", Member::username},
        {"access_token", Member::access_token},
        {"last_refresh_error", Member::last_refresh_error},
        {"previous_token", Member::previous_token},
        {"refresh_claimant", Member::refresh_claimant},
        {"kind", Member::kind},
        {"status", Member::status},
        {"scopes", Member::scopes},
        {"issued_at_ms", Member::issued_at_ms},
        {"expires_at_ms", Member::expires_at_ms},
        {"last_refresh_attempt_ms", Member::last_refresh_attempt_ms},
        {"previous_expires_at_ms", Member::previous_expires_at_ms},
        {"last_refresh_ms", Member::last_refresh_ms},
        {"refresh_claim_ms", Member::refresh_claim_ms},
        {"scopes_checked_at_ms", Member::scopes_checked_at_ms},
    }};
    for (const auto &[name, member] : names) {
      if (name == key) {
        return member;
      }
    }
    return Member::other;
  }

  // A member named again replaces what an earlier one gave, even by a value of the wrong
  // type (which leaves the field empty), as when the last of equal keys won in a document.
  void forget_member() {
    if (std::string *text = string_target(); text != nullptr) {
      text->clear();
    } else if (std::int64_t *number = number_target(); number != nullptr) {
      *number = 0;
    } else if (member_ == Member::scopes) {
      fields_.record.scopes.clear();
    }
  }

  // The string the current value goes to, if it is one the record keeps.
  std::string *string_target() {
    if (depth_ == 2 && in_scopes_) {
      return &scope_;
    }
    if (depth_ != 1) {
      return nullptr;
    }
    TokenRecord &r = fields_.record;
    switch (member_) {
    case Member::app:
      return &r.app;
    case Member::user_id:
      return &r.user_id;
    case Member::username:
      return &r.username;
    case Member::access_token:
      return &r.access_token;
    case Member::last_refresh_error:
      return &r.last_refresh_error;
    case Member::previous_token:
      return &r.previous_token;
    case Member::refresh_claimant:
      return &r.refresh_claimant;
    case Member::kind:
      return &fields_.kind;
    case Member::status:
      return &fields_.status;
    default:
      return nullptr;
    }
  }

  std::int64_t *number_target() {
    if (depth_ != 1) {
      return nullptr;
    }
    TokenRecord &r = fields_.record;
    switch (member_) {
    case Member::issued_at_ms:
      return &r.issued_at_ms;
    case Member::expires_at_ms:
      return &r.expires_at_ms;
    case Member::last_refresh_attempt_ms:
      return &r.last_refresh_attempt_ms;
    case Member::previous_expires_at_ms:
      return &r.previous_expires_at_ms;
    case Member::last_refresh_ms:
      return &r.last_refresh_ms;
    case Member::refresh_claim_ms:
      return &r.refresh_claim_ms;
    case Member::scopes_checked_at_ms:
      return &r.scopes_checked_at_ms;
    default:
      return nullptr;
    }
  }

  void enter(bool scopes) {
    ++depth_;
    if (depth_ == 2) {
      in_scopes_ = scopes;
    }
  }
  bool leave() {
    if (depth_ == 2) {
      in_scopes_ = false;
    }
    --depth_;
    return true;
  }

  // A key longer than the buffer is longer than any member's name: it names none.
  void append_key(std::string_view part) {
    if (key_too_long_ || part.size() > key_.size() - key_size_) {
      key_too_long_ = true;
      return;
    }
    std::memcpy(key_.data() + key_size_, part.data(), part.size());
    key_size_ += part.size();
  }

  static bool refuse(boost::system::error_code &ec) {
    ec = json::error::syntax; // any error: the caller reports "not a JSON object"
    return false;
  }

  Fields fields_;
  int depth_ = 0;
  bool in_scopes_ = false;
  bool in_string_ = false;
  Member member_ = Member::other;
  std::array<char, 32> key_{};
  std::size_t key_size_ = 0;
  bool key_too_long_ = false;
  std::string scope_;
};

} // namespace

autohost::Result<TokenRecord> token_record_from_json(std::string_view account,
                                                     std::string_view text) {
  TokenRecord r;
  std::string kind, status;
  json::basic_parser<RecordHandler> parser(json::parse_options{}, Fields{r, kind, status});
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec || !parser.done() || used != text.size())
    return corrupt(account, "not a JSON object");
  if (r.access_token.empty())
    return corrupt(account, "no access_token");
  if (kind != "long" && kind != "short")
    return corrupt(account, "kind");
  r.kind = kind == "long" ? TokenKind::long_lived : TokenKind::short_lived;
  if (status != "active" && status != "needs_reauth")
    return corrupt(account, "status");
  r.status = status == "active" ? AccountStatus::active : AccountStatus::needs_reauth;
  return r;
}

} // namespace threads::auth
