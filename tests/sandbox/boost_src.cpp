// Compiles Boost.JSON and Boost.URL into the sandbox once, so it links no Boost library.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
