// Compiles Boost.URL into the HTTP layer once, so the plugin needs no Boost shared library.
// Other plugin layers that use Boost.URL get it through threads_http_dep; compiling it again
// elsewhere in the plugin would define its symbols twice.
#include <boost/url/src.hpp>
