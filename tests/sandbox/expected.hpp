// Expected<T, E>: a value or an error, for the sandbox's expected failures (C++20 has no
// std::expected).
#pragma once

#include <utility>
#include <variant>

namespace sandbox {

template <class E> struct Unexpected { E error; };

template <class E> Unexpected<E> unexpected(E error) { return Unexpected<E>{std::move(error)}; }

template <class T, class E> class Expected {
public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  // Any Unexpected<G> whose G builds an E, so `unexpected("text")` works for string errors.
  template <class G>
  Expected(Unexpected<G> failure) : v_(std::in_place_index<1>, std::move(failure.error)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T &operator*() { return std::get<0>(v_); }
  const T &operator*() const { return std::get<0>(v_); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }

  E &error() { return std::get<1>(v_); }
  const E &error() const { return std::get<1>(v_); }

private:
  std::variant<T, E> v_;
};

} // namespace sandbox
