#pragma once

#include <string>

#include "api/console_assets.h"
#include "api/router.h"

namespace streamhost::api {

/// The Content-Security-Policy of every console answer: scripts, styles and
/// API calls from this origin only, no inline code, no framing.
extern const char* const kConsoleCsp;

struct ConsoleDeps {
  /// Null when the assets could not be read: /console/ then answers 503 with `unavailable_why`.
  ConsoleAssetsPtr assets;
  std::string unavailable_why;
};

/// GET /console (redirect) and GET /console/{*path}: the web console's static
/// files. Public: the console holds no data, it calls the API with the user's key.
void addConsoleRoutes(Router& router, ConsoleDeps deps);

}  // namespace streamhost::api
