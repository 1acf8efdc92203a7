/// @file plugin_sdk.hpp
/// @brief Optional header-only C++20 helpers over plugin_abi.h.
///
/// A source type is a class derived from streamhost::sdk::Source with a few
/// static members; a plugin is a struct naming its types; one macro exports
/// it. Every callback is wrapped so that no exception crosses the C boundary:
/// an sdk::Error becomes its status code and message, anything else becomes
/// SH_ERR_INTERNAL with the exception's text.
///
/// @code
/// class Ticker : public streamhost::sdk::Source {
///  public:
///   static constexpr const char* kName = "ticker";
///   static constexpr const char* kDescription = "Counts.";
///   static constexpr uint32_t kFlags = SH_CAP_PAUSE;
///   static constexpr const char* kConnectionType = nullptr;
///   static std::span<const sh_config_key_t> configKeys();
///   static void validate(const streamhost::sdk::Host& config);   // optional
///   Ticker(streamhost::sdk::Host host, const sh_create_args_t& args);
///   void start(std::string_view offset) override;
///   void poll(streamhost::sdk::Sink& sink, uint32_t max, int32_t timeout_ms) override;
/// };
/// struct TickerPlugin {
///   static constexpr const char* kName = "ticker";
///   static constexpr const char* kVersion = "1.0.0";
///   static constexpr const char* kDescription = "Example.";
///   using Sources = streamhost::sdk::List<Ticker>;
///   using Connections = streamhost::sdk::List<>;
/// };
/// STREAMHOST_DEFINE_PLUGIN(TickerPlugin)
/// @endcode
#pragma once

// The SDK by purpose; include this one header, or only the part you need.
#include <streamhost/sdk/core.hpp>    // errors, config keys, string views
#include <streamhost/sdk/utf8.hpp>    // UTF-8
#include <streamhost/sdk/json.hpp>    // the JSON reader and quoting
#include <streamhost/sdk/host.hpp>    // host services, emitter, push requests
#include <streamhost/sdk/source.hpp>  // Source, the trampolines, STREAMHOST_DEFINE_PLUGIN
