// The http plugin's status page (GET /): one self-contained HTML document that renders /status.
#pragma once

#include <string_view>

namespace fsrelay::http {

// HTML with inline CSS and JS and no external assets; it fetches /status every 2 s.
std::string_view statusPageHtml();

// The Content-Security-Policy the page is served with: inline code only, fetches to this origin only.
std::string_view statusPageCsp();

}  // namespace fsrelay::http
