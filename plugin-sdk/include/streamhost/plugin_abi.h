/**
 * @file plugin_abi.h
 * @brief streamhost connector plugin ABI, version 1.2.
 *
 * The only header a connector must include. Plain C11: a plugin written in C,
 * C++ or anything that can export a C symbol can implement it.
 *
 * Rules that hold for every declaration below:
 * - Every struct that crosses the boundary starts with `uint32_t struct_size`,
 *   set by whoever fills the struct to `sizeof` of the struct it was compiled
 *   against. Structs only grow at the end; a reader checks `struct_size`
 *   before it touches a field added in a later minor version.
 * - Arrays of structs (config keys, headers) are strided by the
 *   `struct_size` of their first element, so an older plugin's shorter
 *   elements are read correctly.
 * - Strings are `{data, len}` and need not be NUL-terminated, except the
 *   `const char*` fields of the static descriptors, which are NUL-terminated.
 * - Arguments are borrowed for the duration of the call unless a remark says
 *   otherwise. Whoever allocates, frees.
 * - Every fallible call returns an ::sh_status_t and writes a human sentence
 *   into a caller-supplied `errbuf` of `errbuf_size` bytes (always
 *   NUL-terminated, truncated when too long).
 * - No exceptions, longjmp or C++ types cross the boundary.
 *
 * Versions and compatibility (see docs/plugin-sdk.md):
 * - A plugin declares in ::sh_plugin_t::abi_version the oldest ABI it
 *   *requires*, not the header it was compiled with. The host refuses a
 *   different major or a required minor above its own, and names both.
 * - Anything added after 1.0 is marked `@since 1.N`. Before calling a function
 *   or reading a field of a table the other side filled, check its presence
 *   with ::SH_HAS_FIELD: an older host's or plugin's table is shorter.
 * - Names are only ever added; a renamed type keeps a deprecated alias. A
 *   plugin built against the 1.0 header loads unchanged in every 1.x host.
 */
#ifndef STREAMHOST_PLUGIN_ABI_H
#define STREAMHOST_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SH_PLUGIN_EXPORT __declspec(dllexport)
#else
#define SH_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** @name Versions
 * SH_ABI_VERSION is the version of this header (compile time). A plugin
 * declares the oldest version it needs in ::sh_plugin_t::abi_version:
 * define SH_ABI_TARGET_MINOR before including this header to say which minor
 * that is (default 0: every 1.x host), and use ::SH_ABI_REQUIRED. Use
 * ::sh_host_api_t::abi_version and ::SH_HAS_FIELD for run-time checks, never
 * these macros.
 * @{ */
#define SH_ABI_VERSION_MAJOR 1
#define SH_ABI_VERSION_MINOR 2
#define SH_ABI_MAKE_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | ((uint32_t)(minor) & 0xFFFFu)))
#define SH_ABI_VERSION SH_ABI_MAKE_VERSION(SH_ABI_VERSION_MAJOR, SH_ABI_VERSION_MINOR)
#define SH_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define SH_ABI_MINOR_OF(v) ((uint32_t)(v) & 0xFFFFu)
#ifndef SH_ABI_TARGET_MINOR
#define SH_ABI_TARGET_MINOR 0
#endif
#if SH_ABI_TARGET_MINOR > SH_ABI_VERSION_MINOR
#error "SH_ABI_TARGET_MINOR is above what this plugin_abi.h provides"
#endif
/** The version a plugin requires: ABI 1.SH_ABI_TARGET_MINOR. @since 1.1 */
#define SH_ABI_REQUIRED SH_ABI_MAKE_VERSION(SH_ABI_VERSION_MAJOR, SH_ABI_TARGET_MINOR)

/**
 * @brief Whether the struct at `ptr`, filled by the other side, is long enough
 * to hold `field` (and, for a function pointer, whether it is set:
 * test it for NULL too). @since 1.1
 */
#define SH_HAS_FIELD(ptr, type, field) \
  ((ptr) != NULL && (size_t)(ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))
/** @} */

/** Name of the single exported entry symbol, see ::sh_plugin_entry_fn. */
#define SH_PLUGIN_ENTRY_SYMBOL "streamhost_plugin_entry"

/** @name Status codes
 * 0 is success; negative codes come in ranges so a caller can decide what to
 * do with a code it does not know:
 * -1..-99 invalid input (not retried), -100..-199 transient (retried with
 * backoff), -200..-299 fatal for the instance, -300..-399 internal (a bug).
 * @{ */
typedef int32_t sh_status_t;
#define SH_OK 0
#define SH_ERR_INVALID_ARGUMENT (-1)  /**< a call was made with bad arguments */
#define SH_ERR_INVALID_CONFIG (-2)    /**< configuration rejected; a field is named */
#define SH_ERR_NOT_FOUND (-3)         /**< the named thing does not exist */
#define SH_ERR_UNSUPPORTED (-4)       /**< this type does not implement the call */
#define SH_ERR_INVALID_STATE (-5)     /**< the call is not allowed in this state */
#define SH_ERR_TRANSIENT (-100)       /**< retry later (network, server restart) */
#define SH_ERR_BACKPRESSURE (-101)    /**< the host cannot take more now */
#define SH_ERR_BUSY (-102)            /**< a resource is held by someone else */
#define SH_ERR_FATAL (-200)           /**< the instance cannot go on; needs a fix */
#define SH_ERR_INTERNAL (-300)        /**< a bug, e.g. an exception at the boundary */

/** @brief Symbolic name of a status code, for logs. @since 1.0 */
static inline const char* sh_status_name(sh_status_t s) {
  switch (s) {
    case SH_OK: return "SH_OK";
    case SH_ERR_INVALID_ARGUMENT: return "SH_ERR_INVALID_ARGUMENT";
    case SH_ERR_INVALID_CONFIG: return "SH_ERR_INVALID_CONFIG";
    case SH_ERR_NOT_FOUND: return "SH_ERR_NOT_FOUND";
    case SH_ERR_UNSUPPORTED: return "SH_ERR_UNSUPPORTED";
    case SH_ERR_INVALID_STATE: return "SH_ERR_INVALID_STATE";
    case SH_ERR_TRANSIENT: return "SH_ERR_TRANSIENT";
    case SH_ERR_BACKPRESSURE: return "SH_ERR_BACKPRESSURE";
    case SH_ERR_BUSY: return "SH_ERR_BUSY";
    case SH_ERR_FATAL: return "SH_ERR_FATAL";
    case SH_ERR_INTERNAL: return "SH_ERR_INTERNAL";
    default: break;
  }
  if (s <= -100 && s > -200) { return "SH_ERR_TRANSIENT_OTHER"; }
  if (s <= -200 && s > -300) { return "SH_ERR_FATAL_OTHER"; }
  if (s < 0 && s > -100) { return "SH_ERR_INVALID_OTHER"; }
  return "SH_ERR_UNKNOWN";
}

/** @brief Whether the host retries after this code (with capped backoff). @since 1.0 */
static inline int sh_status_is_retriable(sh_status_t s) { return s <= -100 && s > -200; }
/** @} */

/** @brief A borrowed string: `len` bytes at `data`, not necessarily NUL-terminated. */
typedef struct sh_str_t {
  const char* data;
  size_t len;
} sh_str_t;

/** @brief Borrowed bytes. */
typedef struct sh_bytes_t {
  const uint8_t* data;
  size_t len;
} sh_bytes_t;

/** @brief A name/value pair (HTTP header, record header). Arrays are strided by `struct_size`. */
typedef struct sh_header_t {
  uint32_t struct_size;
  sh_str_t name;
  sh_bytes_t value;
} sh_header_t;

/** @brief Host-owned context of one instance (or of one validation call). Opaque. */
typedef struct sh_host_ctx_t sh_host_ctx_t;
/** @brief Host-owned collector of the records of one poll or push call. Opaque. @since 1.1 */
typedef struct sh_emitter_t sh_emitter_t;
/** @deprecated 1.0 name of ::sh_emitter_t; "sink" now means a destination type. */
typedef sh_emitter_t sh_sink_t;
/** @brief Plugin-owned connector instance. Opaque to the host. */
typedef struct sh_connector_t sh_connector_t;

/** @name Log levels (int32_t) @{ */
#define SH_LOG_ERROR 0
#define SH_LOG_WARN 1
#define SH_LOG_INFO 2
#define SH_LOG_DEBUG 3
/** @} */

/** @name Record operations (::sh_record_t::op) @{ */
#define SH_OP_NONE 0       /**< not a change event (plain message) */
#define SH_OP_CREATE 'c'   /**< insert */
#define SH_OP_UPDATE 'u'
#define SH_OP_DELETE 'd'
#define SH_OP_READ 'r'     /**< row read by a snapshot */
#define SH_OP_TRUNCATE 't'
/** @} */

/** @name Record flags (::sh_record_t::flags) @since 1.1 @{ */
#define SH_REC_TX_BEGIN 0x1u   /**< first record of a source transaction */
#define SH_REC_TX_END 0x2u     /**< last record of a source transaction */
#define SH_REC_TOMBSTONE 0x4u  /**< the key was deleted; the value is empty */
/** @} */

/**
 * @brief One record handed to the host.
 * @remark Borrowed: the host copies what it keeps before ::sh_host_api_t::emit returns.
 * @since 1.0
 */
typedef struct sh_record_t {
  uint32_t struct_size;
  int32_t op;                  /**< one of SH_OP_* @since 1.0 */
  sh_bytes_t key;              /**< may be empty @since 1.0 */
  sh_bytes_t value;            /**< JSON where possible @since 1.0 */
  sh_str_t offset;             /**< opaque resume token; committed back through commit() @since 1.0 */
  int64_t ts_ms;               /**< source timestamp (Unix ms), 0 when unknown @since 1.0 */
  const sh_header_t* headers;  /**< may be NULL @since 1.0 */
  size_t header_count;         /**< @since 1.0 */
  uint32_t flags;              /**< SH_REC_* @since 1.1 */
} sh_record_t;

/** @name Config key types and flags (::sh_config_key_t) @{ */
#define SH_CFG_STRING 1
#define SH_CFG_INT 2
#define SH_CFG_BOOL 3
#define SH_CFG_DOUBLE 4
#define SH_CFG_ARRAY 5     /**< JSON array */
#define SH_CFG_OBJECT 6    /**< JSON object */
#define SH_CFG_ANY 7       /**< any JSON value; the plugin checks its shape (a 1.0 host refuses it) @since 1.1 */
#define SH_CFG_REQUIRED 0x1u
#define SH_CFG_SECRET 0x2u /**< redacted in responses and logs */
/** @} */

/**
 * @brief One configuration key a source or connection type accepts.
 * The host checks presence, type and unknown keys against this table before it
 * calls the plugin's own validation, fills in defaults, and documents the keys.
 * @since 1.0
 */
typedef struct sh_config_key_t {
  uint32_t struct_size;
  const char* name;          /**< top-level JSON key, e.g. "rate_per_second" */
  int32_t type;              /**< SH_CFG_* */
  uint32_t flags;            /**< SH_CFG_REQUIRED | SH_CFG_SECRET */
  const char* default_json;  /**< JSON text of the default, or NULL for none */
  const char* help;          /**< one sentence */
} sh_config_key_t;

/** @brief Lag of an instance; -1 in a field means the source cannot tell. @since 1.0 */
typedef struct sh_metrics_t {
  uint32_t struct_size;
  int64_t lag_records;
  int64_t lag_bytes;
  int64_t lag_ms;
} sh_metrics_t;

/** @brief An HTTP request routed to a push source. @since 1.0 */
typedef struct sh_push_request_t {
  uint32_t struct_size;
  sh_str_t method;
  sh_str_t path;               /**< what follows /ingest/{stream_id}, may be empty */
  sh_str_t query;              /**< raw query string without '?' */
  sh_str_t content_type;
  const sh_header_t* headers;  /**< all request headers; names as received */
  size_t header_count;
  sh_bytes_t body;
  sh_str_t remote_addr;
  int64_t received_at_ms;      /**< Unix ms */
} sh_push_request_t;

/**
 * @brief The answer of a push source, written into a host-owned buffer.
 * When `http_status` is 2xx the records emitted during the call are made
 * durable first and the answer is sent after; otherwise they are discarded
 * and the answer is sent at once (a request is all-or-nothing). A body longer
 * than `body_capacity` goes through ::sh_host_api_t::response_set_body (1.1
 * hosts); a plugin must never cut a JSON body short.
 * @since 1.0
 */
typedef struct sh_push_response_t {
  uint32_t struct_size;
  int32_t http_status;
  int32_t retry_after_seconds;  /**< sent as Retry-After when > 0 */
  char* body;                   /**< host-owned; JSON text */
  size_t body_capacity;
  size_t body_len;              /**< set by the plugin */
} sh_push_response_t;

/**
 * @brief Services the host offers to plugins. Every function may be called from
 * any thread unless stated otherwise.
 * @since 1.0
 */
typedef struct sh_host_api_t {
  uint32_t struct_size;
  uint32_t abi_version;  /**< the host's SH_ABI_VERSION */

  /** @brief Log a line tagged with plugin and instance. `ctx` may be NULL (plugin-level). */
  void (*log)(sh_host_ctx_t* ctx, int32_t level, sh_str_t message);

  /**
   * @brief Hand one record to the host, during poll() or handle_request() only.
   * @returns SH_OK, or SH_ERR_BACKPRESSURE when the batch is full: stop emitting
   *          and return; the record was not taken.
   */
  sh_status_t (*emit)(sh_sink_t* sink, const sh_record_t* record);

  /**
   * @brief Advance the resume position without a record (a heartbeat, an empty
   * transaction). Committed like a record's offset once everything emitted
   * before it is durable.
   */
  sh_status_t (*checkpoint)(sh_sink_t* sink, sh_str_t offset);

  /**
   * @brief Read one top-level config key (with its default applied) as JSON text.
   * @param out_len receives the full length even when `cap` is too small.
   * @returns SH_OK, SH_ERR_NOT_FOUND when absent with no default.
   */
  sh_status_t (*config_get)(sh_host_ctx_t* ctx, sh_str_t key, char* buf, size_t cap, size_t* out_len);

  /** @brief Like config_get, for the stream's connection (secrets included, decrypted). */
  sh_status_t (*connection_get)(sh_host_ctx_t* ctx, sh_str_t key, char* buf, size_t cap, size_t* out_len);

  /** @brief Set a source-specific gauge shown in the host's metrics. */
  void (*gauge_set)(sh_host_ctx_t* ctx, sh_str_t name, double value);

  /** @brief Add to a source-specific counter (e.g. requests by outcome). */
  void (*counter_add)(sh_host_ctx_t* ctx, sh_str_t name, int64_t delta);

  /** @brief Wall clock, Unix ms (the host's clock; fake in tests). */
  int64_t (*now_ms)(sh_host_ctx_t* ctx);

  /**
   * @brief Durable per-instance key/value state (e.g. dedup ids) that survives restarts.
   * @returns SH_OK, SH_ERR_NOT_FOUND.
   */
  sh_status_t (*state_get)(sh_host_ctx_t* ctx, sh_str_t key, uint8_t* buf, size_t cap, size_t* out_len);
  /** @brief Store (ttl_ms > 0: expires after) or, with an empty value and ttl_ms < 0, delete. */
  sh_status_t (*state_put)(sh_host_ctx_t* ctx, sh_str_t key, sh_bytes_t value, int64_t ttl_ms);

  /**
   * @brief Hand several records at once, in order: one call instead of one per
   * record. `records` is strided by `records[0].struct_size`.
   * @param out_taken receives how many were taken (a prefix of the array).
   * @returns SH_OK when all were taken, SH_ERR_BACKPRESSURE when the batch
   *          filled first (stop emitting; the rest were not taken).
   * @since 1.1
   */
  sh_status_t (*emit_batch)(sh_emitter_t* emitter, const sh_record_t* records, size_t count, size_t* out_taken);

  /**
   * @brief Set the whole body of a push answer, of any length (copied), in
   * place of writing into `response->body`. Only during handle_request().
   * @since 1.1
   */
  sh_status_t (*response_set_body)(sh_push_response_t* response, sh_str_t body);

  /**
   * @brief The plugin-wide pointer the plugin put in ::sh_plugin_t::opaque at
   * entry, for calls that only have a context (validate, connection test).
   * @since 1.1
   */
  void* (*plugin_opaque)(sh_host_ctx_t* ctx);
} sh_host_api_t;

/** @name Capability flags (::sh_source_type_t::flags) @{ */
#define SH_CAP_NEEDS_CONNECTION 0x1u  /**< a connection of `connection_type` is required */
#define SH_CAP_PAUSE 0x2u             /**< pause keeps the source position/resources */
#define SH_CAP_SNAPSHOT 0x4u          /**< can read existing data first */
#define SH_CAP_PUSH 0x8u              /**< records arrive through handle_request() */
/**
 * handle_request() may run on several threads at once. Then requests overlap:
 * commit(offset) still comes in journal order and means "every record emitted
 * by every call up to this offset is durable", and a request the host could
 * not make durable is reported through abort() (1.1) instead of commit().
 */
#define SH_CAP_CONCURRENT_PUSH 0x10u
/** @} */

/** @brief Arguments of sh_source_type_t::create. @since 1.0 */
typedef struct sh_create_args_t {
  uint32_t struct_size;
  sh_host_ctx_t* ctx;          /**< valid until destroy(); used for every host call of the instance */
  const sh_host_api_t* host;
  sh_str_t stream_id;
  sh_str_t stream_name;
  sh_str_t config_json;        /**< whole config object, defaults applied */
  sh_str_t connection_json;    /**< {"config":{...},"secrets":{...}} or empty */
  void* plugin_opaque;         /**< ::sh_plugin_t::opaque @since 1.1 */
} sh_create_args_t;

/** @name Source health levels (::sh_source_health_t::level) @since 1.2 @{ */
#define SH_HEALTH_OK 0
#define SH_HEALTH_WARNING 1   /**< close to a limit; the stream keeps going */
#define SH_HEALTH_CRITICAL 2  /**< over a limit; the host applies `action` */
/** @} */

/** @name What the host does at SH_HEALTH_CRITICAL (::sh_source_health_t::action) @since 1.2 @{ */
#define SH_HEALTH_ACTION_NONE 0     /**< report only */
#define SH_HEALTH_ACTION_ERROR 1    /**< the stream goes to error with the reason */
#define SH_HEALTH_ACTION_RESUME 2   /**< a paused (or stopped) stream reads again */
#define SH_HEALTH_ACTION_RELEASE 3  /**< stop the stream and call offset_reset() */
/** @} */

/**
 * @brief What a source keeps for a stream, filled by source_health().
 * The host zero-fills it, sets `struct_size` and the buffers, and sets the
 * byte figures to -1; the plugin sets what it knows.
 * @since 1.2
 */
typedef struct sh_source_health_t {
  uint32_t struct_size;
  int32_t level;            /**< SH_HEALTH_* */
  int32_t action;           /**< SH_HEALTH_ACTION_*, read at SH_HEALTH_CRITICAL */
  int64_t retained_bytes;   /**< what the source keeps for the stream; -1 unknown */
  int64_t budget_bytes;     /**< the limit the stream's config sets; -1 none */
  char* reason;             /**< host-owned: sentences for an operator, NUL-terminated */
  size_t reason_size;
  char* source_json;        /**< host-owned: a JSON object on where the source is (its end, the slot) */
  size_t source_cap;
  size_t source_len;        /**< set by the plugin to the full length, as out_len above */
} sh_source_health_t;

/**
 * @brief One source type: its descriptor and its vtable.
 * A function pointer may be NULL where the flags make it unused (pause without
 * SH_CAP_PAUSE, poll for a push type, handle_request for a pull type).
 * Threading: the host calls an instance from one thread at a time, except
 * wakeup() (any thread) and handle_request() with SH_CAP_CONCURRENT_PUSH.
 * @since 1.0
 */
typedef struct sh_source_type_t {
  uint32_t struct_size;
  const char* name;             /**< unique across loaded plugins, [a-z0-9_]+ */
  const char* description;
  uint32_t flags;               /**< SH_CAP_* */
  const char* connection_type;  /**< accepted connection type, or NULL */
  const sh_config_key_t* config_keys;
  uint32_t config_key_count;

  /**
   * @brief Check a config the host has already checked against config_keys.
   * `ctx` answers config_get/connection_get for the candidate config.
   * @param field receives the offending key path (e.g. "slot_name"), may stay empty.
   */
  sh_status_t (*validate)(sh_host_ctx_t* ctx, char* field, size_t field_size, char* errbuf, size_t errbuf_size);

  /** @brief Make an instance; it must not touch the source yet. */
  sh_status_t (*create)(const sh_create_args_t* args, sh_connector_t** out, char* errbuf, size_t errbuf_size);

  /** @brief Begin reading after `resume_offset` (empty: from the start / the type's default). */
  sh_status_t (*start)(sh_connector_t* c, sh_str_t resume_offset, char* errbuf, size_t errbuf_size);

  /**
   * @brief Emit up to `max_records` records through host->emit, waiting at most
   * `timeout_ms` for the first one. Zero records on timeout is SH_OK.
   * While the instance is paused the host still calls poll() with
   * `max_records` 0 about once a second, so a source can answer keepalives;
   * it must emit nothing then.
   */
  sh_status_t (*poll)(sh_connector_t* c, sh_sink_t* sink, uint32_t max_records, int32_t timeout_ms,
                      char* errbuf, size_t errbuf_size);

  /** @brief Everything up to and including `offset` is durable in the host: acknowledge it to the source. */
  sh_status_t (*commit)(sh_connector_t* c, sh_str_t offset, char* errbuf, size_t errbuf_size);

  /**
   * @brief Stop reading but keep what resumes quickly (slot, subscription,
   * group assignment). Only with SH_CAP_PAUSE. While paused, poll() is still
   * called with `max_records` 0 (see poll). @since 1.0
   */
  sh_status_t (*pause)(sh_connector_t* c, char* errbuf, size_t errbuf_size);
  /** @brief Read again after pause(), from where reading stopped. @since 1.0 */
  sh_status_t (*resume)(sh_connector_t* c, char* errbuf, size_t errbuf_size);

  /**
   * @brief Stop reading and release the connection; the instance may be started
   * again. Called after the last commit() of everything made durable; it must
   * return within a few seconds. @since 1.0
   */
  sh_status_t (*stop)(sh_connector_t* c, char* errbuf, size_t errbuf_size);

  /**
   * @brief Release what the stream holds at the source (slots, groups, URLs) before delete.
   * @param force non-zero: release what can be, report the rest, return SH_OK.
   * @param report receives a JSON array of short sentences, one per thing released.
   * @returns SH_ERR_BUSY when something is still in use (and force is 0).
   */
  sh_status_t (*teardown)(sh_connector_t* c, int32_t force, char* report, size_t report_size, char* errbuf,
                          size_t errbuf_size);

  /** @brief Fill lag figures; may be called between polls. */
  sh_status_t (*metrics)(sh_connector_t* c, sh_metrics_t* out, char* errbuf, size_t errbuf_size);

  /** @brief Make a blocked poll() return early. Any thread. Must not fail. */
  void (*wakeup)(sh_connector_t* c);

  /** @brief Free the instance. Never fails. */
  void (*destroy)(sh_connector_t* c);

  /** @brief Push types: turn one HTTP request into records (via host->emit) and an answer. */
  sh_status_t (*handle_request)(sh_connector_t* c, const sh_push_request_t* request, sh_sink_t* sink,
                                sh_push_response_t* response, char* errbuf, size_t errbuf_size);

  /**
   * @brief Push types: the records of the handle_request() call whose last
   * offset is `last_offset` were not made durable (journal failure, shutdown),
   * and the sender got an error. Release what that call reserved (dedup ids,
   * quotas) so the sender's retry is accepted. Never followed by commit() of
   * that offset. May be NULL. Any thread that could call handle_request().
   * @since 1.1
   */
  void (*abort)(sh_connector_t* c, sh_str_t last_offset);

  /**
   * @brief Turn an offset token this type wrote into the typed JSON object an
   * operator reads (`{"lsn":"0/16B3748"}`). Must not touch the source.
   * An empty token means "nothing committed yet"; write `null` for it.
   * @param out host-owned, `out_cap` bytes; the JSON text, not NUL-terminated.
   * @param out_len receives the full length even when `out_cap` is too small
   *        (the host then calls again with room enough).
   * @returns SH_OK, SH_ERR_INVALID_ARGUMENT for a token it cannot read,
   *          SH_ERR_UNSUPPORTED when the type has no typed offsets.
   * @remark May be called on an instance that was never started. May be NULL.
   * @since 1.2
   */
  sh_status_t (*offset_to_json)(sh_connector_t* c, sh_str_t offset, char* out, size_t out_cap, size_t* out_len,
                                char* errbuf, size_t errbuf_size);

  /**
   * @brief Check a typed position an operator asks for (the form offset_to_json
   * writes) against the source, and turn it into the token start() resumes
   * after. Refuse what cannot be honoured (a WAL position the slot no longer
   * holds, a partition that does not exist) with SH_ERR_INVALID_ARGUMENT and
   * the offending key path in `field` ("lsn", "partitions[1].partition").
   * @param out receives the token, as for offset_to_json.
   * @remark Called on an instance that is not running. May be NULL.
   * @since 1.2
   */
  sh_status_t (*offset_from_json)(sh_connector_t* c, sh_str_t json, char* out, size_t out_cap, size_t* out_len,
                                  char* field, size_t field_size, char* errbuf, size_t errbuf_size);

  /**
   * @brief Give up the position held at the source so that the next start()
   * with an empty token begins at the source's start (a new snapshot, the
   * configured start_from): drop the replication slot, delete the consumer
   * group's offsets.
   * @param report receives a JSON array of short sentences, one per thing released.
   * @remark Called on an instance that is not running. May be NULL (nothing to release).
   * @since 1.2
   */
  sh_status_t (*offset_reset)(sh_connector_t* c, char* report, size_t report_size, char* errbuf,
                              size_t errbuf_size);

  /**
   * @brief Report what the source keeps for this stream (retained WAL, a
   * binlog about to expire) and where the source is now, without reading
   * records. The host calls it on an interval for streams that hold a
   * position at the source, running or not.
   * @param committed_offset the stream's committed token (may be empty).
   * @param out filled by the plugin; see ::sh_source_health_t.
   * @remark Called on an instance that is not running. May be NULL.
   * @since 1.2
   */
  sh_status_t (*source_health)(sh_connector_t* c, sh_str_t committed_offset, sh_source_health_t* out,
                               char* errbuf, size_t errbuf_size);
} sh_source_type_t;


/** @brief A connection type (postgres, kafka, ...) a plugin knows how to test. @since 1.0 */
typedef struct sh_connection_type_t {
  uint32_t struct_size;
  const char* name;
  const char* description;
  const sh_config_key_t* config_keys;  /**< settings and secrets (SH_CFG_SECRET) */
  uint32_t config_key_count;
  /**
   * @brief Connect and report. `ctx` answers connection_get.
   * @param message receives one or more sentences for the user (also on success).
   * @returns SH_OK when usable.
   */
  sh_status_t (*test)(sh_host_ctx_t* ctx, char* message, size_t message_size);
} sh_connection_type_t;

/** @brief What a plugin is. Static storage in the plugin, valid while it is loaded. @since 1.0 */
typedef struct sh_plugin_t {
  uint32_t struct_size;
  /** The oldest ABI the plugin needs (::SH_ABI_REQUIRED); 1.0 plugins put the header's version. */
  uint32_t abi_version;
  const char* name;
  const char* version;   /**< the plugin's own version, free text */
  const char* description;
  const sh_source_type_t* const* source_types;
  uint32_t source_type_count;
  const sh_connection_type_t* const* connection_types;
  uint32_t connection_type_count;
  /** Plugin-wide state set at entry; passed back in create args and by host->plugin_opaque. @since 1.1 */
  void* opaque;
  /**
   * @brief Called once before the library is unloaded, after every instance
   * was destroyed (librdkafka's destroy to conf_init). May be NULL.
   * @since 1.1
   */
  void (*shutdown)(void* opaque);
} sh_plugin_t;

/**
 * @brief The one exported symbol, named SH_PLUGIN_ENTRY_SYMBOL.
 * @param host_abi_version the host's SH_ABI_VERSION; a plugin that cannot work
 *        with it returns SH_ERR_UNSUPPORTED with a message.
 * @param host the host services; valid while the plugin is loaded.
 * @param out receives a pointer to the plugin's static descriptor.
 * @remark Called once per load, before any other call.
 */
typedef sh_status_t (*sh_plugin_entry_fn)(uint32_t host_abi_version, const sh_host_api_t* host,
                                          const sh_plugin_t** out, char* errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* STREAMHOST_PLUGIN_ABI_H */
