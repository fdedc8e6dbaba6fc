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

// The members a record is read from, and where each one's value goes.
struct Member {
  enum class Slot { text, number, kind, status, scopes };
  std::string_view name;
  Slot slot;
  std::string TokenRecord::*text = nullptr;
  std::int64_t TokenRecord::*number = nullptr;
};

constexpr Member text_member(std::string_view name, std::string TokenRecord::*field) {
  return {name, Member::Slot::text, field, nullptr};
}
constexpr Member number_member(std::string_view name, std::int64_t TokenRecord::*field) {
  return {name, Member::Slot::number, nullptr, field};
}

constexpr std::array members{
    text_member("app", &TokenRecord::app),
    text_member("user_id", &TokenRecord::user_id),
    text_member("username", &TokenRecord::username),
    text_member("access_token", &TokenRecord::access_token),
    text_member("last_refresh_error", &TokenRecord::last_refresh_error),
    text_member("previous_token", &TokenRecord::previous_token),
    text_member("refresh_claimant", &TokenRecord::refresh_claimant),
    Member{"kind", Member::Slot::kind},
    Member{"status", Member::Slot::status},
    Member{"scopes", Member::Slot::scopes},
    number_member("issued_at_ms", &TokenRecord::issued_at_ms),
    number_member("expires_at_ms", &TokenRecord::expires_at_ms),
    number_member("last_refresh_attempt_ms", &TokenRecord::last_refresh_attempt_ms),
    number_member("previous_expires_at_ms", &TokenRecord::previous_expires_at_ms),
    number_member("last_refresh_ms", &TokenRecord::last_refresh_ms),
    number_member("refresh_claim_ms", &TokenRecord::refresh_claim_ms),
    number_member("scopes_checked_at_ms", &TokenRecord::scopes_checked_at_ms),
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

  // Room for every scope Threads has, so that the list grows once.
  static constexpr std::size_t expected_scopes = 16;

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
    const bool scopes = depth_ == 1 && member_ != nullptr && member_->slot == Member::Slot::scopes;
    if (scopes) {
      fields_.record.scopes.reserve(expected_scopes);
    }
    enter(scopes);
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
      member_ = key_too_long_ ? nullptr : member_named(std::string_view(key_.data(), key_size_));
      key_size_ = 0;
      key_too_long_ = false;
      forget_member();
    }
    return true;
  }

  // A value's text goes straight into its field, which its key emptied (forget_member).
  bool on_string_part(std::string_view part, std::size_t, boost::system::error_code &ec) {
    if (depth_ == 0) {
      return refuse(ec);
    }
    if (std::string *out = string_target(); out != nullptr) {
      out->append(part);
    }
    return true;
  }
  bool on_string(std::string_view part, std::size_t size, boost::system::error_code &ec) {
    if (!on_string_part(part, size, ec)) {
      return false;
    }
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
  static const Member *member_named(std::string_view key) {
    for (const Member &member : members) {
      if (member.name == key) {
        return &member;
      }
    }
    return nullptr;
  }

  // A member named again replaces what an earlier one gave, even by a value of the wrong
  // type (which leaves the field empty), as when the last of equal keys won in a document.
  void forget_member() {
    if (std::string *text = string_target(); text != nullptr) {
      text->clear();
    } else if (std::int64_t *number = number_target(); number != nullptr) {
      *number = 0;
    } else if (member_ != nullptr && member_->slot == Member::Slot::scopes) {
      fields_.record.scopes.clear();
    }
  }

  // The string the current value goes to, if it is one the record keeps.
  std::string *string_target() {
    if (depth_ == 2 && in_scopes_) {
      return &scope_;
    }
    if (depth_ != 1 || member_ == nullptr) {
      return nullptr;
    }
    switch (member_->slot) {
    case Member::Slot::text:
      return &(fields_.record.*member_->text);
    case Member::Slot::kind:
      return &fields_.kind;
    case Member::Slot::status:
      return &fields_.status;
    default:
      return nullptr;
    }
  }

  std::int64_t *number_target() {
    if (depth_ != 1 || member_ == nullptr || member_->slot != Member::Slot::number) {
      return nullptr;
    }
    return &(fields_.record.*member_->number);
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
  const Member *member_ = nullptr; // the depth-1 member being read; nullptr: one skipped
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
