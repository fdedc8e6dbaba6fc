// Compiles Asio, Asio SSL and Beast once (BOOST_*_SEPARATE_COMPILATION in meson.build).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
