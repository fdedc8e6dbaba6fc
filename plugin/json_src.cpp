// Compiles Boost.JSON into the plugin once, so the plugin needs no Boost shared library.
#include <boost/json/src.hpp>
